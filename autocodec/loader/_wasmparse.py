"""A minimal reader of the WebAssembly binary format: just what ``inspect_module`` needs.

Spec: WebAssembly Core Specification 2.0, chapter 5 (binary format).

Invariants:
- Reads, never executes; linear in the input size; every read is bounds-checked and every
  malformation raises ``ModuleRejected`` (no IndexError, no RecursionError).
- At most ``SandboxLimits.max_sections`` sections (``TooManySections``, read no further) and
  ``SandboxLimits.max_exports`` exports (also ``TooManySections``, before any is read): the
  caller's limits, the defaults and their measurements in ``config``. Likewise at most
  ``SandboxLimits.max_functions`` types, imports, declared functions and function bodies, each
  refused from its count before any entry is read: one Python step an entry made an 8 MiB
  module of 7 million empty bodies cost 16 s here (2.8 MiB of 990 000 types: 5.7 s, loaded),
  outside the compile child's bounds. A type with more than ``MAX_TYPE_ARITY`` parameters or
  results, or a second memory, is malformed here (wasmtime refuses them too).
- A type's parameters and results are decoded only for exported functions; the others are
  skipped by their counts (one byte a value type, two for a reference type's long form such
  as ``(ref null func)``, which wasmtime accepts here: ``_Reader.skip_valtypes``).
- Only the type, import, function, table, memory, export and custom sections are decoded (the
  tables' and memories' minimums: refused before compiling when over the caps), and the code
  section's body sizes (for the complexity checks before compiling); other sections are
  skipped by their declared size. Full validation is wasmtime's (``Module.validate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import DEFAULT_LIMITS, SandboxLimits
from ..errors import ModuleRejected

MAGIC = b"\x00asm\x01\x00\x00\x00"
_VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128", 0x70: "funcref", 0x6F: "externref"}
_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
_REF_PREFIXES = (0x63, 0x64)  # (ref null ht), (ref ht)
_SKIP_ROUNDS = 16


class TooManySections(ModuleRejected):
    """The module has more sections or exports than ``SandboxLimits.max_sections`` or
    ``max_exports`` (or more types, imports or functions than ``max_functions``): a bound,
    refused as soon as the count is read (never taken for malformed bytes)."""

    hint = ("a module is refused before compiling when it has this many sections or exports; merge its custom "
            "sections, export only the ABI's functions and memory (or raise max_sections or max_exports under "
            "[limits.sandbox] in config.toml)")


@dataclass(frozen=True, slots=True)
class FuncType:
    params: tuple[str, ...]
    results: tuple[str, ...]

    def __str__(self) -> str:
        return f"({', '.join(self.params)}) -> ({', '.join(self.results)})"


@dataclass(slots=True)
class WasmSummary:
    """Imports, exports (with function signatures) and custom sections of a module."""

    imports: list[tuple[str, str, str]] = field(default_factory=list)  # (module, name, kind)
    exports: dict[str, str] = field(default_factory=dict)  # name -> kind
    export_types: dict[str, FuncType] = field(default_factory=dict)  # function exports only
    custom: list[tuple[str, bytes]] = field(default_factory=list)
    functions: int = 0  # bodies in the code section (defined functions)
    code_bytes: int = 0  # size of the code section
    largest_body: int = 0  # bytes of the largest function body
    loop_bytes: int = 0  # bytes of ``COSTLY_OPCODES`` in the code section: an upper bound on those opcodes
    locals: int = 0  # locals declared by all bodies (an upper bound: see ``_body_locals``)
    memory_pages: int = 0  # the largest minimum of the memories it defines, in 64 KiB pages
    table_elements: int = 0  # the largest minimum of the tables it defines, in elements
    tables: int = 0  # tables it defines


class _Reader:
    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise ModuleRejected("truncated Wasm module")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def u32(self) -> int:
        value = shift = 0
        for _ in range(5):
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if value >= 1 << 32:
                    raise ModuleRejected("malformed Wasm: u32 out of range")
                return value
            shift += 7
        raise ModuleRejected("malformed Wasm: LEB128 too long")

    def skip(self, n: int) -> None:
        if n > self.end - self.pos:
            raise ModuleRejected("truncated Wasm module")
        self.pos += n

    def u32_run(self, count: int) -> list[int]:
        """``count`` u32s in a row (the function section), one-byte ones read inline."""
        data, pos, end = self.data, self.pos, self.end
        out: list[int] = []
        for _ in range(count):
            if pos < end and data[pos] < 0x80:
                out.append(data[pos])
                pos += 1
            else:
                self.pos = pos
                out.append(self.u32())
                pos = self.pos
        self.pos = pos
        return out

    def take(self, n: int) -> bytes:
        if n > self.end - self.pos:
            raise ModuleRejected("truncated Wasm module")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def name(self) -> str:
        raw = self.take(self.u32())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ModuleRejected("malformed Wasm: a name is not UTF-8") from None

    def valtype(self) -> str:
        code = self.byte()
        if code in _REF_PREFIXES:  # a reference type's long form: its heap type follows (one byte if abstract)
            heap = self.byte()
            if code == 0x63 and heap in (0x70, 0x6F):
                return _VALTYPES[heap]  # (ref null func), (ref null extern): funcref, externref
            return f"0x{code:02x} 0x{heap:02x}"
        return _VALTYPES.get(code, f"0x{code:02x}")

    def skip_valtypes(self, n: int) -> None:
        """Skip ``n`` value types without a Python step each: one byte a type, two for a reference
        type's long form (``0x63``/``0x64`` and a one-byte abstract heap type, e.g. ``(ref null
        func)``, which wasmtime accepts for ``funcref``; a type index there needs function
        references, refused by wasmtime). Each round counts the prefixes in the bytes the last one
        added, so a valid run ends in about log2(n) rounds; more than ``_SKIP_ROUNDS`` is malformed."""
        data, start = self.data, self.pos
        counted, end, prefixes = start, start + n, 0
        for _ in range(_SKIP_ROUNDS):
            if end > self.end:
                raise ModuleRejected("truncated Wasm module")
            more = data.count(b"\x63", counted, end) + data.count(b"\x64", counted, end)
            if not more:
                self.pos = end
                return
            prefixes += more
            if prefixes > n:  # one prefix a value type at most
                break
            counted, end = end, start + n + prefixes
        raise ModuleRejected("malformed Wasm: a function type's value types do not parse")

    def limits(self) -> None:
        flags = self.byte()
        self.u32()
        if flags & 1:
            self.u32()


def _skip_import_desc(r: _Reader, kind: int) -> int | None:
    """Skip an import descriptor; returns the type index for function imports."""
    if kind == 0:
        return r.u32()
    if kind == 1:
        r.byte()
        r.limits()
    elif kind == 2:
        r.limits()
    elif kind == 3:
        r.byte()
        r.byte()
    elif kind == 4:
        r.byte()
        r.u32()
    else:
        raise ModuleRejected(f"malformed Wasm: import kind {kind}")
    return None


COSTLY_OPCODES = (b"\x03", b"\x11", b"\x25", b"\xfc")
"""Opcodes that each cost Cranelift about 0.1-0.2 ms under fuel metering (CPU, measured here):
``loop``, ``call_indirect``, ``table.get``, and the 0xFC prefix (``memory.fill``, ``table.grow``...).
Their bytes are counted together against ``inline_compile_loops``: 128 KiB of ``call_indirect``
(21 000 of them, in 16 KiB bodies) took ~3 s CPU and 148 MiB in-process when only loops were
counted; the shipped modules have at most 1511 such bytes."""
MAX_TYPE_ARITY = 1000
"""Most parameters, and most results, of one function type: wasmparser's cap (wasmtime's)."""
MAX_TABLES = 100
"""Most tables in one module: wasmparser's cap (wasmtime's; an instance here holds one at most)."""
_COUNT_HINT = ("a module is refused before compiling when it has this many (the shipped modules have under 100 "
               "functions); split it, or raise max_functions under [limits.sandbox] in config.toml")


def _count(body: _Reader, most: int, what: str) -> int:
    """A section's entry count, ``TooManySections`` over ``most`` (``max_functions``)."""
    count = body.u32()
    if count > most:
        raise TooManySections(f"the module has {count} {what}, over the cap of {most} (max_functions)",
                              hint=_COUNT_HINT)
    return count


def _functype(wasm: bytes, at: int) -> FuncType:
    """The function type whose ``0x60`` byte is ``wasm[at]`` (its arity checked by ``parse``)."""
    r = _Reader(wasm, at + 1)
    params = tuple(r.valtype() for _ in range(r.u32()))
    results = tuple(r.valtype() for _ in range(r.u32()))
    return FuncType(params, results)


_MAX_FUNCTION_LOCALS = 50_000  # wasmtime's (wasmparser's) cap on one function's locals
_LOCAL_RUNS_READ = 64


def _body_locals(wasm: bytes, pos: int, end: int) -> int:
    """Locals declared at the head of the body ``wasm[pos:end]``, at most what wasmtime accepts
    in one function; a body with more than ``_LOCAL_RUNS_READ`` runs counts as that cap (so the
    read stays short whatever the body). Malformed heads count 0: validation refuses them."""
    if pos < end and wasm[pos] <= _LOCAL_RUNS_READ:  # the usual head: one-byte counts (loads stay cheap)
        runs, at, total = wasm[pos], pos + 1, 0
        for _ in range(runs):
            if at + 1 >= end or wasm[at] >= 0x80:
                break  # a multi-byte count or a short body: the careful read below
            total += wasm[at]
            at += 2
        else:
            return total
    r = _Reader(wasm, pos, end)
    try:
        runs = r.u32()
        if runs > _LOCAL_RUNS_READ:
            return _MAX_FUNCTION_LOCALS
        total = 0
        for _ in range(runs):
            total += r.u32()
            r.byte()
    except ModuleRejected:
        return 0
    return min(total, _MAX_FUNCTION_LOCALS)


def parse(wasm: bytes, limits: SandboxLimits = DEFAULT_LIMITS.sandbox, *, extra_exports: int = 0) -> WasmSummary:
    """Summarise a Wasm binary; raises ``ModuleRejected`` when it is not one, and
    ``TooManySections`` past ``limits.max_sections`` sections or ``limits.max_exports +
    extra_exports`` exports (the sandbox's reset rewrite of a module adds at most
    ``1 + limits.reuse_globals``)."""
    max_sections, max_exports = limits.max_sections, limits.max_exports + extra_exports
    if not wasm.startswith(MAGIC):
        raise ModuleRejected("not a WebAssembly core module (bad magic or version)")
    r = _Reader(wasm, len(MAGIC))
    out = WasmSummary()
    most = limits.max_functions
    types: list[int] = []  # where each function type starts (decoded for exports only)
    func_types: list[int] = []  # type index per function (imported first)
    exports: list[tuple[str, int, int]] = []
    sections = 0
    while r.pos < r.end:
        sections += 1
        if sections > max_sections:
            raise TooManySections(f"the module has more than {max_sections} sections (max_sections)")
        section = r.byte()
        size = r.u32()
        body = _Reader(wasm, r.pos, r.pos + size)
        if body.end > r.end:
            raise ModuleRejected("truncated Wasm module")
        r.pos = body.end
        if section == 0:
            name = body.name()
            out.custom.append((name, wasm[body.pos : body.end]))
        elif section == 1:
            for _ in range(_count(body, most, "types")):
                types.append(body.pos)
                if body.byte() != 0x60:
                    raise ModuleRejected("malformed Wasm: unsupported type form")
                for _ in range(2):  # parameters, then results
                    arity = body.u32()
                    if arity > MAX_TYPE_ARITY:
                        raise ModuleRejected(f"malformed Wasm: a function type has {arity} parameters or results")
                    body.skip_valtypes(arity)
        elif section == 2:
            for _ in range(_count(body, most, "imports")):
                module, name = body.name(), body.name()
                kind = body.byte()
                out.imports.append((module, name, _KINDS.get(kind, str(kind))))
                index = _skip_import_desc(body, kind)
                if index is not None:
                    func_types.append(index)
        elif section == 3:
            func_types.extend(body.u32_run(_count(body, most, "functions")))
        elif section == 4:
            tables = body.u32()
            if tables > MAX_TABLES:
                raise ModuleRejected(f"malformed Wasm: {tables} tables, over wasmtime's {MAX_TABLES}")
            out.tables += tables
            for _ in range(tables):
                element = body.byte()
                if element == 0x40:  # a table with an initializer expression: function references
                    raise ModuleRejected("malformed Wasm: a table with an initializer expression")
                if element in _REF_PREFIXES:  # its element type's long form: a heap type follows
                    body.byte()
                flags = body.byte()
                out.table_elements = max(out.table_elements, body.u32())
                if flags & 1:  # a maximum follows
                    body.u32()
        elif section == 5:
            memories = body.u32()
            if memories > 1:
                raise ModuleRejected(f"malformed Wasm: {memories} memories (ABI v1 modules have one)")
            for _ in range(memories):
                flags = body.byte()
                out.memory_pages = max(out.memory_pages, body.u32())
                if flags & 1:  # a maximum follows
                    body.u32()
        elif section == 10:
            out.code_bytes = size
            out.loop_bytes = sum(wasm.count(op, body.pos, body.end) for op in COSTLY_OPCODES)
            out.functions = _count(body, most, "functions")
            largest = declared = 0
            for _ in range(out.functions):  # at least one byte a body: bounded by the section
                n = body.u32()
                declared += _body_locals(wasm, body.pos, body.pos + n)
                body.skip(n)
                if n > largest:
                    largest = n
            out.largest_body = largest
            out.locals = declared
        elif section == 7:
            count = body.u32()
            if count > max_exports:
                raise TooManySections(f"the module has {count} exports, over the {max_exports} a module may have "
                                      "(max_exports)")
            for _ in range(count):
                name = body.name()
                kind = body.byte()
                exports.append((name, kind, body.u32()))
    for name, kind, index in exports:
        out.exports[name] = _KINDS.get(kind, str(kind))
        if kind == 0:
            if index >= len(func_types) or func_types[index] >= len(types):
                raise ModuleRejected(f"malformed Wasm: export {name!r} names no function")
            out.export_types[name] = _functype(wasm, types[func_types[index]])
    return out
