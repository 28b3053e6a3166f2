"""Random key files: ``autocodec key import`` takes what Kubo v0.43.1's ``ipfs key import``
takes, as the same key (the same IPNS name), and refuses what it refuses.

``test_key_kubo.py`` names its files one by one; these are drawn from Kubo's two formats and
then changed. ``libp2p-protobuf-cleartext``: fields reordered, repeated, of another wire type or
unknown; ``Type`` of every value; ``Data`` of 32, 64 or 96 bytes (the public half right or
wrong) or another length; varints not minimal; cut or with bytes after. ``pem-pkcs8-cleartext``:
text around the block, other labels and END lines, CR LF, one long line or short ones, blanks
and tabs in the base64, missing or extra padding, headers, a second block; the DER inside with
the version, the algorithm's parameters, attributes, a public key (PKCS#8 v2), the key's
length, lengths not minimal and bytes after, changed.

Two differences are on purpose (docs/cli.md): a key of another type than Ed25519, which Kubo
imports and this home cannot sign with (``UnsupportedKeyType``), and a 64-byte protobuf key
whose public half is not its seed's, which Kubo imports (go-libp2p keeps the bytes as given, so
its name is the stated public key's, whose records it cannot sign) and this refuses as corrupt.

In the suite: ``CASES`` files of seed 0. A longer run:

    .venv/bin/python -m tests.test_key_import_random_kubo CASES SEED
"""

from __future__ import annotations

import base64
import random
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from autocodec.errors import AutocodecError
from autocodec.verify import SigningKey
from autocodec.verify._keyformats import PEM, PROTOBUF, UnsupportedKeyType, import_key, ipns_name
from tests import _kubo_pair
from tests._kubo import KuboRepo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]
kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

CASES = 80


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out) + bytes([value])


def _der(tag: int, body: bytes, rng: random.Random | None = None) -> bytes:
    """A DER element; with ``rng``, now and then its length in a longer form than DER allows."""
    size = len(body)
    if rng is not None and rng.random() < 0.04:
        return bytes([tag, 0x82]) + size.to_bytes(2, "big") + body
    if size < 0x80:
        return bytes([tag, size]) + body
    digits = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(digits)]) + digits + body


def random_protobuf(rng: random.Random, seed: bytes) -> bytes:
    public = SigningKey.from_seed(seed).public.raw
    data = seed + public
    roll = rng.random()
    if roll < 0.15:
        data = data + public
    elif roll < 0.2:
        data = data + bytes(32)
    elif roll < 0.25:
        data = seed + bytes(32)  # the public half wrong
    elif roll < 0.32:
        data = data[:rng.choice([0, 1, 32, 63])] if rng.random() < 0.5 else data + b"\x00" * rng.choice([1, 31, 33])
    kind = 1 if rng.random() < 0.85 else rng.choice([0, 2, 3, 4, 7, 2**31, 2**32 + 1, 2**64 - 1])
    fields = [b"\x08" + _varint(kind), b"\x12" + _varint(len(data)) + data]
    if rng.random() < 0.08:
        fields[0] = b"\x88\x00" + _varint(kind)  # the key's varint not minimal
    if rng.random() < 0.05:
        fields[1] = b"\x12" + bytes([0x80 | len(data) & 0x7F, len(data) >> 7 | 0x80, 0]) + data  # a long length
    if rng.random() < 0.1:
        fields.reverse()
    if rng.random() < 0.1:
        fields.insert(rng.randrange(3), rng.choice([b"\x08\x01", b"\x08\x00", b"\x12\x00", b"\x12\x20" + seed]))
    if rng.random() < 0.1:
        fields.insert(rng.randrange(len(fields) + 1), rng.choice([
            b"\x18\x05", b"\x22\x03abc", b"\x2d\x01\x02\x03\x04", b"\x31" + bytes(8), b"\x0a\x01x", b"\x10\x01",
            b"\x0b\x0c", b"\x1b\x10\x01\x1c", b"\xf8\xff\xff\xff\x0f\x00"]))
    raw = b"".join(fields)
    if rng.random() < 0.06:
        raw = raw[:rng.randrange(len(raw) + 1)]
    elif rng.random() < 0.04:
        raw += rng.choice([b"\x00", b"\xff", b"\n", b"junk"])
    return raw


def _pkcs8_der(rng: random.Random, seed: bytes) -> bytes:
    version = 0 if rng.random() < 0.85 else rng.choice([1, 2, -1])
    key = seed if rng.random() < 0.9 else rng.choice([seed[:31], seed + b"\x00", b""])
    inner_key = _der(0x04, key, rng) if rng.random() < 0.95 else key  # the CurvePrivateKey OCTET STRING, or none
    algorithm = bytes.fromhex("06032b6570") + (b"" if rng.random() < 0.9 else rng.choice([b"\x05\x00", b"\x04\x00"]))
    if rng.random() < 0.04:
        algorithm = bytes.fromhex("06032b6571")  # Ed448's OID
    parts = [_der(0x02, version.to_bytes(1, "big", signed=True), rng), _der(0x30, algorithm, rng),
             _der(0x04, inner_key, rng)]
    if rng.random() < 0.1:
        parts.append(_der(0xA0, _der(0x30, b"\x06\x03\x55\x04\x03"), rng))  # attributes [0]
    if rng.random() < 0.1:
        public = SigningKey.from_seed(seed).public.raw
        parts.append(_der(0x81, b"\x00" + (public if rng.random() < 0.8 else bytes(32))))  # publicKey [1] (v2)
    if rng.random() < 0.04:
        parts.append(b"\x05\x00")  # another element at the end
    der = _der(0x30, b"".join(parts), rng)
    if rng.random() < 0.04:
        der += rng.choice([b"\x00", b"\x00\x00", b"\x30\x00"])
    return der


def random_pem(rng: random.Random, seed: bytes) -> bytes:
    if rng.random() < 0.5:
        der = ed25519.Ed25519PrivateKey.from_private_bytes(seed).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    else:
        der = _pkcs8_der(rng, seed)
    text = base64.b64encode(der)
    if rng.random() < 0.1:
        text = text.rstrip(b"=") if rng.random() < 0.5 else text + b"="
    width = rng.choice([64, 64, 64, 76, 10, 1000])
    lines = [text[i:i + width] for i in range(0, len(text), width)] or [b""]
    if rng.random() < 0.06:
        at = rng.randrange(len(lines))
        lines[at] = lines[at][:3] + rng.choice([b" ", b"\t", b"\r", b"!"]) + lines[at][3:]
    label = b"PRIVATE KEY" if rng.random() < 0.9 else rng.choice([b"private key", b"PRIVATE  KEY", b"ED25519 PRIVATE KEY",
                                                                  b"PUBLIC KEY", b""])
    end = label if rng.random() < 0.95 else rng.choice([b"PUBLIC KEY", b"PRIVATE KEY ", b""])
    head = [b"-----BEGIN " + label + b"-----"]
    if rng.random() < 0.05:
        head.append(rng.choice([b"Proc-Type: 4,ENCRYPTED", b"Comment: x", b"X: y\n"]))
    body = head + lines + [b"-----END " + end + b"-----"]
    newline = b"\r\n" if rng.random() < 0.1 else b"\n"
    out = newline.join(body) + (newline if rng.random() < 0.9 else b"")
    roll = rng.random()
    if roll < 0.08:
        out = rng.choice([b"junk\n", b"\n\n", b" ", b"-----BEGIN X-----\nAA==\n-----END X-----\n"]) + out
    elif roll < 0.14:
        out += rng.choice([b"junk", b"\n\n", out, b"-----BEGIN X-----\n"])
    elif roll < 0.18:
        out = out[:rng.randrange(len(out) + 1)]
    return out


def _ours(data: bytes, fmt: str) -> tuple[str, str]:
    """("name", k51...) or ("refused", the error's type and message)."""
    try:
        return "name", ipns_name(import_key(data, fmt))
    except AutocodecError as exc:
        return "refused", f"{type(exc).__name__}: {exc}"


def run(kubo: KuboRepo, folder: Path, cases: int, seed: int) -> tuple[dict[str, int], list[str]]:
    rng = random.Random(seed)
    tally = {"same key": 0, "both refused": 0, "documented": 0}
    differences = []
    for i in range(cases):
        key_seed = rng.randbytes(32)
        fmt = rng.choice([PROTOBUF, PEM])
        data = random_protobuf(rng, key_seed) if fmt == PROTOBUF else random_pem(rng, key_seed)
        if rng.random() < 0.03:  # a file of the other format
            fmt = PEM if fmt == PROTOBUF else PROTOBUF
        path = folder / f"key-{i}"
        path.write_bytes(data)
        proc = kubo.ipfs("key", "import", "-f", fmt, "--ipns-base=base36", f"k{i}", path, check=False)
        theirs = (("name", proc.stdout.decode().strip()) if proc.returncode == 0
                  else ("refused", proc.stderr.decode(errors="replace")))
        ours = _ours(data, fmt)
        if ours[0] == theirs[0] == "refused" or ours == theirs:
            tally["same key" if ours[0] == "name" else "both refused"] += 1
        elif ours[0] == "refused" and (ours[1].startswith(UnsupportedKeyType.__name__)
                                       or "not the one its private key makes" in ours[1]):
            tally["documented"] += 1
        else:
            differences.append(f"{fmt} {data!r}: ours {ours}, Kubo's {theirs[0]} {theirs[1][:200]!r}")
    return tally, differences


_SEED = bytes(range(32))
_PUBLIC = SigningKey.from_seed(_SEED).public.raw
_KEY = _der(0x04, _der(0x04, _SEED))
_ALGORITHM = _der(0x30, bytes.fromhex("06032b6570"))


def _pem_of(der: bytes, *, before: bytes = b"", headers: bytes = b"", body: bytes | None = None) -> bytes:
    text = base64.b64encode(der) if body is None else body
    return (before + b"-----BEGIN PRIVATE KEY-----\n" + headers + text + b"\n-----END PRIVATE KEY-----\n")


FOUND = {  # label: (the file, whether Kubo 0.43.1 imports it): the kinds the random runs found
    "PKCS#8 v2 with a public key that is not the seed's (Go ignores it; OpenSSL refused it)":
        (_pem_of(_der(0x30, _der(0x02, b"\x01") + _ALGORITHM + _KEY + _der(0x81, b"\x00" + bytes(32)))), True),
    "PKCS#8 with attributes": (_pem_of(_der(0x30, _der(0x02, b"\x00") + _ALGORITHM + _KEY
                                            + _der(0xA0, _der(0x30, b"\x06\x03\x55\x04\x03")))), True),
    "PKCS#8 of version 2": (_pem_of(_der(0x30, _der(0x02, b"\x02") + _ALGORITHM + _KEY)), True),
    "PKCS#8 with an element after the key": (_pem_of(_der(0x30, _der(0x02, b"\x00") + _ALGORITHM + _KEY + b"\x05\x00")),
                                             True),
    "PKCS#8 with bytes after its SEQUENCE": (_pem_of(_der(0x30, _der(0x02, b"\x00") + _ALGORITHM + _KEY) + b"\x00"), True),
    "a PEM header line": (_pem_of(_der(0x30, _der(0x02, b"\x00") + _ALGORITHM + _KEY), headers=b"Comment: x\n"), True),
    "a blank inside the base64": (_pem_of(b"", body=base64.b64encode(_der(0x30, _der(0x02, b"\x00") + _ALGORITHM + _KEY))
                                          .replace(b"A", b"A ", 1)), True),
    "BEGIN after a blank, not at a line's start (accepted here before)":
        (_pem_of(_der(0x30, _der(0x02, b"\x00") + _ALGORITHM + _KEY), before=b" "), False),
    "base64 without its padding": (_pem_of(b"", body=base64.b64encode(
        _der(0x30, _der(0x02, b"\x00") + _ALGORITHM + _der(0x04, _der(0x04, _SEED)) + b"\x05")).rstrip(b"=")), False),
    "a length in a longer form than DER's": (_pem_of(b"\x30\x81\x2e" + _der(0x02, b"\x00") + _ALGORITHM + _KEY), False),
}


@pytest.mark.parametrize("label", list(FOUND))
def test_found_key_files_import_as_in_kubo(kubo: KuboRepo, tmp_path: Path, label: str) -> None:
    data, imported = FOUND[label]
    path = tmp_path / "key.pem"
    path.write_bytes(data)
    name = f"n{abs(hash(label)) % 10**8}"
    proc = kubo.ipfs("key", "import", "-f", PEM, "--ipns-base=base36", name, path, check=False)
    assert (proc.returncode == 0) == imported, proc.stderr
    ours = _ours(data, PEM)
    if imported:
        assert ours == ("name", proc.stdout.decode().strip()) == ("name", ipns_name(SigningKey.from_seed(_SEED)))
    else:
        assert ours[0] == "refused", ours


def test_random_key_files_import_as_in_kubo(kubo: KuboRepo, tmp_path: Path) -> None:
    tally, differences = run(kubo, tmp_path, CASES, 0)
    assert not differences, "\n".join(differences[:5])
    assert tally["same key"] >= CASES // 4 and tally["both refused"] >= CASES // 8, tally


if __name__ == "__main__":
    count, seed_arg = int(sys.argv[1]), int(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="key-random-") as scratch:
        repo = KuboRepo.create(Path(scratch) / "kubo")
        tally_found, found = run(repo, Path(scratch), count, seed_arg)
        print("\n".join(found))
        print(tally_found, f"{len(found)} differences")
