"""The bip340 Wasm crypto module against every official BIP-340 vector, plus fuzzing.

Vectors: fixtures/bip340/test-vectors.csv (bitcoin/bips bip-0340/test-vectors.csv, see
fixtures/bip340/SOURCE.md).  Rows 5 and 14 have public keys that are not x-only keys
("not on the curve", "exceeds the field size"): BIP-340 verification fails for them and the
module reports a malformed key (a GuestError), per docs/abi.md's crypto kind.

The fuzz tests compare with a small pure-Python BIP-340 verifier written here from the BIP's
specification (affine arithmetic with Python integers: slow, obviously correct).
"""

from __future__ import annotations

import csv
import hashlib
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocodec.errors import GuestError, UnknownKeyType
from autocodec.loader import Sandbox, run_vectors

from .conftest import FIXTURES, WASM_SRC

WASM = WASM_SRC / "bip340" / "bip340.wasm"
SECP256K1_PUB = 0xE7
ROWS = list(csv.DictReader((FIXTURES / "bip340" / "test-vectors.csv").open()))
INVALID_KEY_ROWS = {"5", "14"}

# --- reference verifier (BIP-340, "Verification" section) ---------------------------------
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return x, (lam * (a[0] - x) - a[1]) % P


def _mul(k, point):
    acc = None
    while k:
        if k & 1:
            acc = _add(acc, point)
        point = _add(point, point)
        k >>= 1
    return acc


def _tagged(tag: str, data: bytes) -> bytes:
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + data).digest()


def _lift_x(x: int):
    if x >= P:
        return None
    c = (pow(x, 3, P) + 7) % P
    y = pow(c, (P + 1) // 4, P)
    if y * y % P != c:
        return None
    return x, y if y % 2 == 0 else P - y


def ref_verify(pk: bytes, msg: bytes, sig: bytes) -> bool | None:
    """True/False, or None when pk is not an x-only public key."""
    point = _lift_x(int.from_bytes(pk, "big"))
    if point is None:
        return None
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if r >= P or s >= N:
        return False
    e = int.from_bytes(_tagged("BIP0340/challenge", sig[:32] + pk + msg), "big") % N
    R = _add(_mul(s, G), _mul(N - e, point))
    return R is not None and R[1] % 2 == 0 and R[0] == r


def ref_sign(seckey: int, msg: bytes, aux: bytes = bytes(32)) -> tuple[bytes, bytes]:
    """BIP-340 signing (for fuzzing valid signatures over random messages)."""
    pub = _mul(seckey, G)
    d = seckey if pub[1] % 2 == 0 else N - seckey
    pk = pub[0].to_bytes(32, "big")
    t = (d ^ int.from_bytes(_tagged("BIP0340/aux", aux), "big")).to_bytes(32, "big")
    k0 = int.from_bytes(_tagged("BIP0340/nonce", t + pk + msg), "big") % N
    R = _mul(k0, G)
    k = k0 if R[1] % 2 == 0 else N - k0
    rb = R[0].to_bytes(32, "big")
    e = int.from_bytes(_tagged("BIP0340/challenge", rb + pk + msg), "big") % N
    return pk, rb + ((k + e * d) % N).to_bytes(32, "big")


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module():
    return Sandbox().load(WASM.read_bytes())


@pytest.fixture(scope="module")
def crypto(module):
    return module.crypto()


def test_module_metadata(module) -> None:
    assert module.info.kind == "crypto"
    assert module.info.codes == (SECP256K1_PUB,)


def test_vector_file_has_every_row() -> None:
    assert [r["index"] for r in ROWS] == [str(i) for i in range(19)]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['index']}-{r['comment'][:30]}")
def test_official_vector(crypto, row) -> None:
    pk, msg, sig = (bytes.fromhex(row[k]) for k in ("public key", "message", "signature"))
    expected = row["verification result"] == "TRUE"
    assert ref_verify(pk, msg, sig) in (expected, None)  # the oracle agrees with the CSV
    if row["index"] in INVALID_KEY_ROWS:
        assert not expected
        with pytest.raises(GuestError, match="public key"):
            crypto.verify(SECP256K1_PUB, pk, msg, sig)
    else:
        assert crypto.verify(SECP256K1_PUB, pk, msg, sig) is expected


@pytest.mark.parametrize("row", [r for r in ROWS if r["secret key"]], ids=lambda r: r["index"])
def test_reference_signer_reproduces_official_signatures(row) -> None:
    # Makes the fuzz oracle below trustworthy: it signs exactly like the BIP.
    pk, sig = ref_sign(int(row["secret key"], 16), bytes.fromhex(row["message"]), bytes.fromhex(row["aux_rand"]))
    assert pk.hex().upper() == row["public key"]
    assert sig.hex().upper() == row["signature"]


def test_wrong_lengths_and_key_type_are_errors(crypto, module) -> None:
    row = ROWS[1]
    pk, msg, sig = (bytes.fromhex(row[k]) for k in ("public key", "message", "signature"))
    for bad_pk in (b"", pk[:31], pk + b"\x00", b"\x02" + pk):  # compressed 33-byte keys too
        with pytest.raises(GuestError, match="32 bytes"):
            crypto.verify(SECP256K1_PUB, bad_pk, msg, sig)
    for bad_sig in (b"", sig[:63], sig + b"\x00"):
        with pytest.raises(GuestError, match="64 bytes"):
            crypto.verify(SECP256K1_PUB, pk, msg, bad_sig)
    with pytest.raises(UnknownKeyType):
        crypto.verify(0xED, pk, msg, sig)
    # Past the adapter, straight at the guest: truncated frames and other key types.
    for frame in (b"", b"\xe7\x00\x00", struct.pack("<II", 0xE7, 32) + pk[:10], struct.pack("<II", 0xE7, 32) + pk):
        with pytest.raises(GuestError):
            module.instance().call("ac_verify", frame)
    with pytest.raises(GuestError, match="key type"):
        module.instance().call("ac_verify", struct.pack("<II", 0xED, 32) + pk + struct.pack("<I", 64) + sig + msg)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seckey=st.integers(1, N - 1), msg=st.binary(max_size=300), flip=st.integers(0, 64 * 8 - 1))
def test_fuzz_valid_signatures_and_single_bit_flips(crypto, seckey: int, msg: bytes, flip: int) -> None:
    pk, sig = ref_sign(seckey, msg)
    assert crypto.verify(SECP256K1_PUB, pk, msg, sig) is True
    bad = bytearray(sig)
    bad[flip // 8] ^= 1 << (flip % 8)
    assert crypto.verify(SECP256K1_PUB, pk, msg, bytes(bad)) is ref_verify(pk, msg, bytes(bad)) is False
    assert crypto.verify(SECP256K1_PUB, pk, msg + b"\x00", sig) is False


@settings(max_examples=60, deadline=None)
@given(pk=st.binary(min_size=32, max_size=32), sig=st.binary(min_size=64, max_size=64), msg=st.binary(max_size=64))
def test_fuzz_garbage_agrees_with_reference(crypto, pk: bytes, sig: bytes, msg: bytes) -> None:
    expected = ref_verify(pk, msg, sig)
    if expected is None:
        with pytest.raises(GuestError):
            crypto.verify(SECP256K1_PUB, pk, msg, sig)
    else:
        assert crypto.verify(SECP256K1_PUB, pk, msg, sig) is expected


@settings(max_examples=60, deadline=None)
@given(frame=st.binary(max_size=200))
def test_fuzz_raw_frames_never_trap(module, frame: bytes) -> None:
    try:
        out = module.instance().call("ac_verify", frame)
    except GuestError:
        return
    assert out in (b"\x00", b"\x01")


def test_edge_points(crypto) -> None:
    # Signatures whose r is 0 or p - 1 and s is 0 or n - 1 are well-formed and must be
    # decided (False), never an error or a trap.
    pk = bytes.fromhex(ROWS[1]["public key"])
    for r in (0, 1, P - 1):
        for s in (0, 1, N - 1):
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
            assert crypto.verify(SECP256K1_PUB, pk, b"m", sig) is ref_verify(pk, b"m", sig) is False
    # The generator itself as a key (x of G lifts), and x = 0 (not on the curve: 7 is no square).
    gx = G[0].to_bytes(32, "big")
    pk_g, sig = ref_sign(1, b"hello")
    assert pk_g == gx and crypto.verify(SECP256K1_PUB, gx, b"hello", sig) is True
    with pytest.raises(GuestError):
        crypto.verify(SECP256K1_PUB, bytes(32), b"hello", sig)


def test_module_vectors_pass(module) -> None:
    report = run_vectors(module, (WASM_SRC / "bip340" / "vectors.json").read_bytes())
    assert report.ok, report.failures
