"""CID text in every multibase Kubo reads, changed at its end, read as Kubo v0.43.1 reads it:
``autocodec cid format`` prints what ``ipfs cid format`` prints for the same arguments (the CIDs
both read, in order; the exit status).

What the random texts found (2026-12-07, ``autocodec/_go_multibase.py``): go-multibase reads
more than RFC 4648 in three bases and less in one, and ``CID.parse`` read them by the RFC:

- base32 unpadded (``b B v V``): a last group of 1, 3 or 6 characters is dropped, so
  ``bafk...jm`` with ``qfa`` after it is the same CID (a DAG-JSON link spelled so is read by
  Kubo; it was refused here);
- base32 padded (``c C t T``): padding ends the reading, and up to 7 characters after it are
  ignored;
- base2 (``0``): text not a multiple of 8 long gets zeros before it; a group may start with a
  sign (Go's ``ParseInt``);
- base64 padded (``M U``): padding longer than the last group needs was taken here, Kubo
  refuses it.

Texts: every base Kubo decodes, CIDs of 0-12 identity bytes (every length modulo 3 and 5) and
two sha2-256 ones, each as written and with 1-8 characters added, 1-3 cut, the last one
changed, padding of 0-7 ``=`` and ``=`` inside, CR or LF put inside, base2 cut at its start
and signed groups. The words of a refusal are each side's own (docs/cli.md); here the verdicts
and the CIDs printed are compared.

    .venv/bin/python -m tests.test_multibase_kubo SEED     # one more seed: the tally
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from autocodec.cid import CID, MULTIBASES
from tests import _kubo_pair
from tests._kubo import KuboRepo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]
kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

BATCH = 300
FORMAT = "%s|%P"
KUBO_BASES = [name for name in MULTIBASES if name not in ("base8", "base10", "base256emoji")]


def _cids() -> list[CID]:
    cids = [CID.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"),
            CID.parse("bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")]
    return cids + [CID.build(0x55, bytes([0, n]) + bytes(range(65, 65 + n))) for n in range(13)]


def texts(seed: int) -> list[str]:
    """The texts of one seed, each once, in a fixed order."""
    rng = random.Random(seed)
    out: list[str] = []
    for base in KUBO_BASES:
        for cid in _cids():
            text = MULTIBASES[base](bytes(cid))
            alphabet = sorted(set(text[1:]) | {"="})
            out.append(text)
            out += [text + "".join(rng.choice(alphabet) for _ in range(k)) for k in range(1, 9)]
            out += [text[:-k] for k in range(1, 4) if len(text) - k > 1]
            out += [text[:-1] + ch for ch in rng.sample(alphabet, min(6, len(alphabet)))]
            if "=" in text:
                bare = text.rstrip("=")
                out += [bare + "=" * k for k in range(8)] + [bare[:5] + "=" + bare[5:]]
            if base.startswith(("base32", "base64")):
                at = rng.randrange(1, len(text) + 1)
                out.append(text[:at] + rng.choice(["\n", "\r", "\r\n"]) + text[at:])
            if base == "base2":
                out += ["0" + text[1 + k:] for k in range(1, 9)]
                groups = [text[i:i + 8] for i in range(1, len(text), 8)]
                for _ in range(3):
                    signed = list(groups)
                    at = rng.randrange(len(signed))
                    signed[at] = rng.choice("+-") + signed[at][1:]
                    out.append("0" + "".join(signed))
    return list(dict.fromkeys(out))


def _answers(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, bytes]:
    proc = subprocess.run(argv, capture_output=True, env=env, timeout=300)
    return (0 if proc.returncode == 0 else 1), proc.stdout


def run(repo: KuboRepo, seed: int) -> tuple[dict[str, int], list[str]]:
    """Each batch of texts given to both programs (a text holding CR or LF alone, so a line of
    output is one text's): the tally of CIDs Kubo read and refused, and every batch that differs."""
    ours_argv = [sys.executable, "-m", "autocodec", "cid", "format", "-f", FORMAT]
    all_texts = texts(seed)
    batches = [[t] for t in all_texts if "\r" in t or "\n" in t]
    plain = [t for t in all_texts if "\r" not in t and "\n" not in t]
    batches += [plain[i:i + BATCH] for i in range(0, len(plain), BATCH)]
    tally = {"texts": len(all_texts), "read": 0}
    differences = []
    for batch in batches:
        theirs = repo.ipfs("cid", "format", "-f", FORMAT, *batch, check=False)
        kubos = ((0 if theirs.returncode == 0 else 1), theirs.stdout)
        ours = _answers([*ours_argv, *batch])
        tally["read"] += kubos[1].count(b"|")
        if ours != kubos:
            read_by_one = set(kubos[1].splitlines()) ^ set(ours[1].splitlines())
            differences.append(f"{len(batch)} texts from {batch[0]!r}: exit {ours[0]} (Kubo's {kubos[0]}); "
                               f"lines only one printed: {sorted(read_by_one)[:4]}")
    tally["refused"] = tally["texts"] - tally["read"]
    return tally, differences


def test_cid_texts_are_read_as_kubo_reads_them(kubo: KuboRepo) -> None:
    tally, differences = run(kubo, 0)
    assert not differences, "\n".join(differences[:5])
    assert tally["read"] >= 1000 and tally["refused"] >= 1000, tally  # both verdicts drawn


FOUND = {  # text: the CID Kubo reads it as (None: Kubo refuses it), each a verdict that was not Kubo's
    "bafkqafimvwgy3zaneqgc3janfxgy2lomvscay3jmqfa": "bafkqafimvwgy3zaneqgc3janfxgy2lomvscay3jm",
    "bafkqafimvwgy3zaneqgc3janfxgy2lomvscay3jmq": "bafkqafimvwgy3zaneqgc3janfxgy2lomvscay3jm",
    "cafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy======p":
        "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
    "T05AG02I1891K8HA68T44IIG=85HGI40": "bafkqacsbijbuirkgi5eessq",
    "MAVUAAA======": None,
    "UAVUAAUE=====": None,
    "0" + "1" + "".join(format(b, "08b") for b in bytes(CID.parse("bafkqaaa")))[8:]: "bafkqaaa",
    "0" + "".join("+" + format(b, "08b")[1:] for b in bytes(CID.parse("bafkqaaa"))): "bafkqaaa",
}


@pytest.mark.parametrize("text", list(FOUND))
def test_found_texts_are_kubos_cids(kubo: KuboRepo, text: str) -> None:
    theirs = kubo.ipfs("cid", "format", "-f", "%s", "-b", "base32", text, check=False)
    ours = _answers([sys.executable, "-m", "autocodec", "cid", "format", "-f", "%s", "-b", "base32", text])
    assert ours == ((0 if theirs.returncode == 0 else 1), theirs.stdout)
    expected = FOUND[text]
    assert theirs.stdout == (b"" if expected is None else expected.encode() + b"\n")
    if expected is None:
        with pytest.raises(Exception, match="base64"):
            CID.parse(text)
    else:
        assert str(CID.parse(text)) == expected


def test_a_dag_json_link_spelled_with_a_dropped_group_is_the_documented_canonical_refusal(
        kubo: KuboRepo, tmp_path: Path) -> None:
    """The block the fuzzer found (``tests/test_fuzz_kubo.py``, seed 20261207): Kubo's ``dag get``
    reads a link whose text ends in a group of 3 characters as the CID without them; here the
    link is the CID Kubo reads, not in its canonical text, so the block is refused as docs/bounds.md
    says ("DAG-JSON links are canonical only"), no longer as a CID that cannot be parsed."""
    block = b'{"v":{"/":"bafkqafimvwgy3zaneqgc3janfxgy2lomvscay3jmqfa"}}'
    (tmp_path / "b.json").write_bytes(block)
    cid = kubo.ipfs("block", "put", "--cid-codec", "dag-json", tmp_path / "b.json").stdout.decode().strip()
    assert kubo.ipfs("dag", "get", cid).stdout == b'{"v":{"/":"bafkqafimvwgy3zaneqgc3janfxgy2lomvscay3jm"}}'
    from autocodec import builtin
    from autocodec.errors import InvalidBlock

    with pytest.raises(InvalidBlock, match="is not in canonical form"):
        builtin.decode(block, "dag-json", strict=False)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="multibase-") as scratch:
        found_tally, found = run(KuboRepo.create(Path(scratch) / "kubo"), int(sys.argv[1]))
        print("\n".join(found))
        print(found_tally, len(found), "differences")
