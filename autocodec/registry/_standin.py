"""Native substitution: a builtin codec standing in for a Wasm module of the same format.

Invariant: a stand-in behaves like the module adapter it replaces, errors included (a
``GuestError`` with the ABI's status), so vectors and canaries compare like with like; the
registry uses one only after both agree on the module's own vectors.
"""

from __future__ import annotations

from typing import Any

from .. import builtin
from ..cid import CID
from ..codes import codec_name
from ..config import Limits
from ..errors import AutocodecError, GuestError, InvalidInput


class BuiltinStandIn:
    """A builtin codec shaped like a loaded module's codec adapter (for native substitution)."""

    def __init__(self, code: int, limits: Limits) -> None:
        self.code = code
        self.limits = limits
        self.info = type("Info", (), {"kind": "codec", "codes": (code,), "name": codec_name(code)})()

    def codec(self) -> "BuiltinStandIn":
        return self

    # Errors are reported as a module adapter reports them (GuestError: an InvalidBlock with
    # the ABI's status), so a stand-in is indistinguishable from the module it replaces.
    def decode(self, data: bytes) -> Any:
        try:
            return builtin.decode(data, self.code, limits=self.limits.decode)
        except InvalidInput as exc:
            raise GuestError(1, exc.message) from None

    def encode(self, value: Any) -> bytes:
        try:
            return builtin.encode(value, self.code, limits=self.limits.decode)
        except InvalidInput as exc:
            raise GuestError(1, exc.message) from None

    def decode_many(self, blocks: list[bytes]) -> list[Any]:
        out: list[Any] = []
        for data in blocks:
            try:
                out.append(self.decode(data))
            except AutocodecError as exc:
                out.append(exc)
        return out

    def links(self, data: bytes) -> list[CID]:
        from ..store import links_in

        return links_in(self.decode(data))
