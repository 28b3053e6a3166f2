"""Conformance with the official IPLD codec fixtures (ipld/codec-fixtures, see SOURCE).

Positive: decode each ``fixtures/<name>/<CID>.<codec>`` file, re-encode the value with every
codec that fixture has, and the CIDv1 (sha2-256) of each re-encoding must equal the CID in
that codec's file name. Negative: every case of ``negative-fixtures/<codec>/{decode,encode}``
must be rejected with the typed error (``InvalidBlock`` / ``EncodeError``). The README marks
no case as not applicable to a decoder/encoder pair, so nothing is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.builtin import cid_for, decode, encode, verify_cid
from autocodec.errors import EncodeError, InvalidBlock

from .conftest import CODEC_FIXTURES

POSITIVE = CODEC_FIXTURES / "fixtures"
NEGATIVE = CODEC_FIXTURES / "negative-fixtures"


def _positive_cases() -> list[tuple[Path, str]]:
    if not POSITIVE.is_dir():
        return []
    cases = []
    for folder in sorted(p for p in POSITIVE.iterdir() if p.is_dir()):
        for block in sorted(folder.iterdir()):
            cases.append((folder, block.suffix[1:]))
    return cases


def _negative_cases() -> list[tuple[str, str, dict]]:
    cases = []
    for path in sorted(NEGATIVE.glob("*/*/*.json")):
        codec, phase = path.parts[-3], path.parts[-2]
        for case in json.loads(path.read_text()):
            cases.append((codec, phase, case))
    return cases


POSITIVE_CASES = _positive_cases()
NEGATIVE_CASES = _negative_cases()


def test_fixtures_present() -> None:
    assert len(POSITIVE_CASES) > 250, f"codec fixtures missing under {CODEC_FIXTURES}"
    assert len(NEGATIVE_CASES) > 50


@pytest.mark.parametrize(
    ("folder", "codec"), POSITIVE_CASES, ids=[f"{f.name}/{c}" for f, c in POSITIVE_CASES]
)
def test_positive(folder: Path, codec: str) -> None:
    files = {p.suffix[1:]: p for p in folder.iterdir()}
    source = files[codec]
    data = source.read_bytes()
    expected = CID.parse(source.stem)
    verify_cid(expected, data)
    value = decode(data, codec)
    for target, path in files.items():
        encoded = encode(value, target)
        assert str(cid_for(encoded, target)) == path.stem, f"{codec} -> {target}"
        if target == codec:
            assert encoded == data  # canonical: the exact bytes come back


@pytest.mark.parametrize(
    ("codec", "phase", "case"),
    NEGATIVE_CASES,
    ids=[f"{c}/{p}/{case['name']}" for c, p, case in NEGATIVE_CASES],
)
def test_negative(codec: str, phase: str, case: dict) -> None:
    if phase == "decode":
        with pytest.raises(InvalidBlock):
            decode(bytes.fromhex(case["hex"]), codec)
    else:
        # the data-model form is given as DAG-JSON embedded in the fixture document
        value = decode(json.dumps(case["dag-json"]).encode(), "dag-json")
        with pytest.raises(EncodeError):
            encode(value, codec)
