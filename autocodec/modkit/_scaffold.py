"""``module new``: scaffold a small, working module folder from the packaged templates.

Invariants: the folder written holds module.json, vectors.json, README.md and the sources
of one language; it builds with ``build`` and passes its own vectors as written. Templates
live in ``autocodec/templates/<lang>/<kind>/``; ``{{name}}`` in them becomes the module name.
Vectors are shared by every language of a kind (one behaviour, several implementations).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from ..abi import Kind
from ._errors import InvalidModuleSource, ModuleBuildError
from ._vectors import TEMPLATE_VECTORS

LANGS = ("c", "zig", "assemblyscript", "rust")
#: Private-use codes (multicodec table: 0x300000-0x3fffff) the templates default to.
DEFAULT_CODES: dict[Kind, int] = {Kind.CODEC: 0x300001, Kind.HASHER: 0x300002, Kind.CRYPTO: 0x300003}
DESCRIPTIONS: dict[Kind, str] = {
    Kind.CODEC: "a toy codec: UTF-8 text as the list of its lines",
    Kind.HASHER: "a toy hasher: FNV-1a 64 (not for security)",
    Kind.CHUNKER: "a toy chunker: fixed-size chunks of params.size bytes",
    Kind.CRYPTO: "a toy crypto verifier: valid when the signature equals the key XOR the message (not secure)",
    Kind.TASK: "a toy task: add(a, b) of two unsigned integers",
    Kind.VERIFIER: "a toy verifier",
}
TASK_FUNCTIONS = ["add"]
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


def available(lang: str) -> list[Kind]:
    """The kinds that have a template in ``lang``."""
    root = resources.files("autocodec.templates").joinpath(lang)
    return [k for k in Kind if root.joinpath(k.value).is_dir()]


def _template_files(lang: str, kind: Kind) -> list[tuple[str, str]]:
    if lang not in LANGS:
        raise InvalidModuleSource(f"no SDK for language {lang!r}; choose one of {', '.join(LANGS)}",
                                  hint="docs/abi.md section 7 lists the languages and their toolchains")
    folder = resources.files("autocodec.templates").joinpath(lang).joinpath(kind.value)
    if not folder.is_dir():
        have = ", ".join(k.value for k in available(lang)) or "none"
        raise InvalidModuleSource(f"there is no {lang} template for a {kind} yet ({lang} has: {have})",
                                  hint="scaffold one of the kinds listed; docs/abi.md section 3 describes every kind")
    return sorted((f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir()
                  if f.is_file() and not f.name.startswith("."))


def _try_lines(name: str, kind: Kind, codes: list[int]) -> str:
    """Commands that run the built module before it is published (``--module`` or an allow-listed
    CID), for the kinds the command line can call; empty for the others."""
    wasm = f"{name}.wasm"
    if kind is Kind.CODEC:
        return (f"printf 'hello\\nworld' | autocodec block put --codec {codes[0]:#x} --module {wasm}   # prints CID\n"
                f"autocodec decode CID --module {wasm}                       # [\"hello\",\"world\"]\n")
    if kind is Kind.HASHER:
        return f"autocodec hash --hash {codes[0]:#x} --module {wasm} FILE\n"
    if kind is Kind.CHUNKER:
        return f"autocodec add --chunker {name}:size=4 --module {wasm} FILE\n"
    if kind is Kind.TASK:
        return (f"autocodec block put {wasm}                  # prints CID\n"
                "autocodec trust add CID                     # you vouch for it in this home\n"
                "autocodec run CID add --arg 1 --arg 2       # 3\n")
    return ""


def _readme(name: str, folder: str, lang: str, kind: Kind, sources: list[str], codes: list[int]) -> str:
    """The scaffold's README: its commands run from the folder that holds ``folder``."""
    tried = _try_lines(name, kind, codes)
    return (f"# {name}\n\n{DESCRIPTIONS[kind]} - a {kind} module written in {lang} against the autocodec "
            f"ABI v1 (docs/abi.md).\n\nSources: {', '.join(sources)}; metadata: module.json; test vectors: "
            f"vectors.json.\n\nFrom the folder that holds `{folder}/`:\n\n```\n"
            f"autocodec module build {folder} -o {name}.wasm     # reproducible: same sources, same bytes\n"
            f"autocodec module test {name}.wasm {folder}/vectors.json\n"
            f"autocodec module inspect {name}.wasm\n"
            f"autocodec publish {name}.wasm --key KEY --vectors {folder}\n```\n"
            + (f"\nTry it before publishing:\n\n```\n{tried}```\n" if tried else ""))


def scaffold(folder: Path, lang: str, kind: str, *, name: str | None = None, code: int | None = None) -> dict[str, Any]:
    """Write a new module folder; returns its module.json document. Refuses a non-empty folder."""
    try:
        k = Kind(kind)
    except ValueError:
        raise InvalidModuleSource(f"kind must be one of {', '.join(x.value for x in Kind)}",
                                  hint="docs/abi.md section 3 describes every kind") from None
    files = _template_files(lang, k)
    where = Path(os.path.abspath(folder))  # "." is the current folder, named as it is named
    name = name or where.name
    if not _NAME.match(name):
        raise InvalidModuleSource(f"module name {name!r} must be lowercase letters, digits and '-' "
                                  "(starting with a letter)",
                                  hint="name the folder so, or give the module a name of its own")
    if where.exists() and (not where.is_dir() or any(where.iterdir())):
        raise InvalidModuleSource(f"{folder} already exists and is not an empty folder",
                                  hint="scaffold into a new or empty folder; nothing was written")
    if code is not None and not k.coded:
        raise InvalidModuleSource(f"a {k} has no code", hint="leave the code out for this kind")
    meta: dict[str, Any] = {
        "name": name, "kind": k.value, "version": "0.1.0", "description": DESCRIPTIONS[k],
        "codes": [code if code is not None else DEFAULT_CODES[k]] if k.coded else [],
    }
    if k is Kind.TASK:
        meta["functions"] = list(TASK_FUNCTIONS)
    vectors = TEMPLATE_VECTORS[k](meta["codes"])
    _write_folder(where, [(fname, text.replace("{{name}}", name)) for fname, text in files] + [
        ("module.json", json.dumps(meta, indent=2, sort_keys=True) + "\n"),
        ("vectors.json", json.dumps(vectors, indent=1, sort_keys=True) + "\n"),
        ("README.md", _readme(name, where.name, lang, k, [f for f, _ in files], meta["codes"])),
    ])
    return meta


def _write_folder(folder: Path, files: list[tuple[str, str]]) -> None:
    """``files`` written into a new hidden folder, then moved into place once all are written:
    a full disk or a failed write leaves no half a module folder. An absent ``folder`` is that
    folder renamed; an existing empty one (the current folder, say) stays the same folder, the
    files renamed into it. ``ModuleBuildError`` naming the folder when it cannot be written."""
    existing = folder.is_dir()
    temp = (folder if existing else folder.parent) / f".{folder.name[:96]}.{secrets.token_hex(6)}.part"
    try:
        temp.parent.mkdir(parents=True, exist_ok=True)
        temp.mkdir()
    except OSError as exc:
        raise _cannot_write(folder, exc) from None
    moved: list[Path] = []
    try:
        for fname, text in files:
            (temp / fname).write_text(text, encoding="utf-8")
        if not existing:
            os.rename(temp, folder)
            return
        for fname, _ in files:
            os.rename(temp / fname, folder / fname)
            moved.append(folder / fname)
        temp.rmdir()
    except BaseException as exc:
        for path in moved:
            path.unlink(missing_ok=True)
        shutil.rmtree(temp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise _cannot_write(folder, exc) from None
        raise


def _cannot_write(folder: Path, exc: OSError) -> ModuleBuildError:
    return ModuleBuildError(f"cannot write the module folder {folder}: {exc.strerror or exc}",
                            hint="check that its parent folder is writable and has free space")
