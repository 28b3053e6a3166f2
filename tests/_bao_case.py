"""``verifier_case``: a correct Bao vector case over ``length`` bytes of Bao's test input (its
hash and the SHA-256 of its combined and outboard encodings), with the given lists.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from autocodec import bao
from autocodec.loader._vectors import bao_input


def verifier_case(verifier: bao.Verifier, length: int, **lists: list[Any]) -> dict[str, Any]:
    """A correct Bao case over ``length`` bytes of Bao's test input, with the given lists."""
    data = bao_input(length)
    root = bao.bao_hash(verifier, io.BytesIO(data))
    sums = {}
    for name, outboard in (("encoded", False), ("outboard", True)):
        buf = io.BytesIO()
        bao.encode(verifier, io.BytesIO(data), buf, outboard=outboard)
        sums[f"{name}_sha256"] = hashlib.sha256(buf.getvalue()).digest()
    base: dict[str, Any] = {"corrupt": [], "outboard_corrupt": [], "input_corrupt": [], "seek": [], "slices": []}
    return {"input_len": length, "hash": root, **sums, **base, **lists}
