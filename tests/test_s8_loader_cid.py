"""``Sandbox.load(wasm, cid=...)`` builds a module DAG's root once per bytes, not once per object.

A module over 1 MiB is named by its UnixFS file DAG's root, so checking its CID built the DAG
(``modcid.module_cid``), which remembers only the very ``bytes`` object it last built. Equal bytes
in another object (read again, another sandbox, other limits) built it again. The check now
remembers roots by the sha2-256 of the bytes they were built over; bytes that do not hash to the
CID are still refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict

import pytest

from autocodec import modcid
from autocodec.cid import CID
from autocodec.errors import HashMismatch
from autocodec.loader import Sandbox, _sandbox
from tests._big_module import BIG, GIT_RAW, with_padding


@pytest.fixture(scope="module")
def big() -> bytes:
    return with_padding(GIT_RAW.read_bytes(), BIG)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count module DAG builds (the real build still runs), none remembered yet."""
    sizes: list[int] = []
    real = modcid.module_blocks

    def counted(wasm: bytes) -> modcid.ModuleBlocks:
        sizes.append(len(wasm))
        return real(wasm)

    monkeypatch.setattr(modcid, "module_blocks", counted)
    monkeypatch.setattr(_sandbox, "_dag_roots", OrderedDict(), raising=False)
    return sizes


def _copy(data: bytes) -> bytes:
    copy = bytes(bytearray(data))
    assert copy == data and copy is not data
    return copy


def test_a_copy_of_checked_bytes_loads_without_a_rebuild(big: bytes, builds: list[int]) -> None:
    cid = modcid.module_cid(_copy(big))
    assert cid.codec == modcid.DAG_PB and builds == [len(big)]
    sandbox = Sandbox()
    sandbox.load(_copy(big), cid=cid)
    other_limits = dataclasses.replace(sandbox.limits, idle_instances=2)  # the sandbox's memo misses
    sandbox.load(_copy(big), cid=cid, limits=other_limits)
    Sandbox().load(_copy(big), cid=cid)
    assert builds == [len(big), len(big)]  # the first check built it; the copies after did not


def _check(cid: CID, wasm: bytes) -> None:
    _sandbox._check_cid(cid, wasm, hashlib.sha256(wasm).digest())


def test_bytes_that_do_not_hash_to_the_cid_are_refused(big: bytes, builds: list[int]) -> None:
    other = big[:-1] + bytes([big[-1] ^ 1])  # one padding byte changed
    cid, other_cid = modcid.module_cid(_copy(big)), modcid.module_cid(_copy(other))
    _check(cid, _copy(big))
    _check(other_cid, _copy(other))
    built = len(builds)
    for cid_, wasm in ((cid, other), (other_cid, big)):
        with pytest.raises(HashMismatch):
            _check(cid_, _copy(wasm))
    assert len(builds) == built  # refused from what was remembered
    with pytest.raises(HashMismatch, match="not the UnixFS file"):
        Sandbox().load(_copy(other), cid=cid)
    _check(cid, _copy(big))
    _check(other_cid, _copy(other))


def test_the_roots_remembered_are_bounded(builds: list[int]) -> None:
    small = with_padding(GIT_RAW.read_bytes(), modcid.MODULE_BLOCK_BYTES + 4096)  # a DAG still
    wasms = [small[:-1] + bytes([i]) for i in range(_sandbox._DAG_ROOTS + 1)]
    cids = [modcid.module_cid(_copy(wasm)) for wasm in wasms]
    for cid, wasm in zip(cids, wasms):
        _check(cid, _copy(wasm))
    assert len(_sandbox._dag_roots) == _sandbox._DAG_ROOTS
    built = len(builds)
    _check(cids[-1], _copy(wasms[-1]))
    _check(cids[0], _copy(wasms[0]))  # the oldest was forgotten: built again, still checked
    assert len(builds) == built + 1
