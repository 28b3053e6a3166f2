"""The default extension set: the modules of ``wasm-src/``, shipped inside the package.

Its trust is the package's own: the CAR ships beside this file and its set version is pinned
by CID here, so ``autocodec init`` can pin it with no network and no key to trust by hand.
``tools/make_default_set.py`` rebuilds the CAR from the committed modules and rewrites the
CID below; a test checks that the CAR's modules are byte-identical to ``wasm-src/*/*.wasm``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..cid import CID
from ..errors import IntegrityError

if TYPE_CHECKING:  # pragma: no cover
    from ._pins import PinResult
    from ._runtime import Runtime

DEFAULT_SET_NAME = "autocodec-default"
DEFAULT_SET_CAR = Path(__file__).with_name("default-set.car")
DEFAULT_SET_CID = CID.parse("bafyreievcxz7yjx4hlmc34jqa374ojadbrcy56oylizr5dy5cgbsrraj2y")  # rewritten by tools/make_default_set.py


def pin_default_set(runtime: "Runtime") -> "PinResult":
    """Pin the shipped default set, after checking the CAR is the one this package pins."""
    from ..sources import CarSource
    from ._pins import pin_add

    if not DEFAULT_SET_CAR.exists():
        raise IntegrityError(f"the default extension set {DEFAULT_SET_CAR} is missing from the package",
                             hint="reinstall autocodec")
    source = CarSource(DEFAULT_SET_CAR, limits=runtime.limits)
    source.scan()
    if source.roots != [DEFAULT_SET_CID]:
        raise IntegrityError(
            f"{DEFAULT_SET_CAR} holds set version {source.roots}, but this package pins {DEFAULT_SET_CID}",
            hint="the package was modified; reinstall autocodec")
    return pin_add(runtime, str(DEFAULT_SET_CAR))
