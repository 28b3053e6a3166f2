"""DAG-CBOR blocks not in canonical form, read here and by Kubo v0.43.1: the same value or both
refuse.

The DAG-CBOR spec ("Decode strictness") lets decoders relax the canonical-form rules for
historical data, and Kubo does. Each block below is a generated value (tests/_ipld_values.py
``values``) written by a deliberately loose CBOR writer that picks, item by item: map entries
in a shuffled order, half or single floats where they hold the value exactly, ``undefined`` for
null, and stray tags (0, 1, 2, 5, 42, 100, 1000, 70000) on items that are not byte strings, map
keys included. A third of the blocks also get one fault that Kubo refuses (a non-minimal integer,
length or tag, an indefinite length, a repeated key, NaN, a simple value, two tags, a foreign
tag on a byte string, a byte-string key, a trailing byte). Every block is put into a real Kubo
with ``block/put`` and read with ``dag/get``; here it is read by ``builtin.decode(...,
strict=False)`` (what ``Runtime`` does by default). Both must give the same DAG-JSON text, or
both must refuse. ``strict=True`` refuses every block that is not canonical.
"""

from __future__ import annotations

import json
import random
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.errors import InvalidBlock
from tests._cli import run_cli
from tests._loose_cbor import FAULTS, LooseWriter
from tests._ipld_values import values
from tests._kubo_rpc import KuboRpc, kubo_rpc

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


def _blocks(count: int, seed: int) -> list[tuple[bytes, bool, str | None]]:
    """(block, whether any liberty or fault is in it, the fault planned)."""
    rng = random.Random(seed)
    out = []
    for value in values(count, seed):
        fault = rng.choice(FAULTS) if rng.random() < 0.33 else None
        writer = LooseWriter(rng, fault)
        block = writer.write(value)
        if fault == "trailing":
            writer.used = True
            block += b"\x00"
        out.append((block, writer.loose or writer.used, fault if writer.used else None))
    return out


@pytest.fixture(scope="module")
def rpc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboRpc]:
    yield from kubo_rpc(tmp_path_factory, "cbor-relaxed")


def _kubo_reads(rpc: KuboRpc, block: bytes) -> bytes | None:
    cid = json.loads(rpc.call("block/put", {"cid-codec": "dag-cbor", "mhtype": "sha2-256", "pin": "false"}, block))["Key"]
    try:
        return rpc.call("dag/get", {"arg": cid, "output-codec": "dag-json"}).rstrip(b"\n")
    except urllib.error.HTTPError as exc:
        assert exc.code == 500, exc.code
        return None


def _we_read(block: bytes, *, strict: bool) -> bytes | None:
    try:
        return builtin.encode(builtin.decode(block, "dag-cbor", strict=strict), "dag-json")
    except InvalidBlock:
        return None


@pytest.mark.parametrize("seed", range(3))
def test_loose_blocks_read_like_kubo(rpc: KuboRpc, seed: int) -> None:
    """150 loose blocks per seed: the same DAG-JSON as Kubo's ``dag get``, or both refuse."""
    differ, kinds = [], {"read": 0, "refused": 0, "faults": set()}
    for block, loose, fault in _blocks(150, seed):
        theirs, ours = _kubo_reads(rpc, block), _we_read(block, strict=False)
        if theirs != ours:
            differ.append((block.hex(), fault, theirs and theirs[:160], ours and ours[:160]))
        kinds["read" if theirs is not None else "refused"] += 1  # type: ignore[operator]
        if fault:
            kinds["faults"].add(fault)  # type: ignore[union-attr]
        strict = _we_read(block, strict=True)
        if loose:
            assert strict is None, f"strict decoding took a block that is not canonical: {block.hex()}"
        else:
            assert strict == ours, block.hex()
    assert not differ, differ[:3]
    # the generator reached both sides and (with three seeds) most faults
    assert kinds["read"] > 60 and kinds["refused"] > 10, kinds


def test_each_liberty_and_fault_alone(rpc: KuboRpc) -> None:
    """Hand-written blocks, one liberty or fault each, named so a failure says which."""
    cases = {
        "keys-by-bytes-not-length": "a26262620161610a",  # {"bb": 1, "a": 10}
        "half-float": "a16166f93e00",
        "half-subnormal": "a16166f90001",
        "single-float": "a16166fa3fc00000",
        "undefined": "a16175f7",
        "tag-on-int": "a16174c11a514b67b0",
        "tag-42-on-map": "a16174d82aa0",
        "tag-on-key": "a1c1616101",
        "tag-on-null": "a16174c5f6",
        "tag-on-list": "a16174d903e88101",
        "tag-on-float": "a16174c0fb3ff8000000000000",
        "repeated-key": "a2616101616102",
        "two-tags": "c1c101",
        "tag-2-on-bytes": "c24101",
        "tag-42-long-form": "d9002a4100",
        "nonminimal-int": "1801",
        "nonminimal-length": "780161",
        "indefinite-map": "bf616101ff",
        "nan": "f97e00",
        "infinity": "fa7f800000",
        "simple-16": "f0",
        "simple-one-byte": "f820",
        "int-key": "a10101",
        "bytes-key": "a1416101",
        "link-without-prefix": "d82a58250171122029a6cf3c6cc2c66a67e27de1d4c60ec0e1f3fa2a11e6bf3b4b8e0b1c8fcfd3c9",
        "trailing": "a0a0",
        "break-alone": "ff",
    }
    differ = {}
    for name, hexed in cases.items():
        block = bytes.fromhex(hexed)
        theirs, ours = _kubo_reads(rpc, block), _we_read(block, strict=False)
        if theirs != ours:
            differ[name] = (theirs, ours)
        assert _we_read(block, strict=True) is None, name
    assert not differ, differ


@pytest.mark.parametrize("hexed", ["a1617862ff61", "a1617863c32841", "a1617863eda080", "8262ff6161c3"])
def test_text_that_is_not_utf8_reads_as_kubo_shows_it(rpc: KuboRpc, hexed: str) -> None:
    """Kubo keeps a string's bytes whatever they are and ``dag get`` writes each byte that is
    not UTF-8 as ``\\ufffd``; here such a byte is a surrogate escape, written the same way."""
    block = bytes.fromhex(hexed)
    assert _kubo_reads(rpc, block) == _we_read(block, strict=False) is not None
    assert _we_read(block, strict=True) is None


def test_a_map_key_that_is_not_utf8_is_a_known_difference(rpc: KuboRpc) -> None:
    """Kubo reads a map key that is not UTF-8 too; this package refuses it (``_cbor_relaxed``)."""
    block = bytes.fromhex("a162ff6101")
    assert _kubo_reads(rpc, block) is not None
    assert _we_read(block, strict=False) is None


def test_dag_put_of_a_loose_block_stores_kubos_canonical_block(rpc: KuboRpc, tmp_path: Path) -> None:
    """``autocodec dag put --input-codec dag-cbor`` reads a loose block as Kubo's ``dag put``
    does and stores the same canonical block; with ``strict_blocks`` it refuses it."""
    block = bytes.fromhex("a3616ef93e006162c1f56161f7")  # {"n": 1.5 (half), "b": tag 1 true, "a": undefined}
    theirs = str(json.loads(rpc.call("dag/put", {"input-codec": "dag-cbor", "store-codec": "dag-cbor",
                                                  "pin": "false"}, block))["Cid"]["/"])
    source = tmp_path / "loose.cbor"
    source.write_bytes(block)
    home = tmp_path / "home"
    done = run_cli(home, "dag", "put", "--input-codec", "dag-cbor", str(source))
    assert done.stdout.decode().strip() == theirs
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text("[limits.decode]\nstrict_blocks = true\n")
    refused = run_cli(home, "dag", "put", "--input-codec", "dag-cbor", str(source), check=False)
    assert refused.returncode != 0 and b"Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr.decode()
