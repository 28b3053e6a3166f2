"""Which modules an instance may be reused for, and the rewrite that makes their state reachable.

An instance can be put back to its exact post-instantiation state only if everything a call
can change is reachable by the host: linear memory (exported by every ABI module), and the
mutable globals (usually not exported: a compiler's stack pointer). ``prepare`` decides and
rewrites (Spec: WebAssembly Core Specification 2.0, chapter 5, binary format):

- The module is *resettable* when its code contains no instruction that changes a table or a
  segment's state: ``table.set``, ``table.grow``, ``table.fill``, ``table.copy``,
  ``table.init``, ``elem.drop``, ``memory.init``, ``data.drop`` (then tables and segments are
  exactly as instantiation left them, forever), no mutable global holds a reference, and
  every instruction is one this reader knows (anything else: not resettable).
- The rewritten module is the original plus exports: ``MARKER`` (the memory again) and
  ``GLOBAL_PREFIX + str(i)`` for each mutable global ``i``; nothing else changes, so it
  behaves exactly as the original. The marker in a compiled module means "resettable" (the
  verdict travels with the compiled artifact; cached loads never re-scan).
- Linear in the input; code sections over ``MAX_SCAN_BYTES`` are not scanned (not
  resettable: fresh instances as before), so a huge module costs no extra time here.
- A module with more than ``max_globals`` mutable globals (``SandboxLimits.reuse_globals``) is
  not resettable: a reset sets every one of them back, host work after the call that fuel and
  the deadline do not bound.
"""

from __future__ import annotations

from ..cid import encode_varint
from ..config import DEFAULT_LIMITS

PREFIX = "ac.reset:"
"""Export names the host's rewrite adds: reserved, so a module exporting one is refused at load
(``inspect_module``). A module exporting ``MARKER`` itself was reused with its hidden globals
never set back (a counter in one went 1111, 2112, 3113... over five decodes)."""
MARKER = PREFIX + "memory"
GLOBAL_PREFIX = PREFIX + "g"
MAX_SCAN_BYTES = 1 << 20
_MAGIC = b"\x00asm\x01\x00\x00\x00"
_BLOCKTYPES = frozenset({0x40, 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F})
_NUMTYPES = frozenset({0x7F, 0x7E, 0x7D, 0x7C, 0x7B})
_FC_MUTATING = frozenset({8, 9, 12, 13, 14, 15, 17})
_FC_IMMEDIATES = {10: "bb", 11: "b", 16: "u"}  # memory.copy, memory.fill, table.size
_FD_LANE = frozenset(range(21, 35))
_FD_MEMLANE = frozenset(range(84, 92))
_FD_MEMARG = frozenset(range(0, 12)) | {92, 93}


class _Stop(Exception):
    """Not resettable (or not readable): fall back to fresh instances."""


class _R:
    __slots__ = ("d", "p", "e")

    def __init__(self, d: bytes, p: int, e: int) -> None:
        self.d, self.p, self.e = d, p, e

    def byte(self) -> int:
        if self.p >= self.e:
            raise _Stop
        b = self.d[self.p]
        self.p += 1
        return b

    def leb(self) -> int:
        """An unsigned or signed LEB128 (value unused unless unsigned; at most 10 bytes)."""
        result = shift = 0
        for _ in range(10):
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
        raise _Stop

    def skip(self, n: int) -> None:
        if self.p + n > self.e:
            raise _Stop
        self.p += n


def _instructions(r: _R, until_end_of_expr: bool) -> None:
    """Read instructions to the reader's end (a body) or to the ``end`` closing a constant
    expression; raises ``_Stop`` at an unknown or state-changing instruction."""
    depth = 0
    while r.p < r.e:
        op = r.byte()
        if op in (0x02, 0x03, 0x04):
            bt = r.byte()
            if bt not in _BLOCKTYPES:
                r.p -= 1
                r.leb()
            depth += 1
        elif op == 0x0B:
            if depth == 0 and until_end_of_expr:
                return
            depth -= 1
        elif op in (0x00, 0x01, 0x05, 0x0F, 0x1A, 0x1B, 0xD1) or 0x45 <= op <= 0xC4:
            pass
        elif op in (0x0C, 0x0D, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x41, 0x42, 0xD2):
            r.leb()
        elif op in (0x11, 0x13):
            r.leb()
            r.leb()
        elif op == 0x0E:
            for _ in range(r.leb() + 1):
                r.leb()
        elif op == 0x1C:
            r.skip(r.leb())
        elif 0x28 <= op <= 0x3E:
            _memarg(r)
        elif op in (0x3F, 0x40):
            r.byte()
        elif op == 0x43:
            r.skip(4)
        elif op == 0x44:
            r.skip(8)
        elif op == 0xD0:
            r.byte()
        elif op in (0xFC, 0xFD):
            r.p -= 1
            _prefixed(r)
        else:  # table.set (0x26) and every instruction of a feature the engine turns off
            raise _Stop
    if until_end_of_expr or depth != -1:
        raise _Stop


def _kinds() -> bytes:
    """Opcode -> how its immediates are read by ``_scan_body`` (255: stop)."""
    k = bytearray([255]) * 256
    for op in (0x00, 0x01, 0x05, 0x0F, 0x1A, 0x1B, 0xD1, *range(0x45, 0xC5)):
        k[op] = 0
    for op in (0x0C, 0x0D, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x41, 0x42, 0xD2):
        k[op] = 1
    k[0x11] = k[0x13] = 2
    for op in range(0x28, 0x3F):
        k[op] = 3
    k[0x02] = k[0x03] = k[0x04] = 4
    k[0x0E] = 5
    k[0x1C] = 6
    k[0x3F] = k[0x40] = k[0xD0] = 7
    k[0x43] = 8
    k[0x44] = 9
    k[0xFC] = k[0xFD] = 10
    k[0x0B] = 12
    return bytes(k)


_KIND = _kinds()


def _scan_body(d: bytes, p: int, e: int) -> None:
    """``_instructions`` for one function body ``d[p:e]``, unrolled for speed (it runs on
    every instruction of a module at compile time); prefixed opcodes go through ``_R``."""
    kinds = _KIND
    depth = 0
    while p < e:
        op = d[p]
        p += 1
        kind = kinds[op]
        if kind == 0:
            continue
        if kind == 1:
            while d[p] & 0x80:
                p += 1
            p += 1
        elif kind == 3:
            flags = p
            while d[p] & 0x80:
                p += 1
            p += 1
            if d[flags] & 0x40:
                while d[p] & 0x80:
                    p += 1
                p += 1
            while d[p] & 0x80:
                p += 1
            p += 1
        elif kind == 12:
            depth -= 1
        elif kind == 4:
            if d[p] in _BLOCKTYPES:
                p += 1
            else:
                while d[p] & 0x80:
                    p += 1
                p += 1
            depth += 1
        elif kind == 2:
            for _ in range(2):
                while d[p] & 0x80:
                    p += 1
                p += 1
        elif kind == 7:
            p += 1
        elif kind == 8:
            p += 4
        elif kind == 9:
            p += 8
        elif kind == 10:
            r = _R(d, p - 1, e)
            _prefixed(r)
            p = r.p
        elif kind == 5:
            r = _R(d, p, e)
            for _ in range(r.leb() + 1):
                r.leb()
            p = r.p
        elif kind == 6:
            r = _R(d, p, e)
            r.skip(r.leb())
            p = r.p
        else:
            raise _Stop
    if p != e or depth != -1:
        raise _Stop


def _prefixed(r: _R) -> None:
    """One 0xFC or 0xFD instruction."""
    op = r.byte()
    sub = r.leb()
    if op == 0xFC:
        if sub in _FC_MUTATING or sub > 17:
            raise _Stop
        for kind in _FC_IMMEDIATES.get(sub, "") if sub > 7 else "":
            r.byte() if kind == "b" else r.leb()
    elif sub in _FD_MEMARG:
        _memarg(r)
    elif sub in (12, 13):
        r.skip(16)
    elif sub in _FD_LANE:
        r.byte()
    elif sub in _FD_MEMLANE:
        _memarg(r)
        r.byte()
    elif sub > 0xFF:  # relaxed SIMD and beyond: off in the engine
        raise _Stop


def _memarg(r: _R) -> None:
    if r.leb() & 0x40:
        r.leb()
    r.leb()


def prepare(wasm: bytes, max_globals: int = DEFAULT_LIMITS.sandbox.reuse_globals) -> bytes | None:
    """The rewritten module when ``wasm`` is resettable with at most ``max_globals`` mutable
    globals, else ``None`` (also for anything this reader cannot follow: validation proper is
    the engine's)."""
    try:
        return _prepare(wasm, max_globals)
    except (_Stop, IndexError):
        return None


def _prepare(wasm: bytes, max_globals: int) -> bytes | None:
    if not wasm.startswith(_MAGIC):
        return None
    r = _R(wasm, len(_MAGIC), len(wasm))
    mutable: list[int] = []
    export_span: tuple[int, int, int] | None = None  # section start, body start, body end
    names: list[str] = []
    while r.p < r.e:
        start = r.p
        section = r.byte()
        size = r.leb()
        body = _R(wasm, r.p, r.p + size)
        if body.e > r.e:
            return None
        r.p = body.e
        if section == 2 and body.leb():
            return None  # imports: never in an ABI module
        if section == 6:
            for index in range(body.leb()):
                valtype, mut = body.byte(), body.byte()
                if mut:
                    if valtype not in _NUMTYPES:
                        return None
                    mutable.append(index)
                    if len(mutable) > max_globals:
                        return None
                _instructions(body, until_end_of_expr=True)
        elif section == 7:
            export_span = (start, body.p, body.e)
            for _ in range(body.leb()):
                n = body.leb()
                body.skip(n)
                names.append(wasm[body.p - n : body.p].decode("utf-8", "replace"))
                body.byte()
                body.leb()
        elif section == 10:
            if size > MAX_SCAN_BYTES:
                return None
            for _ in range(body.leb()):
                n = body.leb()
                fn = _R(wasm, body.p, body.p + n)
                body.skip(n)
                for _ in range(fn.leb()):
                    fn.leb()
                    fn.byte()
                _scan_body(wasm, fn.p, fn.e)
    if export_span is None or "memory" not in names or any(n.startswith(PREFIX) for n in names):
        return None
    extra = [(MARKER, 2, 0)] + [(f"{GLOBAL_PREFIX}{i}", 3, i) for i in mutable]
    start, body_start, body_end = export_span
    head = _R(wasm, body_start, body_end)
    count = head.leb()
    entries = wasm[head.p : body_end]
    added = b"".join(encode_varint(len(n.encode())) + n.encode() + bytes([kind]) + encode_varint(i)
                     for n, kind, i in extra)
    content = encode_varint(count + len(extra)) + entries + added
    return wasm[:start] + b"\x07" + encode_varint(len(content)) + content + wasm[body_end:]
