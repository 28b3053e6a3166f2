"""``autocodec module new|build|inspect|test``: write, build, look at a Wasm extension module, run its vectors.

``new`` scaffolds a working module folder from a template (autocodec.modkit); ``build``
compiles one reproducibly with the pinned toolchains; ``inspect`` never runs the module
(static checks only); ``test`` runs it in the sandbox under the configured limits. A rejected
module or a failed build is a one-line error and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from ._actions import command_with_actions
from ._options import nonempty, whole_number

EPILOG = """examples:
  autocodec module new --lang zig --kind codec my-codec
  autocodec module build my-codec -o my-codec.wasm
  autocodec module test my-codec.wasm my-codec/vectors.json
  autocodec module inspect wasm-src/git-raw/git-raw.wasm --json
  autocodec module test wasm-src/git-raw/git-raw.wasm wasm-src/git-raw/vectors.json
"""


def _code_number(text: str) -> int:
    """``--code``: a multicodec code, decimal or 0x hex."""
    value = whole_number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a code number (give e.g. 0x300001 or 3145729)")
    if not 0 <= value < 1 << 63:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range (a code is between 0 and 2^63-1)")
    return value


def register(sub: Any) -> None:
    msub = command_with_actions(sub, "module", "scaffold, build, inspect and test Wasm extension modules", EPILOG)

    new = msub.add_parser("new", help="scaffold a small working module (sources, module.json, vectors, README)")
    new.add_argument("dir", metavar="DIR", help="the folder to create (its name is the module's name)")
    new.add_argument("--lang", required=True, choices=("c", "zig", "assemblyscript", "rust"),
                     help="the source language")
    new.add_argument("--kind", required=True, choices=("codec", "hasher", "chunker", "crypto", "task", "verifier"),
                     help="what the module provides")
    new.add_argument("--name", type=nonempty("the module name"), help="the module name (default: the folder's name)")
    new.add_argument("--code", type=_code_number, metavar="CODE", help="the code a codec/hasher/crypto module serves "
                     "(default: a private-use code, 0x300001...)")
    new.set_defaults(func=run_new)

    build = msub.add_parser("build", help="build a module folder reproducibly (same sources, same bytes and CID)")
    build.add_argument("dir", metavar="DIR", help="the module folder (module.json and .c, .zig, .ts or .rs sources; a C module's "
                       "build.json names folders beside it that it includes)")
    build.add_argument("-o", "--output", metavar="FILE", help="where to write the .wasm (default: DIR/NAME.wasm)")
    build.set_defaults(func=run_build)

    inspect = msub.add_parser("inspect", help="show a module's metadata, exports and CID without running it")
    inspect.add_argument("file", metavar="FILE", help="the .wasm file (- for stdin)")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    inspect.set_defaults(func=run_inspect)

    test = msub.add_parser("test", help="run a module's test vectors (docs/abi.md section 5) in the sandbox")
    test.add_argument("file", metavar="FILE", help="the .wasm file")
    test.add_argument("vectors", metavar="VECTORS", nargs="?",
                      help="the vectors.json (DAG-JSON) document (default: vectors.json beside FILE, "
                      "or in the folder FILE was built from when named alike)")
    test.set_defaults(func=run_test)


def _code_names(kind: str, codes: tuple[int, ...]) -> list[str]:
    from ..codes import codec_name, hash_name, key_type_name

    name = {"codec": codec_name, "hasher": hash_name, "crypto": key_type_name}.get(kind)
    shown = [name(c) if name else f"0x{c:x}" for c in codes]
    return [s if s == f"0x{c:x}" else f"{s} (0x{c:x})" for s, c in zip(shown, codes, strict=True)]


def describe(info: Any) -> dict[str, Any]:
    """A JSON-ready description of a ``ModuleInfo``."""
    return {
        "cid": str(info.cid),
        "size": info.size,
        "abi": info.abi,
        "kind": info.kind,
        "name": info.name,
        "version": info.version,
        "codes": list(info.codes),
        "code_names": _code_names(info.kind, info.codes),
        "functions": list(info.functions),
        "description": info.description,
        "imports": list(info.imports),
        "exports": dict(info.exports),
    }


def run_inspect(args: argparse.Namespace) -> int:
    from ..loader import inspect_module
    from ._io import read_module_file, write_line
    from ._runtime import home_limits

    limits = home_limits().sandbox
    info = inspect_module(read_module_file(args.file, limits.max_module_bytes), limits=limits)
    doc = describe(info)
    if args.json:
        write_line(json.dumps(doc, sort_keys=True))
        return 0
    lines = [
        f"file: {args.file}",
        f"cid: {doc['cid']}",
        f"size: {doc['size']} bytes",
        f"abi: {doc['abi']}",
        f"kind: {doc['kind']}",
        f"name: {doc['name']}",
        f"version: {doc['version']}",
        f"codes: {', '.join(doc['code_names']) or 'none'}",
    ]
    if doc["functions"]:
        lines.append(f"functions: {', '.join(doc['functions'])}")
    if doc["description"]:
        lines.append(f"description: {' '.join(doc['description'].split())}")
    lines.append(f"imports: {', '.join(doc['imports']) or 'none'}")
    lines.append("exports:")
    width = max(len(name) for name in doc["exports"])
    lines.extend(f"  {name:<{width}}  {kind}" for name, kind in sorted(doc["exports"].items()))
    write_line("\n".join(lines))
    return 0


def run_new(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..modkit import scaffold
    from ._io import write_line

    meta = scaffold(Path(args.dir), args.lang, args.kind, name=args.name, code=args.code)
    write_line(f"created {args.dir}: {args.lang} {meta['kind']} {meta['name']} "
               f"(next: autocodec module build {args.dir})")
    return 0


def run_build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..modkit import CompileFailed, build
    from ._io import open_output, output_target, write_line
    from ._text import clean

    if args.output is not None:
        output_target(args.output)  # an empty path, a folder, a missing folder: refused before the build
        _not_a_source(args.output, args.dir)
    try:
        built = build(Path(args.dir))
    except CompileFailed as exc:
        if args.verbose and exc.output:  # the compiler's own report, then the one-line error
            print(clean(exc.output), file=sys.stderr, flush=True)
        elif exc.output:
            exc.hint = f"{exc.hint}; `autocodec -v module build` shows all the compiler printed"
        raise
    out = Path(args.output) if args.output is not None else Path(args.dir) / f"{built.info.name}.wasm"
    with open_output(str(out)) as stream:  # replaced only when complete; devices written through
        stream.write(built.wasm)
    write_line(f"{out} {built.info.size} bytes {built.info.cid} ({built.lang} {built.info.kind} "
               f"{built.info.name} {built.info.version})")
    return 0


def _not_a_source(output: str, folder: str) -> None:
    """``InvalidInput`` when ``-o`` names a file already in the module's folder (or below it, a
    symlink followed) that is neither a ``.wasm`` nor a Wasm module (an earlier build's output,
    which a rebuild replaces): a source, ``module.json`` or the vectors, which the module's bytes
    would replace (``module build mb -o mb/module.c`` left the Wasm where the C was)."""
    import os
    import stat

    from ..errors import InvalidInput

    try:
        st = os.stat(output)
    except OSError:
        return  # a new file
    target = os.path.realpath(output)  # the file written: a link named x.wasm may point at a source
    root = os.path.realpath(folder).rstrip(os.sep) + os.sep
    if not stat.S_ISREG(st.st_mode) or not target.startswith(root) or target.endswith(".wasm"):
        return
    try:
        with open(target, "rb") as f:
            if f.read(4) == b"\0asm":
                return
    except OSError:
        pass
    raise InvalidInput(f"cannot write {output}: it is a file of the module folder {folder}, which the "
                       "module would replace", hint="choose an output path ending in .wasm, or outside the folder")


def run_test(args: argparse.Namespace) -> int:
    from ..errors import ModuleRejected
    from ..home import Home
    from ..loader import Sandbox, run_vectors
    from ._io import read_input, read_module_file, write_line
    from ._runtime import home_limits

    home = Home.resolve()
    limits = home_limits(home)  # the module is tried under the limits it will run under here
    wasm = read_module_file(args.file, limits.sandbox.max_module_bytes)
    if args.vectors is None:  # where publish looks too
        from pathlib import Path

        from ..registry._publish import default_vectors

        args.vectors = str(default_vectors(Path(args.file)))
    vectors = read_input(args.vectors, limits.trust.max_vectors_bytes, "vectors document",
                         hint="keep fewer or smaller vectors (a vectors document is fetched under the same cap)")
    loaded = Sandbox(limits.sandbox, cache_dir=home.compiled_cache_dir).load(wasm)
    report = run_vectors(loaded, vectors, limits=limits.trust, decode=limits.decode)
    for failure in report.failures:
        write_line(f"FAIL {failure}")
    write_line(f"{loaded.info.name} {loaded.info.version}: {report.passed}/{report.total} vectors passed")
    if not report.ok:
        raise ModuleRejected(f"{report.total - report.passed} of {report.total} test vectors failed",
                             hint="fix the module or the vectors the FAIL lines name, then build and test again")
    return 0
