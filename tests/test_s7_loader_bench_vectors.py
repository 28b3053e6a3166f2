"""The bench reads a module's shipped test vectors (a wheel has no ``wasm-src``) as a home reads
vectors: ``loader.decode_vectors`` under the limits given (``serve.rss-per-upgrade`` passes its
publishing home's), not ``builtin.decode`` under the default decode limits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.bench import _data
from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import InvalidDocument


def test_shipped_vectors_are_read_under_the_limits_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = (_data.WASM_SRC / "git-raw" / "vectors.json").read_bytes()
    monkeypatch.setattr(_data, "WASM_SRC", tmp_path / "wasm-src")  # as from a wheel
    shallow = dataclasses.replace(DEFAULT_LIMITS, decode=dataclasses.replace(DEFAULT_LIMITS.decode, max_depth=2))
    with pytest.raises(InvalidDocument, match="the vectors document is not DAG-CBOR"):
        _data.module_vectors_json("git-raw", shallow)
    small = dataclasses.replace(DEFAULT_LIMITS, trust=dataclasses.replace(DEFAULT_LIMITS.trust, max_vectors_bytes=64))
    with pytest.raises(InvalidDocument, match="vectors"):
        _data.module_vectors_json("git-raw", small)
    read = _data.module_vectors_json("git-raw", DEFAULT_LIMITS)
    assert read == _data.module_vectors_json("git-raw")
    assert builtin.decode(read, "dag-json") == builtin.decode(source, "dag-json")
