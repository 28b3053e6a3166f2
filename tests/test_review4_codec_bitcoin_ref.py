"""bitcoin-tx and bitcoin-block against the JS reference (bitcoin-block 2.0.2 + @ipld/bitcoin's links,
tests/refjs/bitcoin_ref.mjs) on transactions and headers the other Bitcoin tests do not make:

- counts and lengths in every compact-size form (253+ inputs and outputs, scripts and witness
  items of 253+ bytes, 0xfe lengths) and non-minimal compact sizes (0xfd 0x05 0x00);
- scripts the generator of test_mod_bitcoin_tx.py lacks: OP_PUSHDATA1/2/4, pushes cut short,
  small-number opcodes and 1-4 byte pushes, 16-of-16 multisig, m > n, hybrid and uncompressed
  keys, OP_RETURN alone, with several pushes or 81+ bytes, v1 programs of 32 bytes (taproot) and
  of 2 and 40 bytes, a v0 program of 32 bytes with PUSHDATA1;
- a segwit coinbase with its witness reserved value and a commitment output, zero inputs or
  outputs, and the marker/flag ambiguity (0x00 0x01 with no witness data);
- headers with BIP 9 version bits, time 0 and 2^32-1, nonce 0 and 2^32-1, a null parent.

Every block: the same DAG-CBOR as the reference and back to its own bytes, or both refuse.
"""

from __future__ import annotations

import random
import struct
from collections import Counter

import pytest

from autocodec.builtin import encode as builtin_encode
from autocodec.errors import AutocodecError

from . import _bitcoin_modules
from ._bitcoin_graph import BITCOIN_BLOCK, BITCOIN_TX
from ._bitcoin_modules import NAMES, RAW
from ._bitcoin_script import compact_size, der_sig, pubkey, push
from ._refjs import require_refjs, run_reference

loaded, codecs = _bitcoin_modules.loaded, _bitcoin_modules.codecs  # shared fixtures (tests/_bitcoin_modules.py)


def _push_any(d: bytes, form: int) -> bytes:
    """``d`` pushed with the opcode ``form`` (0: direct, 1: PUSHDATA1, 2: PUSHDATA2, 4: PUSHDATA4)."""
    if form == 0 and len(d) < 0x4C:
        return bytes([len(d)]) + d
    if form == 1 and len(d) <= 0xFF:
        return b"\x4c" + bytes([len(d)]) + d
    if form == 2 and len(d) <= 0xFFFF:
        return b"\x4d" + struct.pack("<H", len(d)) + d
    return b"\x4e" + struct.pack("<I", len(d)) + d


def _odd_script(rng: random.Random) -> bytes:
    k = rng.randrange(16)
    if k == 0:
        return _push_any(rng.randbytes(rng.choice([0, 1, 5, 75, 76, 255, 256, 300])), rng.choice([0, 1, 2, 4]))
    if k == 1:  # a push cut short
        return rng.choice([b"\x4c", b"\x4d\x01", b"\x4e\x00\x00", b"\x05ab", b"\x4c\x10" + bytes(3)])
    if k == 2:  # small numbers and short pushes that read as numbers
        return b"".join(rng.choice([b"\x00", b"\x4f", b"\x51", b"\x60", b"\x01\x81", b"\x02\xff\x7f", b"\x04\x00\x00\x00\x80",
                                    b"\x01\x00", b"\x03\x01\x02\x03"]) for _ in range(rng.randrange(1, 6)))
    if k == 3:
        return b"\x60" + b"".join(push(pubkey(rng)) for _ in range(16)) + b"\x60\xae"  # 16 of 16
    if k == 4:
        return b"\x53" + push(pubkey(rng)) + b"\x51\xae"  # 3 of 1
    if k == 5:
        return push(bytes([rng.choice([6, 7])]) + rng.randbytes(64)) + b"\xac"  # a hybrid key, P2PK
    if k == 6:
        return push(b"\x04" + rng.randbytes(64)) + b"\xac"
    if k == 7:
        return b"\x6a"
    if k == 8:
        return b"\x6a" + push(b"ab") + push(rng.randbytes(20)) + b"\x51"
    if k == 9:
        return b"\x6a" + _push_any(rng.randbytes(rng.choice([80, 81, 200])), 1)
    if k == 10:
        return b"\x51\x20" + rng.randbytes(32)  # taproot
    if k == 11:
        return bytes([rng.randrange(0x51, 0x61)]) + push(rng.randbytes(rng.choice([2, 40])))
    if k == 12:
        return b"\x00\x4c\x20" + rng.randbytes(32)  # v0 with PUSHDATA1: not a witness program
    if k == 13:
        return b"\xa9\x14" + rng.randbytes(20) + b"\x87\x87"  # P2SH-like with a tail
    if k == 14:
        return rng.randbytes(rng.choice([253, 254, 300, 1000]))
    return bytes([rng.randrange(0xB0, 0xFF)]) * rng.randrange(1, 4)


def _cs_any(n: int, minimal: bool) -> bytes:
    return compact_size(n) if minimal or n > 0xFFFF else b"\xfd" + struct.pack("<H", n)


def _odd_transaction(rng: random.Random) -> bytes:
    segwit = rng.random() < 0.5
    minimal = rng.random() < 0.85
    coinbase = rng.random() < 0.15
    n_in = 1 if coinbase else rng.choice([0, 1, 2, 253, 260]) if rng.random() < 0.2 else rng.randrange(1, 4)
    n_out = rng.choice([0, 1, 253]) if rng.random() < 0.15 else rng.randrange(1, 5)
    out = struct.pack("<i", rng.choice([1, 2, 3, -2])) + (b"\x00\x01" if segwit else b"")
    out += _cs_any(n_in, minimal)
    for _ in range(n_in):
        if coinbase:
            out += bytes(32) + b"\xff" * 4
            script = b"\x03" + rng.randbytes(3) + rng.randbytes(rng.randrange(0, 90))
        else:
            out += rng.randbytes(32) + struct.pack("<I", rng.choice([0, 1, 0xFFFFFFFF, rng.randrange(1 << 32)]))
            script = _odd_script(rng) if rng.random() < 0.7 else push(der_sig(rng, 1)) + push(pubkey(rng))
        out += _cs_any(len(script), minimal) + script + struct.pack("<I", rng.choice([0xFFFFFFFF, 0xFFFFFFFE, 0, 1 << 22]))
    out += _cs_any(n_out, minimal)
    for i in range(n_out):
        script = (b"\x6a\x24\xaa\x21\xa9\xed" + rng.randbytes(32)) if coinbase and i == n_out - 1 else _odd_script(rng)
        out += struct.pack("<q", rng.choice([0, 546, 2_100_000_000_000_000, -1])) + _cs_any(len(script), minimal) + script
    if segwit:
        for _ in range(n_in):
            if coinbase:
                items = [bytes(32)]
            else:
                items = [rng.randbytes(rng.choice([0, 1, 64, 65, 72, 253, 520])) for _ in range(rng.choice([0, 1, 2, 5]))]
            out += compact_size(len(items)) + b"".join(_cs_any(len(x), minimal) + x for x in items)
    return out + struct.pack("<I", rng.choice([0, 499_999_999, 500_000_000, 0xFFFFFFFF]))


def _odd_header(rng: random.Random) -> bytes:
    base = bytearray(rng.choice([v for k, v in RAW.items()])[:80])
    base[0:4] = struct.pack("<I", rng.choice([0x20000000, 0x3FFFFFFF, 0x20FFE004, 0xFFFFFFFF, 4, 0]))
    if rng.random() < 0.2:
        base[4:36] = bytes(32)
    base[68:72] = struct.pack("<I", rng.choice([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 1231006505]))
    base[76:80] = struct.pack("<I", rng.choice([0, 0xFFFFFFFF, rng.randrange(1 << 32)]))
    return bytes(base)


def _compare(codecs, items: list[tuple[int, bytes]]) -> Counter[str]:
    answers = run_reference("bitcoin_ref.mjs", [f"{NAMES[code]} {data.hex()}" for code, data in items])
    tally: Counter[str] = Counter()
    problems = []
    for (code, data), answer in zip(items, answers):
        try:
            value = codecs[code].decode(data)
        except AutocodecError as exc:
            value = exc
        if answer.startswith("ERR"):
            tally["both refuse" if isinstance(value, AutocodecError) else "only we decode"] += 1
            if not isinstance(value, AutocodecError):
                problems.append(f"{NAMES[code]} {data.hex()[:300]}: the reference refuses ({answer[:120]}), we decode")
            continue
        if isinstance(value, AutocodecError):
            tally["only the reference decodes"] += 1
            problems.append(f"{NAMES[code]} {data.hex()[:300]}: we refuse ({value}), the reference decodes")
            continue
        if builtin_encode(value, "dag-cbor") != bytes.fromhex(answer):
            problems.append(f"{NAMES[code]} {data.hex()[:300]}: differs from the reference")
        elif codecs[code].encode(value) != data:
            problems.append(f"{NAMES[code]} {data.hex()[:300]}: does not encode back to itself")
        else:
            tally["agree"] += 1
    print("\nbitcoin vs the JS reference:", dict(tally))
    assert not problems, "\n".join(problems[:8]) + f"\n({len(problems)} problems)"
    return tally


def test_odd_transactions_against_the_reference(codecs) -> None:
    require_refjs()
    rng = random.Random(0xB14)
    tally = _compare(codecs, [(BITCOIN_TX, _odd_transaction(rng)) for _ in range(1500)])
    assert tally["agree"] > 1000


def test_odd_headers_against_the_reference(codecs) -> None:
    require_refjs()
    rng = random.Random(0xB04)
    tally = _compare(codecs, [(BITCOIN_BLOCK, _odd_header(rng)) for _ in range(300)])
    assert tally["agree"] == 300


@pytest.mark.parametrize("count", [253, 0x10000])
def test_many_outputs_and_long_scripts(codecs, count: int) -> None:
    """A count in 0xfd form, and a script in 0xfe form (65536 bytes)."""
    require_refjs()
    script = b"\x6a" + bytes(count - 1)
    n_out = 253 if count == 253 else 1
    tx = (struct.pack("<i", 2) + b"\x01" + bytes(range(32)) + b"\x00" * 4 + b"\x00" + b"\xff" * 4 + compact_size(n_out)
          + b"".join(struct.pack("<q", 1) + compact_size(len(script)) + script for _ in range(n_out)) + bytes(4))
    assert _compare(codecs, [(BITCOIN_TX, tx)])["agree"] == 1
