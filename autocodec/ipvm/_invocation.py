"""Invocations: the content-addressed description of one job (docs/invocations.md).

Shape (DAG-CBOR map; after the IPVM/Homestar instruction ``{rsc, op, input: {func, args}, nnc}``
and UCAN Invocation's ``iss``/``meta``)::

    {"rsc": <link: the task module (raw, the .wasm bytes)>,
     "op": "wasm/run",
     "input": {"func": "select", "args": [ARG, ...]},
     "meta": {"fuel": 1000000000, "memory": 67108864},
     "nnc": "",
     "iss": "did:key:z6Mk..."}          # optional

ARG is any data-model value, except a top-level single-key map with one of these keys:

- ``{"await/ok": <link to an invocation>}``: that invocation's ``ok`` result (a pipeline edge);
- ``{"ipvm/block": <link>}``: the verified bytes of the block;
- ``{"ipvm/value": X}``: X itself (escapes a literal map that would otherwise look like the two above).

Invariants:
- The nonce is always ``""``: identical jobs (same module, function, arguments, limits and
  issuer) have identical CIDs, which is what memoization keys on. Limits are part of the
  identity because they decide whether a job runs out of fuel or memory.
- ``from_value`` accepts exactly this shape (no unknown keys, typed fields, limits within
  ``IpvmLimits``, the memory cap a power of two: every distinct cap is a sandbox engine of
  its own, so untrusted invocations can only ask for a dozen sizes); anything else is
  ``InvalidDocument``.
- An invocation's CID is CIDv1 dag-cbor sha2-256 of its canonical encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._inputs import need_cid
from ..cid import CID
from ..config import DEFAULT_LIMITS, IpvmLimits
from ..errors import InvalidDocument, InvalidInput

OP = "wasm/run"
AWAIT_OK = "await/ok"
BLOCK = "ipvm/block"
VALUE = "ipvm/value"
_SPECIAL = (AWAIT_OK, BLOCK, VALUE)
DAG_CBOR = 0x71


def special(arg: Any) -> tuple[str, Any] | None:
    """``(key, payload)`` if ``arg`` is one of the special argument forms, else None."""
    if isinstance(arg, dict) and len(arg) == 1:
        (key, payload), = arg.items()
        if key in _SPECIAL:
            return key, payload
    return None


def awaits(args: list[Any]) -> list[CID]:
    """The invocation CIDs an argument list awaits, in order (duplicates kept once)."""
    found: dict[CID, None] = {}  # a dict, not a list: 75 000 distinct awaits (a 4 MiB block) took 240 s CPU
    for arg in args:
        form = special(arg)
        if form is not None and form[0] == AWAIT_OK:
            found.setdefault(form[1])
    return list(found)


@dataclass(frozen=True)
class Invocation:
    """One job: run ``func`` of module ``module`` on ``args`` under ``fuel`` and ``memory``."""

    module: CID
    func: str
    args: list[Any] = field(default_factory=list)
    fuel: int = DEFAULT_LIMITS.ipvm.fuel
    memory: int = DEFAULT_LIMITS.ipvm.memory_bytes
    issuer: str | None = None

    def __post_init__(self) -> None:
        """The fields as ``from_value`` reads them back (their bounds under ``IpvmLimits`` are
        the executor's to check): a field of another type made a block whose CID named an
        invocation no executor accepts. The module may be given as CID text."""
        if isinstance(self.module, str):
            object.__setattr__(self, "module", CID.parse(self.module))
        need_cid(self.module, "Invocation's module")
        if type(self.func) is not str or not self.func:
            raise InvalidInput(f"Invocation's func is the task function's name (non-empty text), not {self.func!r}"[:200])
        if not _int_in(self.fuel, 1, 1 << 63):
            raise InvalidInput(f"Invocation's fuel is a whole number above 0, not {self.fuel!r}"[:200])
        if not _int_in(self.memory, 65536, 1 << 63) or self.memory & (self.memory - 1):
            raise InvalidInput(f"Invocation's memory is a power of two of at least 65536 bytes, not {self.memory!r}"[:200])
        if self.issuer is not None and (type(self.issuer) is not str or not self.issuer.startswith("did:")):
            raise InvalidInput(f"Invocation's issuer is a DID (did:...), not {self.issuer!r}"[:200])
        _check_args(self.args)

    def to_value(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "rsc": self.module,
            "op": OP,
            "input": {"func": self.func, "args": list(self.args)},
            "meta": {"fuel": self.fuel, "memory": self.memory},
            "nnc": "",
        }
        if self.issuer is not None:
            value["iss"] = self.issuer
        return value

    def encode(self) -> bytes:
        from ..builtin import encode

        return encode(self.to_value(), "dag-cbor")

    def block(self) -> tuple[CID, bytes]:
        """``(cid, bytes)`` of the invocation block."""
        from ..builtin import cid_for

        data = self.encode()
        return cid_for(data, "dag-cbor"), data

    @property
    def cid(self) -> CID:
        return self.block()[0]

    @property
    def awaits(self) -> list[CID]:
        return awaits(self.args)

    @classmethod
    def from_value(cls, value: Any, limits: IpvmLimits | None = None) -> Invocation:
        limits = limits or DEFAULT_LIMITS.ipvm
        if not isinstance(value, dict) or not {"rsc", "op", "input", "meta", "nnc"} <= set(value) <= {
                "rsc", "op", "input", "meta", "nnc", "iss"}:
            raise InvalidDocument("an invocation is a map of rsc, op, input, meta, nnc and optionally iss")
        if not isinstance(value["rsc"], CID):
            raise InvalidDocument("invocation rsc must be a link to the task module")
        if value["op"] != OP:
            raise InvalidDocument(f"invocation op must be {OP!r}, not {str(value['op'])[:40]!r}")
        if value["nnc"] != "":
            raise InvalidDocument("invocation nnc must be \"\" (jobs are pure and memoized by CID)")
        inp, meta = value["input"], value["meta"]
        if not isinstance(inp, dict) or set(inp) != {"func", "args"} or not isinstance(inp["func"], str) \
                or not inp["func"] or not isinstance(inp["args"], list):
            raise InvalidDocument("invocation input must be {func: non-empty text, args: list}")
        if not isinstance(meta, dict) or set(meta) != {"fuel", "memory"}:
            raise InvalidDocument("invocation meta must be {fuel, memory}")
        fuel, memory = meta["fuel"], meta["memory"]
        if not _int_in(fuel, 1, limits.max_fuel):
            raise InvalidDocument(f"invocation fuel must be an integer in [1, {limits.max_fuel}]")
        if not _int_in(memory, 65536, limits.max_memory_bytes) or memory & (memory - 1):
            raise InvalidDocument(
                f"invocation memory must be a power of two in [65536, {limits.max_memory_bytes}] "
                "(each distinct cap is one shared sandbox engine, so caps are kept to a few sizes)")
        issuer = value.get("iss")
        if issuer is not None and (not isinstance(issuer, str) or not issuer.startswith("did:")):
            raise InvalidDocument("invocation iss must be a DID")
        return cls(value["rsc"], inp["func"], inp["args"], fuel, memory, issuer)

    @classmethod
    def decode(cls, data: bytes, limits: IpvmLimits | None = None) -> Invocation:
        from ..builtin import decode
        from ..errors import InvalidBlock

        try:
            value = decode(data, "dag-cbor")
        except InvalidBlock as exc:
            raise InvalidDocument(f"an invocation must be DAG-CBOR: {exc.message}") from None
        return cls.from_value(value, limits)


INT_MIN, INT_MAX = -(1 << 64), (1 << 64) - 1
"""The IPLD data model's integers as DAG-CBOR holds them (an invocation block is DAG-CBOR)."""


def _int_in(value: Any, lo: int, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def _check_args(args: Any) -> None:
    if not isinstance(args, list):
        raise InvalidDocument("invocation args must be a list")
    for i, arg in enumerate(args):
        form = special(arg)
        if form is None:
            continue
        key, payload = form
        if key == AWAIT_OK and (not isinstance(payload, CID) or payload.codec != DAG_CBOR):
            raise InvalidDocument(f"argument {i}: await/ok needs a link to an invocation (a dag-cbor block)")
        if key == BLOCK and not isinstance(payload, CID):
            raise InvalidDocument(f"argument {i}: ipvm/block needs a link to a block")
