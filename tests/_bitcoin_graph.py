"""Split a raw Bitcoin block into its IPLD block graph, independently of the modules under test.

The graph is the one @ipld/bitcoin's ``encodeAll`` describes (github.com/ipld/js-bitcoin
src/bitcoin.js, src/bitcoin-tx.js, src/bitcoin-witness-commitment.js): the 80-byte header
(bitcoin-block), every transaction without witness data and the nodes of the binary merkle tree
over their txids up to the header's merkle root (bitcoin-tx), and for a segwit block the
transactions with witness data, the witness merkle tree (the coinbase's leaf is 32 zero bytes
and has no block) and the 64-byte witness commitment (bitcoin-witness-commitment) whose hash the
coinbase commits to.  Every CID is CIDv1 with a dbl-sha2-256 multihash.

Invariants: ``block_graph`` parses with plain Python (``hashlib``, byte slicing), checks that the
merkle root it computes equals the header's and that the witness commitment equals the coinbase's
(an ``AssertionError`` otherwise), and never uses the Wasm modules.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from autocodec import CID

BITCOIN_BLOCK, BITCOIN_TX, BITCOIN_WC = 0xB0, 0xB1, 0xB2
DBL_SHA2_256 = 0x56
WC_MAGIC = bytes.fromhex("6a24aa21a9ed")


def dbl_sha256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def cid_of(codec: int, data: bytes) -> CID:
    return CID.build(codec, bytes([DBL_SHA2_256, 32]) + dbl_sha256(data))


def _compact(b: bytes, i: int) -> tuple[int, int]:
    c = b[i]
    if c < 253:
        return c, i + 1
    width = {253: 2, 254: 4, 255: 8}[c]
    return int.from_bytes(b[i + 1 : i + 1 + width], "little"), i + 1 + width


@dataclass
class Tx:
    full: bytes  # as in the block (with witness when segwit)
    stripped: bytes  # without marker, flag and witness: dbl-sha256 is the txid
    segwit: bool
    witness0: list[bytes] = field(default_factory=list)  # the first input's witness stack
    outputs: list[bytes] = field(default_factory=list)  # scriptPubKeys


def parse_tx(b: bytes, i: int) -> tuple[Tx, int]:
    start = i
    i += 4
    segwit = b[i] == 0 and b[i + 1] == 1
    if segwit:
        i += 2
    body = i
    n_in, i = _compact(b, i)
    for _ in range(n_in):
        i += 36
        n, i = _compact(b, i)
        i += n + 4
    n_out, i = _compact(b, i)
    outputs = []
    for _ in range(n_out):
        i += 8
        n, i = _compact(b, i)
        outputs.append(b[i : i + n])
        i += n
    body_end = i
    witness0: list[bytes] = []
    if segwit:
        for k in range(n_in):
            items, i = _compact(b, i)
            for _ in range(items):
                n, i = _compact(b, i)
                if k == 0:
                    witness0.append(b[i : i + n])
                i += n
    i += 4
    full = b[start:i]
    stripped = b[start : start + 4] + b[body:body_end] + b[i - 4 : i] if segwit else full
    return Tx(full, stripped, segwit, witness0, outputs), i


def split_block(raw: bytes) -> tuple[bytes, list[Tx]]:
    count, i = _compact(raw, 80)
    txs = []
    for _ in range(count):
        tx, i = parse_tx(raw, i)
        txs.append(tx)
    assert i == len(raw), "trailing bytes after the last transaction"
    return raw[:80], txs


def merkle_nodes(leaves: list[bytes]) -> tuple[bytes, list[bytes]]:
    """The root and the 64-byte inner nodes of Bitcoin's merkle tree (odd levels repeat the last)."""
    nodes: list[bytes] = []
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        nxt = []
        for k in range(0, len(level), 2):
            node = level[k] + level[k + 1]
            nodes.append(node)
            nxt.append(dbl_sha256(node))
        level = nxt
    return level[0], nodes


@dataclass
class Graph:
    header: bytes
    header_cid: CID
    blocks: dict[CID, bytes]  # every IPLD block of the graph, header included
    txids: list[bytes]
    witness_commitment: bytes | None


def block_graph(raw: bytes) -> Graph:
    header, txs = split_block(raw)
    blocks: dict[CID, bytes] = {cid_of(BITCOIN_BLOCK, header): header}
    for tx in txs:
        blocks[cid_of(BITCOIN_TX, tx.stripped)] = tx.stripped
    txids = [dbl_sha256(tx.stripped) for tx in txs]
    root, nodes = merkle_nodes(txids)
    assert root == header[36:68], "the transactions' merkle root is not the header's"
    for node in nodes:
        blocks[cid_of(BITCOIN_TX, node)] = node
    wc = None
    if any(tx.segwit for tx in txs):
        for tx in txs[1:]:
            blocks[cid_of(BITCOIN_TX, tx.full)] = tx.full
        leaves = [bytes(32)] + [dbl_sha256(tx.full) for tx in txs[1:]]
        wroot, wnodes = merkle_nodes(leaves)
        for node in wnodes:
            blocks[cid_of(BITCOIN_TX, node)] = node
        nonce = txs[0].witness0
        assert len(nonce) == 1 and len(nonce[0]) == 32, "a segwit coinbase's witness is one 32-byte nonce"
        wc = wroot + nonce[0]
        committed = [s[6:38] for s in txs[0].outputs if len(s) >= 38 and s[:6] == WC_MAGIC]
        assert committed and committed[-1] == dbl_sha256(wc), "the witness commitment is not the coinbase's"
        blocks[cid_of(BITCOIN_WC, wc)] = wc
    return Graph(header, cid_of(BITCOIN_BLOCK, header), blocks, txids, wc)
