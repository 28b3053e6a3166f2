"""Session 11 audit of the builtin codecs and hashers beside Kubo 0.43.1: the divergences found and
fixed, each row run by both programs (``tests/_kubo_pair``: Kubo offline, our CLI on a fresh home).

- ``block put --mhtype``, ``dag put --hash`` and ``dag import`` stored blocks under hashes boxo
  verifcid's allowlist leaves out (blake2b-8..152, sha2-384, sha2-224, sha2-512-224/256), which
  Kubo refuses in all three: "potentially insecure hash functions not allowed". ``ipfs cid
  hashes`` lists allowed hashes only, so the earlier sweep (``test_cid_kubo.py``) never tried them.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from autocodec.builtin import multihash_digest
from autocodec.cid import CID, encode_varint
from autocodec.store import CarWriter
from tests import _kubo_pair
from tests._kubo import KuboRepo
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours

DOCUMENT = b'{"a":[1,{"/":"bafkqaaa"}]}'

# (command, hash option, hash): refused by Kubo as "potentially insecure" unless marked allowed
PUTS = [
    *[(["block", "put"], "--mhtype", name) for name in ("blake2b-8", "blake2b-152", "md5", "murmur3-x64-64")],
    *[(["dag", "put"], "--hash", name) for name in ("blake2b-8", "blake2b-152", "sha2-384", "sha2-224",
                                                     "sha2-512-224", "sha2-512-256", "md5", "0x20")],
]
ALLOWED = [(["block", "put"], "--mhtype", "blake2b-160"), (["dag", "put"], "--hash", "blake2b-160"),
           (["dag", "put"], "--hash", "sha2-512")]


@pytest.mark.parametrize(("command", "option", "name"), PUTS + ALLOWED)
def test_put_refuses_the_hashes_kubo_calls_insecure(kubo: KuboRepo, ours: Ours, command: list[str], option: str,
                                                    name: str) -> None:
    """Refused by both (ours in one line, saying why) or stored under the same CID by both."""
    theirs = kubo.ipfs(*command, option, name, input=DOCUMENT, check=False)
    code, out, err = ours.run(*command, option, name, stdin=DOCUMENT)
    allowed = (command, option, name) in ALLOWED
    assert (theirs.returncode == 0) == allowed, theirs.stderr
    assert (code == 0) == allowed, err
    if allowed:
        assert out == theirs.stdout
    else:
        assert b"potentially insecure hash functions not allowed" in theirs.stderr
        assert err.count(b"\n") == 1 and b"potentially insecure hash function" in err, err
        cid = theirs.stdout.strip().decode()  # Kubo prints dag put's CID, then fails; block put's is not printed
        if cid:
            assert ours.run("block", "stat", cid)[0] != 0  # nothing was stored here


def _car(hash_name: str, tmp_path: Path) -> tuple[Path, str]:
    """A CAR of one raw block whose CID uses ``hash_name``, and that CID."""
    data = b"a block under a short hash"
    cid = CID.build(0x55, multihash_digest(data, hash_name))
    out = io.BytesIO()
    CarWriter(out, [cid]).write(cid, data)
    path = tmp_path / f"{hash_name}.car"
    path.write_bytes(out.getvalue())
    return path, str(cid)


@pytest.mark.parametrize("hash_name", ["blake2b-8", "blake2b-152", "blake2b-160"])
def test_dag_import_refuses_blocks_under_insecure_hashes(kubo: KuboRepo, ours: Ours, tmp_path: Path,
                                                         hash_name: str) -> None:
    """``dag import`` of a block whose CID's hash Kubo calls insecure fails in both and stores
    nothing here; blake2b-160 (allowed) imports in both."""
    car, cid = _car(hash_name, tmp_path)
    theirs = kubo.ipfs("dag", "import", car, check=False)
    code, _out, err = ours.run("dag", "import", str(car))
    if hash_name == "blake2b-160":
        assert theirs.returncode == 0 and code == 0, (theirs.stderr, err)
        assert ours.run("block", "stat", cid)[0] == 0
        return
    assert theirs.returncode != 0 and b"potentially insecure" in theirs.stderr, theirs.stderr
    assert code != 0 and err.count(b"\n") == 1, err
    assert f"import failed at block {cid}: {hash_name} is a potentially insecure".encode() in err, err
    assert ours.run("block", "stat", cid)[0] != 0


# Plain JSON as Kubo writes it: ``dag put --store-codec json`` and ``dag get --output-codec json``
# re-serialised the JSON codec's text with Python's ``json.dumps``, which writes -0.0 as ``0``,
# 1e-7 as ``1e-07`` and U+2028/U+2029 unescaped: other bytes, so another CID, than Kubo's.
JSON_VALUES = [b"[-0.0]", b"-0.0", b"[1e-7,1.5e-10,5e-324,1e21,0.000001]", b'["\\u2028","\\u2029"]',
               b'{"b":{"z":[],"a":{}},"a":[[],{},[1,{"x":null}]],"":true}']


@pytest.mark.parametrize("document", JSON_VALUES)
def test_plain_json_is_written_as_kubo_writes_it(kubo: KuboRepo, ours: Ours, document: bytes) -> None:
    """The same CID and block for ``dag put --store-codec json``, and the same text for ``dag get
    --output-codec json`` of the DAG-CBOR block holding the value."""
    theirs = kubo.ipfs("dag", "put", "--store-codec", "json", input=document).stdout
    assert ours.out("dag", "put", "--store-codec", "json", stdin=document) == theirs
    cid = theirs.strip().decode()
    assert ours.out("block", "get", cid) == kubo.ipfs("block", "get", cid).stdout
    cbor = kubo.ipfs("dag", "put", input=document).stdout
    assert ours.out("dag", "put", stdin=document) == cbor
    shown = kubo.ipfs("dag", "get", "--output-codec", "json", cbor.strip().decode()).stdout
    assert ours.out("dag", "get", "--output-codec", "json", cbor.strip().decode()) == shown


def _car_under(code: int, digest: bytes, data: bytes, tmp_path: Path) -> Path:
    cid = CID.build(0x55, encode_varint(code) + encode_varint(len(digest)) + digest)
    out = io.BytesIO()
    CarWriter(out, [cid]).write(cid, data)
    path = tmp_path / f"{code:x}.car"
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize(("code", "name"), [(0x1012, "sha2-256-trunc254-padded"), (0xB401, "poseidon")])
def test_a_hash_kubo_does_not_compute_is_left_to_extensions(kubo: KuboRepo, ours: Ours, tmp_path: Path,
                                                            code: int, name: str) -> None:
    """Kubo says "no such hash registered" (it computes none of them), not "insecure": here such a
    code is an extension hasher's to provide (``UnknownHash`` saying so while none is pinned), not
    refused as insecure. Fails on d0f10e2, which called every code off the allowlist insecure."""
    data = os.urandom(16)
    car = _car_under(code, hashlib.sha256(data).digest(), data, tmp_path)
    theirs = kubo.ipfs("dag", "import", car, check=False)
    assert theirs.returncode == 1 and b"no such hash registered" in theirs.stderr, (name, theirs.stderr)
    code_, _out, err = ours.run("dag", "import", str(car))
    assert code_ == 1 and b"UnknownHash" in err and b"pin an extension set" in err, (name, err)


def test_blake2s_under_160_bits_is_refused_as_a_short_digest(ours: Ours, tmp_path: Path) -> None:
    """blake2s-128 (16 bytes, under Kubo's 20-byte minimum; Kubo computes no blake2s-8..152) is
    refused, blake2s-160 (written down as taken beyond Kubo, docs/unixfs.md) imports."""
    data = os.urandom(16)
    short = _car_under(0xB250, hashlib.blake2s(data, digest_size=16).digest(), data, tmp_path)
    code, _out, err = ours.run("dag", "import", str(short))
    assert code == 1 and b"potentially insecure" in err, err
    fits = _car_under(0xB254, hashlib.blake2s(data, digest_size=20).digest(), data, tmp_path)
    assert ours.run("dag", "import", str(fits))[0] == 0
