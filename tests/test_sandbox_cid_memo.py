"""``Sandbox.load(wasm, cid=...)`` checks the CID once per bytes and CID, never skips it.

A module over 1 MiB is named by its UnixFS file DAG's root, so the check rebuilds the DAG
(``modcid.module_cid``); an executor loads a task module once per job. The memo is keyed by the
bytes' sha2-256, the limits and the CID, so a hit is bytes already checked under that CID.
"""

from __future__ import annotations

import pytest

from autocodec.errors import HashMismatch
from autocodec.loader import Sandbox, _sandbox
from autocodec.modcid import module_cid
from tests._big_module import BIG, GIT_RAW, with_padding


@pytest.fixture(scope="module")
def big() -> bytes:
    return with_padding(GIT_RAW.read_bytes(), BIG)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record each CID check (the real one still runs)."""
    calls: list[object] = []
    real = _sandbox._check_cid

    def spy(cid: object, wasm: bytes, sha: bytes) -> None:
        calls.append(cid)
        real(cid, wasm, sha)  # type: ignore[arg-type]

    monkeypatch.setattr(_sandbox, "_check_cid", spy)
    return calls


def test_a_repeat_load_under_the_same_cid_does_not_rebuild_the_module_dag(
        big: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = module_cid(big)
    assert cid.codec == 0x70  # a module DAG: the check is a rebuild
    sandbox = Sandbox()
    calls = _counting(monkeypatch)
    first = sandbox.load(big, cid=cid)
    assert sandbox.load(big, cid=cid) is first
    assert calls == [cid]


def test_the_memo_never_answers_for_other_bytes_or_another_cid(big: bytes) -> None:
    sandbox = Sandbox()
    cid = module_cid(big)
    sandbox.load(big, cid=cid)
    other = big[:-1] + bytes([big[-1] ^ 1])  # one padding byte changed: still a valid module
    with pytest.raises(HashMismatch):
        sandbox.load(other, cid=cid)
    with pytest.raises(HashMismatch):
        sandbox.load(big, cid=module_cid(other))
    small = GIT_RAW.read_bytes()
    sandbox.load(small, cid=module_cid(small))
    with pytest.raises(HashMismatch):
        sandbox.load(small, cid=module_cid(small + b"\x00"))
