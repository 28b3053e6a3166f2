"""Helpers shared by the UnixFS parity tests and fixtures/unixfs/make_kubo_reference.py.

``our_add`` adds paths with ``autocodec.unixfs.Adder`` the way the Kubo tests compare them
(chunker and hasher modules from wasm-src, nothing stored); ``make_tree`` generates the
deterministic trees of odd names; ``kubo_flags`` spells ``AddOptions`` as Kubo's flags.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autocodec.cid import CID, encode_varint
from autocodec.cli._kubo import kubo_escape
from autocodec.codes import hash_code
from autocodec.loader import Sandbox, xorshift_bytes
from autocodec.unixfs import Adder, AddOptions

from .conftest import WASM_SRC

_SANDBOX = Sandbox()
_MODULES: dict[str, Any] = {}


def _module(name: str) -> Any:
    if name not in _MODULES:
        _MODULES[name] = _SANDBOX.load((WASM_SRC / name / f"{name}.wasm").read_bytes())
    return _MODULES[name]


def _multihash(hash_name: str) -> Callable[[bytes], bytes] | None:
    """None for builtin hashes; a Wasm hasher from wasm-src for blake3 and keccak-256."""
    code = hash_code(hash_name)
    from autocodec.builtin import has_hash

    if has_hash(code) or not (WASM_SRC / hash_name / f"{hash_name}.wasm").is_file():
        return None  # builtin, or none here: the adder says why it refuses it
    hasher = _module(hash_name).hasher()

    def multihash(block: bytes) -> bytes:
        digest = hasher.digest(block)
        return encode_varint(code) + encode_varint(len(digest)) + digest

    return multihash


class _NoStore:
    def put_many(self, batch: list[Any]) -> int:
        return len(batch)


_FLAGS = {  # AddOptions field -> Kubo flag
    "chunker": "--chunker", "cid_version": "--cid-version", "raw_leaves": "--raw-leaves", "hidden": "--hidden",
    "hash": "--hash", "trickle": "--trickle", "empty_dirs": "--empty-dirs", "max_file_links": "--max-file-links",
    "max_directory_links": "--max-directory-links", "max_hamt_fanout": "--max-hamt-fanout",
    "inline": "--inline", "inline_limit": "--inline-limit",
    "preserve_mode": "--preserve-mode",
    "preserve_mtime": "--preserve-mtime", "mode": "--mode", "follow_symlinks": "--dereference-symlinks",
}


def kubo_flags(options: dict[str, Any]) -> list[str]:
    out = []
    for key, value in options.items():
        if key == "mtime":  # (seconds, nanoseconds)
            out += [f"--mtime={value[0]}", f"--mtime-nsecs={value[1]}"]
        elif key == "mode":
            out.append(f"--mode=0o{value:o}")
        elif key == "ignore":  # a rule each
            out += [f"--ignore={rule}" for rule in value]
        else:
            out.append(f"{_FLAGS[key]}={str(value).lower() if isinstance(value, bool) else value}")
    return out


def our_add(paths: list[Path], options: dict[str, Any], wrap: bool = False) -> dict[str, CID]:
    opts = AddOptions(**options)
    adder = Adder(_NoStore(), opts, multihash=_multihash(opts.hash), chunker_module=_module)
    out: dict[str, CID] = {}
    tops = []
    for path in paths:
        added = list(adder.add_path(path, recursive=True))
        out.update({kubo_escape(a.path): a.cid for a in added})
        tops.append((added[-1].path, added[-1].link))
    if wrap:
        out[""] = adder.wrap(tops).cid
    return out


ODD_NAMES = [
    "plain", "with space", " leading space", "trailing space ", "tab\there", "new\nline", "-dash", "--double",
    "été", "日本語のファイル", "emoji-🚀🦀", "quote'single", 'quote"double', "back\\slash", "per%cent", "hash#tag",
    "question?", "star*", "amp&ersand", "semi;colon", "equals=sign", "plus+", "brackets[]{}()", "caret^tilde~",
    "at@", "comma,", "dollar$", "pipe|", "lt<gt>", "Case", "case", "CASE", "0", "00", "1e10", "x" * 200,
    "ø" * 100, "a.b.c", "ends.with.dot.", "~tilde",
]


def make_tree(root: Path, seed: int, entries: int) -> None:
    """A nested tree of about ``entries`` entries: odd names, hidden files and folders, empty files
    and folders, folders holding only hidden or empty things, symlinks (relative, absolute,
    dangling, to folders), a few multi-chunk files."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    dirs = [root]
    made = 0
    while made < entries:
        parent = rng.choice(dirs)
        kind = rng.random()
        name = rng.choice(ODD_NAMES)
        if rng.random() < 0.12:
            name = "." + name  # hidden
        name = f"{name}-{made}" if rng.random() < 0.7 else name
        path = parent / name
        if path.exists() or path.is_symlink():
            continue
        made += 1
        if kind < 0.12 and len(path.relative_to(root).parts) < 6:
            path.mkdir()
            dirs.append(path)
        elif kind < 0.17:
            target = rng.choice(["../x", "nowhere", "/etc/hostname", ".", "plain", "日本語"])
            path.symlink_to(target)
        elif kind < 0.175:
            path.write_bytes(xorshift_bytes(made, rng.randrange(262_145, 600_000)))
        else:
            path.write_bytes(xorshift_bytes(made, rng.choice([0, 1, 5, 100, 3000, 70_000])))
    for special in ("empty", "only-hidden", "only-empty/inner", "only-empty/inner2/deeper"):
        (root / special).mkdir(parents=True)
    (root / "only-hidden" / ".secret").write_bytes(b"s")
    (root / ".hidden-dir" / "sub").mkdir(parents=True)
    (root / ".hidden-dir" / "sub" / "f").write_bytes(b"in a hidden folder")
