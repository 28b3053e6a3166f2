"""Start-up of a Wasm-codec decode (issue 17): remembered signature checks and lazy imports.

A manifest's publisher signature, once verified, is remembered by (envelope CID, key) in the
home, so a later command neither re-checks it nor imports ``cryptography``; revocation and
expiry are still decided on every call.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec.builtin import decode, encode
from autocodec.cid import CID
from autocodec.errors import RevokedError
from autocodec.verify import PublicKey, TrustStore, open_envelope
from autocodec.verify._canonical import document_cid
from autocodec.verify._sigmemo import MemorySignatures
from tests._world import NOW, World


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _forged(data: bytes) -> bytes:
    """The same envelope with its first signature's last byte flipped (another CID)."""
    value = decode(data, "dag-cbor")
    sig = bytearray(value["signatures"][0]["sig"])
    sig[-1] ^= 1
    value["signatures"][0]["sig"] = bytes(sig)
    return encode(value, "dag-cbor")


def test_memo_is_keyed_by_the_envelope_and_never_outranks_revocation() -> None:
    w = World()
    mcid = w.manifest(codes=(0x300001,))
    data = w.blocks[mcid]
    memo = MemorySignatures()
    env = open_envelope(data, "manifest", max_bytes=1 << 20, max_signatures=64)
    keys = {w.publisher.did}
    assert env.signers(keys, memo=memo) == keys
    assert memo.known(env.cid, w.publisher.did)
    # a tampered signature is another envelope: the memo of the genuine one does not vouch for it
    bad = open_envelope(_forged(data), "manifest", max_bytes=1 << 20, max_signatures=64)
    assert bad.cid != env.cid and bad.payload == env.payload
    assert bad.signers(keys, memo=memo) == set()
    assert not memo.known(bad.cid, w.publisher.did)
    # a remembered signature by a revoked key does not count
    assert env.signers(keys, revoked={w.publisher.did}, memo=memo) == set()


def _pinned(home: Path) -> tuple[World, CID, Path]:
    """A world whose set, listing one codec manifest, is pinned in ``home``; the manifest's CID
    and the store's database."""
    w = World()
    mcid = w.manifest(codes=(0x300001,))
    idx = w.index(1, [("codec", 0x300001, mcid)])
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], idx, w.fetch, root_cid=w.anchor, now=NOW)
        return w, mcid, Path(store.blocks.path)


def test_pin_remembers_publisher_signatures_and_resolve_uses_them(home: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    w, mcid, db = _pinned(home)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT document, keyid FROM trust_signatures").fetchall() == [
            (str(mcid), w.publisher.did)]

    def no_check(self: PublicKey, signature: bytes, message: bytes) -> bool:
        raise AssertionError("a remembered signature was checked again")

    with monkeypatch.context() as m:
        m.setattr(PublicKey, "verify", no_check)
        with TrustStore.open(home) as store:  # a new process: nothing in memory
            decision = store.resolve("codec", 0x300001, now=NOW)
            assert decision is not None and decision.manifest_cid == mcid
            store.revoke(w.publisher.did, "test")
            with pytest.raises(RevokedError):
                store.resolve("codec", 0x300001, now=NOW)


def test_a_home_without_the_memo_checks_once_then_remembers(home: Path) -> None:
    w, mcid, db = _pinned(home)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM trust_signatures")
    with TrustStore.open(home) as store:
        assert not store.known(mcid, w.publisher.did)
        assert store.resolve("codec", 0x300001, now=NOW) is not None
    with TrustStore.open(home) as store:
        assert store.known(mcid, w.publisher.did)
        assert not store.known(document_cid(_forged(w.blocks[mcid])), w.publisher.did)


@pytest.mark.slow
def test_decode_of_a_wasm_codec_block_imports_no_cryptography(tmp_path: Path) -> None:
    from autocodec.registry import Runtime

    home = tmp_path / "home"
    with Runtime(home) as rt:  # the default set: git-raw is a Wasm module
        cid = rt.put(b"blob 15\x00hello autocodec", "git-raw", "sha1")
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    argv = [sys.executable, "-X", "importtime", "-m", "autocodec", "decode", str(cid)]
    for _ in range(2):  # the first run may compile the module; the second is the warm start
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr[-500:]
    assert '"bytes"' in proc.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "wasmtime" in imported  # the Wasm codec really ran
    assert not {name for name in imported if name.startswith("cryptography")}
