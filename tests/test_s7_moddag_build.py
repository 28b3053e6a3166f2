"""A module over 1 MiB has its UnixFS file DAG built once per publish, and once per fetch of a
pinned set's module then loaded: the sandbox's CID check (``module_cid``) of the very bytes just
built answers the root remembered (``autocodec.modcid``). On the old code a publish built it twice
(the sandbox's load named the bytes, then ``module_blocks``), as did a fetch then load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autocodec import modcid, unixfs
from autocodec.registry import Runtime, publish_module
from autocodec.verify import KeyRing, Manifest, fetch_module, module_blocks
from tests._big_module import GIT_RAW, with_padding


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the files ``unixfs.file_blocks`` (the DAG builder) was given."""
    seen: list[int] = []
    real = unixfs.file_blocks

    def counted(data: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(len(data))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(unixfs, "file_blocks", counted)
    monkeypatch.setattr(modcid, "_last", None, raising=False)
    return seen


def test_a_publish_builds_the_dag_once(tmp_path: Path, builds: list[int]) -> None:
    module = tmp_path / "big.wasm"
    module.write_bytes(with_padding(GIT_RAW.read_bytes(), 5 << 20))
    with Runtime(tmp_path / "home", default_set=False) as rt:
        key = KeyRing(rt.home.keys_dir).generate("ann")
        published = publish_module(rt, module, key, vectors=GIT_RAW.parent)
    assert published.module_cid == module_blocks(module.read_bytes()).cid  # (a build of its own)
    assert builds[:-1] == [module.stat().st_size]


def test_a_fetched_module_is_loaded_without_building_its_dag_again(tmp_path: Path, builds: list[int]) -> None:
    wasm = with_padding(GIT_RAW.read_bytes(), 3 << 20)
    built = module_blocks(wasm)
    manifest = Manifest(kind="codec", name="git-raw", codes=(0x78,), module=built.cid, size=len(wasm),
                        version="1.0.0", publisher="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", issued=0)
    store = dict(built.blocks)
    builds.clear()
    with Runtime(tmp_path / "home", default_set=False) as rt:
        data = fetch_module(manifest, store.__getitem__)
        assert builds == [len(wasm)]  # the fetch checks the layout: one CID, one set of bytes
        rt.sandbox.load(data, cid=built.cid)
    assert builds == [len(wasm)]


def test_other_bytes_of_the_same_content_are_built_again(builds: list[int]) -> None:
    wasm = with_padding(GIT_RAW.read_bytes(), 2 << 20)
    root = module_blocks(wasm).cid
    copy = bytes(bytearray(wasm))
    assert copy is not wasm and modcid.module_cid(copy) == root and len(builds) == 2
    assert modcid.module_cid(wasm[:-1] + b"\x01") != root
