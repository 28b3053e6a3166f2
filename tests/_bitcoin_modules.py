"""The bitcoin-* Wasm modules (wasm-src/bitcoin-*) and the real blocks they are tested on.

- ``RAW``: the whole mainnet blocks of fixtures/bitcoin/block-*.hex by file stem (``block-0``,
  ``block-100000``, ``block-542213``); ``NAMES``: multicodec -> the JS reference's word for it
  (tests/refjs/bitcoin_ref.mjs); ``MODULE_NAMES``: multicodec -> module name; ``wasm_path``: its .wasm;
- fixtures (module scope): ``loaded`` (multicodec -> loaded module), ``codecs`` (multicodec -> its codec).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.loader import Sandbox

from ._bitcoin_graph import BITCOIN_BLOCK, BITCOIN_TX, BITCOIN_WC
from .conftest import FIXTURES, WASM_SRC

BLOCK_FILES = sorted((FIXTURES / "bitcoin").glob("block-*.hex"))
RAW = {p.stem: bytes.fromhex(p.read_text().strip()) for p in BLOCK_FILES}
NAMES = {BITCOIN_BLOCK: "block", BITCOIN_TX: "tx", BITCOIN_WC: "wc"}
MODULE_NAMES = {BITCOIN_BLOCK: "bitcoin-block", BITCOIN_TX: "bitcoin-tx", BITCOIN_WC: "bitcoin-witness-commitment"}


def wasm_path(code: int) -> Path:
    name = MODULE_NAMES[code]
    return WASM_SRC / name / f"{name}.wasm"


@pytest.fixture(scope="module")
def loaded():
    return {code: Sandbox().load(wasm_path(code).read_bytes()) for code in MODULE_NAMES}


@pytest.fixture(scope="module")
def codecs(loaded):
    return {code: mod.codec() for code, mod in loaded.items()}
