"""Review of the IPNS audit (c437ad3..1ad9dec) beside Kubo v0.43.1 (``ipfs name inspect --verify``,
measured; the slow test measures it again). Facts: Go's ``x509.ParsePKIXPublicKey`` reads the
SubjectPublicKeyInfo with ``asn1.Unmarshal``, which ignores bytes after the last field inside a
SEQUENCE (both the outer one and the AlgorithmIdentifier), and go-libp2p's ``MarshalPublicKey``
writes the key again (``x509.MarshalPKIXPublicKey``), so the name is that of the re-written key.
c437ad3 required the SPKI to be the re-written one byte for byte: such keys were refused here,
valid in Kubo. Then a pin: records that differ only in what follows an ECDSA signature's R and S
(559847e reads both as valid) are chosen between by their bytes, whatever order they come in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from autocodec.verify._ipns import IpnsName, IpnsRecord, Problem, problem
from autocodec.verify._libp2p_key import ECDSA, RSA, InvalidKeyData, PublicKey, key_message
from tests import _s11_ipns_keys as k
from tests._ipns_names import ipns_names

P256 = ec.generate_private_key(ec.SECP256R1())
RSA2048 = rsa.generate_private_key(65537, 2048)


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    head = bytes([size]) if size < 0x80 else bytes([0x81, size]) if size < 0x100 else b"\x82" + size.to_bytes(2, "big")
    return bytes([tag]) + head + body


def _body(der: bytes) -> bytes:
    return der[2:] if der[1] < 0x80 else der[2 + (der[1] & 0x7F):]


def _spki(private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, *, inside: bytes = b"",
          in_algorithm: bytes = b"", after: bytes = b"") -> bytes:
    """The key's SubjectPublicKeyInfo with ``inside`` after its BIT STRING, ``in_algorithm``
    after the AlgorithmIdentifier's parameters and ``after`` after the whole."""
    kind = RSA if isinstance(private, rsa.RSAPrivateKey) else ECDSA
    inner = _body(private.public_key().public_bytes(k.DER, k.SPKI))
    algorithm, bits = inner[:2 + inner[1]], inner[2 + inner[1]:]  # the AlgorithmIdentifier comes first
    algorithm = _der(0x30, _body(algorithm) + in_algorithm)
    return key_message(kind, _der(0x30, algorithm + bits + inside) + after)


def _rsa_spki(*, inside: bytes = b"", after: bytes = b"") -> bytes:
    """RSA2048's SPKI with ``inside`` after E in its RSAPublicKey and ``after`` after that SEQUENCE
    (both in the BIT STRING: Go's x509 reads N and E with cryptobyte and ignores the rest)."""
    from cryptography.hazmat.primitives.serialization import PublicFormat

    inner = _body(RSA2048.public_key().public_bytes(k.DER, k.SPKI))
    pkcs1 = _der(0x30, _body(RSA2048.public_key().public_bytes(k.DER, PublicFormat.PKCS1)) + inside) + after
    return key_message(RSA, _der(0x30, inner[:2 + inner[1]] + _der(0x03, b"\x00" + pkcs1)))


FORMS: dict[str, tuple[Callable[[], bytes], Callable[[], bytes], bool]] = {
    # label: (the private key's record signer, the embedded key, Kubo's verdict for the key's own name)
    "P-256, a NULL after the BIT STRING (was refused)":
        (lambda: b"", lambda: _spki(P256, inside=b"\x05\x00"), True),
    "P-256, an INTEGER after the BIT STRING (was refused)":
        (lambda: b"", lambda: _spki(P256, inside=b"\x02\x01\x01"), True),
    "P-256, a byte that is no element after the BIT STRING (was refused)":
        (lambda: b"", lambda: _spki(P256, inside=b"\xff"), True),
    "P-256, a NULL after the curve in the AlgorithmIdentifier (was refused)":
        (lambda: b"", lambda: _spki(P256, in_algorithm=b"\x05\x00"), True),
    "RSA-2048, a NULL after the BIT STRING (was refused)":
        (lambda: b"", lambda: _spki(RSA2048, inside=b"\x05\x00"), True),
    "RSA-2048, a NULL after E in the RSAPublicKey (was refused)":
        (lambda: b"", lambda: _rsa_spki(inside=b"\x05\x00"), True),
    "RSA-2048, a byte after the RSAPublicKey in the BIT STRING (was refused)":
        (lambda: b"", lambda: _rsa_spki(after=b"\x00"), True),
    "P-256, a NULL after the SubjectPublicKeyInfo (trailing data)":
        (lambda: b"", lambda: _spki(P256, after=b"\x05\x00"), False),
}


def _case(label: str, *, own_name: bool = True) -> tuple[bytes, str]:
    private = RSA2048 if label.startswith("RSA") else P256
    embedded = FORMS[label][1]()
    name = k.name_hashing(k.spki_key(private)) if own_name else k.name_hashing(embedded)
    return k.record(private, embed=embedded), name


@pytest.mark.parametrize("label", list(FORMS))
def test_spki_forms_get_kubos_verdict(label: str) -> None:
    raw, name = _case(label)
    found = problem(IpnsRecord.parse(raw), IpnsName.parse(name))
    if FORMS[label][2]:
        assert found is None, found
    else:
        assert found is not None and found[0] is Problem.KEY, found


@pytest.mark.parametrize("label", [label for label, form in FORMS.items() if form[2]])
def test_a_name_hashing_the_spki_as_written_does_not_match(label: str) -> None:
    """The key's name is that of the SPKI Go writes again, not of the bytes read (Kubo: "record
    public key does not match the expected public key", measured)."""
    raw, name = _case(label, own_name=False)
    found = problem(IpnsRecord.parse(raw), IpnsName.parse(name))
    assert found == (Problem.KEY, "record public key does not match the expected public key")
    key = PublicKey.parse(FORMS[label][1]())
    assert key.canonical == k.spki_key(RSA2048 if label.startswith("RSA") else P256)


def test_an_spki_without_its_elements_stays_invalid_key_data() -> None:
    inner = _body(P256.public_key().public_bytes(k.DER, k.SPKI))
    bits_first = _der(0x30, inner[2 + inner[1]:] + inner[:2 + inner[1]])
    for data in (_der(0x30, b""), bits_first, _der(0x30, _der(0x30, b"\x05\x00") + b"\x03\x01\x00")):
        with pytest.raises(InvalidKeyData):
            PublicKey.parse(key_message(ECDSA, data))


@pytest.mark.slow
@pytest.mark.ipfs
def test_kubo_gives_each_spki_form_its_verdict(tmp_path: Path) -> None:
    wrong = k.kubo_disagrees(tmp_path, ((f"{label} ({'own' if own_name else 'written'} name)",
                                         *_case(label, own_name=own_name), kubo_valid and own_name)
                                        for label, (_, _, kubo_valid) in FORMS.items() for own_name in (True, False)))
    assert not wrong, "\n".join(wrong)


# --- records differing only in an ECDSA signature's ignored bytes -----------------------------


def test_records_differing_in_ignored_signature_bytes_keep_one_in_either_order(tmp_path: Path) -> None:
    """Both verify (Go's asn1 ignores what follows R and S); the kept one is the same whichever
    arrives first: the larger in bytes, as boxo's ``selectRecord`` breaks a tie (a pin)."""
    signature = k.sign(P256, b"ipns-signature:" + k.encode(k.DATA, "dag-cbor"))
    plain = k.record(P256, embed=k.spki_key(P256), alter=lambda _: k.ecdsa_rewritten(signature))
    padded = k.record(P256, embed=k.spki_key(P256), alter=lambda _: k.ecdsa_rewritten(signature, extra=b"\x05\x00"))
    name = IpnsName.parse(k.name_hashing(k.spki_key(P256)))
    kept = []
    for order, home in (((plain, padded), "a"), ((padded, plain), "b")):
        for names in ipns_names(tmp_path / home):
            answers = [names.accept(name, raw, now=1_700_000_000).record.raw for raw in order]
            record = names.kept(name)
            assert record is not None and answers[-1] == record.raw
            kept.append(record.raw)
    assert kept[0] == kept[1] == max(plain, padded)


# --- names with line breaks: Go's base32 and base64 decoders skip them (710612e refused them) ---


SPELLINGS = {  # label: (the name's spelling of NAME_CID, Kubo's verdict: parses)
    "base32, a line break after it (was refused)": (lambda c: c.encode("base32") + "\n", True),
    "base32, a CR LF after it (was refused)": (lambda c: c.encode("base32") + "\r\n", True),
    "base32, a line break inside it": (lambda c: c.encode("base32")[:10] + "\n" + c.encode("base32")[10:], True),
    "/ipns/ and base64, a line break after it (was refused)": (lambda c: "/ipns/" + c.encode("base64") + "\n", True),
    "base36, a line break after it": (lambda c: c.encode("base36") + "\n", False),
    "base16, a line break after it": (lambda c: c.encode("base16") + "\n", False),
    "base32, a space after it": (lambda c: c.encode("base32") + " ", False),
}


def _spelled(label: str) -> tuple[bytes, str]:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from autocodec.cid import CID

    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32))
    name = CID.parse(k.name_hashing(k.ed25519_key(private)))
    return k.record(private), SPELLINGS[label][0](name)


@pytest.mark.parametrize("label", list(SPELLINGS))
def test_names_with_line_breaks_parse_as_kubo_parses_them(label: str) -> None:
    from autocodec.verify._ipns import InvalidIpnsName

    raw, spelling = _spelled(label)
    if SPELLINGS[label][1]:
        assert problem(IpnsRecord.parse(raw), IpnsName.parse(spelling)) is None
    else:
        with pytest.raises(InvalidIpnsName):
            IpnsName.parse(spelling)


@pytest.mark.slow
@pytest.mark.ipfs
def test_kubo_parses_each_spelling_as_here(tmp_path: Path) -> None:
    """A spelling that parses verifies; one that does not gets no ``Valid:`` answer at all."""
    wrong = k.kubo_disagrees(tmp_path, ((label, *_spelled(label), True if parses else None)
                                        for label, (_, parses) in SPELLINGS.items()))
    assert not wrong, "\n".join(wrong)
