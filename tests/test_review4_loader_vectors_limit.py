"""One size limit for a vectors document (``TrustLimits.max_vectors_bytes``), in both its forms:
``publish`` and ``module test`` decoded the DAG-JSON file under the 4 MiB block limit while the
file limit was 16 MiB (a 5 MiB file within the limit was "not valid DAG-JSON ... over
max_block_bytes"), the canary decoded the fetched DAG-CBOR block under the default gas (refusing
valid documents from 1.7 MiB), and publish stored blocks Kubo refuses. Now ``decode_vectors``
decodes under the one limit, ``VectorsTooLarge`` past it, and its default is Kubo's block limit.
Real modules (wasm-src/git-raw), real homes and keys, real Kubo."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from autocodec import builtin
from autocodec.config import DEFAULT_LIMITS, Limits, TrustLimits
from autocodec.errors import InvalidDocument, VectorsTooLarge
from autocodec.loader import Sandbox, run_vectors
from autocodec.loader._vectors import decode_vectors
from autocodec.registry import Runtime, publish_module
from autocodec.verify import KeyRing

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw"
MiB = 1 << 20


def trust(limit: int) -> TrustLimits:
    return dataclasses.replace(DEFAULT_LIMITS.trust, max_vectors_bytes=limit)


def big_doc(extra: int) -> dict[str, Any]:
    """git-raw's own vectors and one more case: ``extra`` bytes that are not a git object (refused)."""
    doc = builtin.decode((GIT_RAW / "vectors.json").read_bytes(), "dag-json")
    doc["cases"].append({"decode": b"\xff" * extra, "error": True})
    return doc  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def git_raw() -> Any:
    return Sandbox().load((GIT_RAW / "git-raw.wasm").read_bytes())


def test_a_document_over_the_block_limit_but_within_the_vectors_limit_runs(git_raw: Any) -> None:
    text = builtin.encode(big_doc(3 * MiB), "dag-json")
    assert DEFAULT_LIMITS.decode.max_block_bytes < len(text) < 6 * MiB
    report = run_vectors(git_raw, text, limits=trust(6 * MiB))
    assert report.ok, report.failures[:2]


def test_the_limit_holds_to_the_byte_in_both_forms() -> None:
    doc = big_doc(MiB)
    for codec in ("dag-json", "dag-cbor"):
        data = builtin.encode(doc, codec)
        assert decode_vectors(data, codec, trust(len(data)), decode=DEFAULT_LIMITS.decode) == doc
        with pytest.raises(VectorsTooLarge, match=f"is {len(data)} bytes, over the {len(data) - 1}-byte vectors limit") as info:
            decode_vectors(data, codec, trust(len(data) - 1), decode=DEFAULT_LIMITS.decode)
        assert isinstance(info.value, InvalidDocument) and "max_vectors_bytes" in (info.value.hint or "")


def test_a_block_of_small_integers_at_the_default_limit_decodes() -> None:
    """6 gas units a byte (measured): the default 10 Mi units refused such a block from 1.7 MiB."""
    limit = DEFAULT_LIMITS.trust.max_vectors_bytes
    doc = {"kind": "codec", "cases": [], "n": [0] * (limit - 32)}
    data = builtin.encode(doc, "dag-cbor")
    assert limit - 32 < len(data) <= limit
    assert decode_vectors(data, "dag-cbor", DEFAULT_LIMITS.trust, decode=DEFAULT_LIMITS.decode)["n"] == doc["n"]


def _publish(tmp_path: Path, limit: int, doc: dict[str, Any]) -> Any:
    folder = tmp_path / "mod"
    folder.mkdir(exist_ok=True)
    (folder / "git-raw.wasm").write_bytes((GIT_RAW / "git-raw.wasm").read_bytes())
    (folder / "vectors.json").write_bytes(builtin.encode(doc, "dag-json"))
    limits = dataclasses.replace(Limits(), trust=trust(limit))
    with Runtime(tmp_path / "home", default_set=False, limits=limits) as rt:
        key = KeyRing(rt.home.keys_dir).generate("k")
        try:
            published = publish_module(rt, folder / "git-raw.wasm", key)
        finally:
            rows = rt.store.read_rows("SELECT manifest_cid FROM registry_published", ())
        return published, rt.store.get(published.vectors_cid), rows


def test_publish_takes_a_file_within_the_homes_limit_and_stores_it(tmp_path: Path) -> None:
    doc = big_doc(3 * MiB)
    published, block, rows = _publish(tmp_path, 6 * MiB, doc)
    assert builtin.decode(block, "dag-cbor") == doc and len(rows) == 1


def test_publish_refuses_a_file_whose_block_is_over_the_limit(tmp_path: Path) -> None:
    """Floats are 9 bytes in DAG-CBOR, 4 in this DAG-JSON ('1.5,'): the file fits, its block does not."""
    doc = big_doc(0)
    doc["floats"] = [1.5] * 200_000
    text, block = builtin.encode(doc, "dag-json"), builtin.encode(doc, "dag-cbor")
    assert len(text) < MiB < len(block)
    with pytest.raises(VectorsTooLarge, match=f"as the DAG-CBOR block a manifest names is {len(block)} bytes, "
                                              f"over the {MiB}-byte vectors limit"):
        _publish(tmp_path, MiB, doc)
    with Runtime(tmp_path / "home", default_set=False) as rt:  # nothing was published
        assert rt.store.read_rows("SELECT manifest_cid FROM registry_published", ()) == []


@pytest.mark.slow
def test_the_default_limit_is_the_block_kubo_accepts(kubo_node: Any, tmp_path: Path) -> None:
    """Kubo 0.43.1: ``block put`` takes 2 MiB and refuses a byte more (so do ``dag put`` and
    bitswap's peers): a vectors block at the default limit can be shipped to a node."""
    limit = DEFAULT_LIMITS.trust.max_vectors_bytes
    for size, ok in ((limit, True), (limit + 1, False)):
        path = tmp_path / f"b{size}"
        path.write_bytes(b"\x01" * size)
        proc = kubo_node.ipfs("block", "put", "--cid-codec", "raw", path, check=False)
        assert (proc.returncode == 0) is ok, (size, proc.stderr[-300:])
        if not ok:
            assert b"big blocks can't be exchanged" in proc.stderr
