"""A home that took the default set of an earlier autocodec moves to the one this package ships.

Each release builds its default set with a signing key made for that build, so the set an
earlier release pinned is another lineage, not an older version of this one: ``pin update``
cannot reach the shipped set from it (``RootChainError``), and an upgraded home kept the older
release's modules (none of the codecs, hashers or fixes added since) for good.

Invariants:
- Only a default set the home accepted is moved: ``registry_meta`` says ``default-set =
  pinned`` (a home made with ``default_set=False`` or ``--no-default-set`` says ``declined``), and
  the pin is a set named ``autocodec-default`` pinned from a bundle named ``default-set.car``
  (where every release pinned its own from) whose index is not the shipped one. A set the user
  pinned under another name, or from a file of another name, is never touched; neither is a
  home whose user unpinned the default set (``pin rm`` records ``declined``, so a set pinned
  under its name afterwards, even an earlier release's own, is the user's choice and stays).
- The move is one transaction of the trust store (``TrustStore.replace``): the shipped set,
  verified as a new anchor from the package's CAR (whose root must be the index CID this
  package pins, as ``init`` checks it), is pinned and the earlier one unpinned together, with
  where each was found, and a warning names both (the home's trust changed without a command
  asking). A crash leaves one or the other pinned, never neither. When the shipped set cannot
  be pinned (a damaged package, a downgrade to an older version of the pinned set's own
  lineage), nothing changes and the reason is logged (info: it is tried again at every open);
  the home keeps the set it has, and ``pin update`` says why it cannot move.
- Two processes moving one home at once: the second finds the earlier set unpinned
  (``SetNotFound`` in its transaction) and changes nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cid import CID
from ..errors import AutocodecError, IntegrityError
from ..log import get_logger
from ..progress import no_progress
from . import _default
from ._pins import SCHEMA as PINS_SCHEMA
from ._pins import Location

if TYPE_CHECKING:  # pragma: no cover
    from ._runtime import Runtime

log = get_logger("registry")


def earlier_default_sets(runtime: "Runtime") -> list[str]:
    """The set ids of default sets an earlier release pinned in this home (see the module's rules)."""
    row = runtime.store.read_row("SELECT value FROM registry_meta WHERE key = 'default-set'")
    if row is None or row[0] != "pinned":
        return []
    runtime.store.ensure_schema("registry-pins", 1, PINS_SCHEMA)
    rows = runtime.store.read_rows(
        "SELECT set_id, location, index_cid FROM registry_pins WHERE name = ? AND location_kind = 'car'",
        (_default.DEFAULT_SET_NAME,))
    return [str(set_id) for set_id, location, index_cid in rows
            if Path(str(location)).name == _default.DEFAULT_SET_CAR.name
            and index_cid != str(_default.DEFAULT_SET_CID)]


def follow_shipped_default_set(runtime: "Runtime") -> bool:
    """Move the home from an earlier release's default set to the shipped one; True if it moved."""
    earlier = earlier_default_sets(runtime)
    if not earlier:
        return False
    try:
        _move(runtime, earlier[0])
    except AutocodecError as exc:  # logged, not raised: every command would fail on a home it cannot move
        log.info("default_set.upgrade", decision="keep", set_id=earlier[0], reason=exc.message,
                 policy=type(exc).__name__)
        return False
    return True


def _move(runtime: "Runtime", earlier: str) -> None:
    from ..sources import CarSource

    car, shipped = _default.DEFAULT_SET_CAR, _default.DEFAULT_SET_CID
    source = CarSource(car, limits=runtime.limits)
    source.scan()
    if source.roots != [shipped]:
        raise IntegrityError(f"{car} holds set version {source.roots}, but this package pins {shipped}",
                             hint="the package was modified; reinstall autocodec")
    pins = runtime.pins
    location = Location("car", str(car.resolve()))
    fetch = pins._fetcher_for(location)
    now = int(time.time())
    old = CID.parse(earlier)
    verified, anchor = runtime.trust.verify(shipped, fetch, now=now, replacing=old)
    if verified.set_id == old:  # a newer version of the same lineage: an ordinary update
        runtime.pin_default_set()
        return
    pins._fetch_modules(verified, fetch, no_progress)

    def record(conn: Any) -> None:
        conn.execute("DELETE FROM registry_pins WHERE set_id = ?", (earlier,))
        conn.execute("INSERT OR REPLACE INTO registry_pins VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (str(verified.set_id), verified.name, location.kind, location.where, location.node,
                      str(verified.index_cid), now))

    runtime.trust.replace(old, verified, anchor_envelope=anchor, now=now, also=record)
    pins.on_change()
    # a warning: the home's trust changed without a command asking (once per home and release)
    log.warning("default_set.upgrade", decision="moved", earlier=earlier, set_id=str(verified.set_id),
                index=str(verified.index_cid), modules=len(verified.manifests), policy="default-set")
