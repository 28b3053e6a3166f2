"""A module bigger than a block, for the module-DAG tests: ``GIT_RAW`` (the built git-raw codec) grown
by ``with_padding`` to ``BIG`` (5 MiB, past bitswap's 4 MiB) with a custom section wasmtime ignores;
``big_module`` writes it to a folder. ``GIT_BLOB`` is a git blob the codec decodes.
"""

from __future__ import annotations

from pathlib import Path

from autocodec.cid import encode_varint

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"
GIT_BLOB = b"blob 6\x00hello\n"  # `git hash-object` of "hello\n"
BIG = 5 * 1024 * 1024  # past bitswap's 4 MiB (3 MiB moved as one block already)


def with_padding(wasm: bytes, size: int) -> bytes:
    """``wasm`` grown to about ``size`` bytes by a custom section (``padding``) at its end:
    the same code, which wasmtime runs unchanged (custom sections are not executed)."""
    name = b"padding"
    filler = bytes(i * 7 % 251 for i in range(max(0, size - len(wasm) - 16)))
    body = encode_varint(len(name)) + name + filler
    return wasm + b"\x00" + encode_varint(len(body)) + body


def big_module(folder: Path) -> Path:
    path = folder / "git-raw-big.wasm"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(with_padding(GIT_RAW.read_bytes(), BIG))
    return path
