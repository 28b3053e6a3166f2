"""The eth-* modules (wasm-src/eth-*) and their reference, go-codec-dageth v0.1.0 (tests/go-ref/dageth),
shared by the tests that compare the two.

- ``gen``: wasm-src/eth-common/make_vectors.py, loaded once (corpus blocks, malformed blocks, and
  ``reference``, which runs the Go helper); ``CODES``: module name -> multicodec; ``TRIES``: the
  trie codecs; ``rlp_encode``: pyrlp's encoding as bytes; ``load_module``: a module by file path;
- fixtures (module scope): ``sandbox``, ``codecs`` (module name -> loaded module), ``helper`` (the
  built go-codec-dageth binary, current with its sources: a skip if not, a failure under CI=true);
- where the modules and the reference may differ by design (the .ipldsch READMEs): ``extension``
  (only the modules decode) and ``stricter`` (only the reference does); each returns the reason or None.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from autocodec.loader import Sandbox

from .conftest import REPO, WASM_SRC

pytest.importorskip("rlp", reason="pyrlp builds the corpus")
pytest.importorskip("Crypto", reason="pycryptodome's keccak builds the corpus")

import rlp  # type: ignore[import-untyped]  # noqa: E402


def rlp_encode(value: Any) -> bytes:
    out: bytes = rlp.encode(value)
    return out


def load_module(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gen = load_module("eth_family_vectors", WASM_SRC / "eth-common" / "make_vectors.py")

CODES: dict[str, int] = gen.CODES
TRIES = {"eth-tx-trie", "eth-tx-receipt-trie", "eth-state-trie", "eth-storage-trie", "eth-receipt-log-trie"}
HELPER = REPO / ".cache" / "go" / "bin" / "dageth-ref"


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture(scope="module")
def codecs(sandbox: Sandbox) -> dict[str, Any]:
    return {name: sandbox.load((WASM_SRC / name / f"{name}.wasm").read_bytes()) for name in CODES}


def _helper_stamp() -> str:
    """What tools/setup.d/40-go-dageth.sh writes beside the binary: its sources' sha256, 16 hex."""
    src = REPO / "tests" / "go-ref" / "dageth"
    data = b"".join((src / name).read_bytes() for name in ("go.mod", "go.sum", "main.go"))
    return hashlib.sha256(data).hexdigest()[:16]


@pytest.fixture(scope="module")
def helper() -> Path:
    """The go-codec-dageth helper, built and current (a failure under CI=true, else a skip)."""
    version = HELPER.with_name("dageth-ref.version")
    problem = None
    if not HELPER.is_file():
        problem = "the go-codec-dageth helper is not built"
    elif not version.is_file() or version.read_text().strip() != _helper_stamp():
        problem = "the go-codec-dageth helper is older than its sources"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem} (tools/setup.d/40-go-dageth.sh)")
        pytest.skip(f"{problem}: run bash tools/setup.d/40-go-dageth.sh (needs Go)")
    return HELPER


def extension(name: str, block: bytes) -> str | None:
    """Why the reference (go-ethereum v1.10.10 inside go-codec-dageth) cannot decode a block we
    decode, when that is a documented extension; None otherwise."""
    if name in ("eth-block", "eth-block-list"):
        headers = [block] if name == "eth-block" else [rlp_encode(h) for h in rlp.decode(block)]
        if any(len(rlp.decode(h)) > 16 for h in headers):
            return "fork fields after London"
    if name in ("eth-tx", "eth-tx-receipt") and block[0] in (3, 4):
        return "transaction type after EIP-1559"
    return None


def stricter(name: str, block: bytes) -> str | None:
    """Why we refuse a block the reference accepts, when it is a documented strictness (see the
    trie codecs' .ipldsch); None otherwise."""
    if name not in TRIES:
        return None
    try:
        items = rlp.decode(block)
    except Exception:  # noqa: BLE001 - pyrlp's many error types: not a clean RLP list
        return None
    if not isinstance(items, list):
        return None
    if len(items) not in (2, 17):
        return "neither 2 nor 17 items: the reference writes an empty map"
    if len(items) == 2:
        path = items[0]
        if isinstance(path, bytes) and len(path) > 33:
            return "a partial path of more than 64 nibbles"
        if isinstance(path, bytes) and path and path[0] >> 4 in (0, 1) and items[1] != b"" and (
                not isinstance(items[1], bytes) or len(items[1]) != 32):
            return "an extension child that is not a 32-byte hash"
        if isinstance(path, bytes) and path and path[0] >> 4 in (0, 2) and path[0] & 15:
            return "a non-zero pad nibble"
    return None
