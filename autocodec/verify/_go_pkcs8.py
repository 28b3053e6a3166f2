"""A PEM PKCS#8 key file as Kubo's ``ipfs key import -f pem-pkcs8-cleartext`` reads it.

Kubo 0.43.1 takes the first block Go's ``encoding/pem.Decode`` finds, requires its type to be
``PRIVATE KEY`` and hands its bytes to ``x509.ParsePKCS8PrivateKey``. Both are Go's own rules,
which differ from OpenSSL's: ``pem.Decode`` finds ``-----BEGIN `` only at the start of a line,
reads ``Key: value`` header lines, ignores blanks and tabs in the base64 and needs exact padding
(a block it cannot read is skipped for a later one); ``asn1.Unmarshal`` (DER lengths and
integers in their minimal form) reads the ``PrivateKeyInfo`` SEQUENCE's version, algorithm and
key and ignores what follows them (attributes, a v2 public key, other elements, bytes after the
SEQUENCE), without checking the version. For Ed25519 (RFC 8410), the algorithm has no
parameters and the key is an OCTET STRING of 32 bytes (what follows it is ignored too).

Facts from Go 1.26's ``encoding/pem``, ``encoding/asn1``, ``encoding/base64`` and
``crypto/x509`` (``pkcs8.go``); the code is this project's.

Invariant: ``pem_decode`` and ``read_pkcs8`` accept exactly what those Go functions accept, for
the parts a key import reads; a refusal is ``ValueError`` saying what is wrong.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from ._go_asn1 import element, minimal_integer

ED25519_OID = bytes.fromhex("2b6570")  # 1.3.101.112, the OBJECT IDENTIFIER's contents
_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _line(data: bytes) -> tuple[bytes, bytes]:
    """Go's ``getLine``: the text up to a newline (one CR before it dropped, then trailing blanks
    and tabs), and what follows the newline."""
    at = data.find(b"\n")
    if at < 0:
        return data.rstrip(b" \t"), b""
    end = at - 1 if at > 0 and data[at - 1:at] == b"\r" else at
    return data[:end].rstrip(b" \t"), data[at + 1:]


def _go_base64(text: bytes) -> bytes:
    """``base64.StdEncoding.Decode`` of ``text``: CR and LF ignored, padding exact."""
    body = text.replace(b"\r", b"").replace(b"\n", b"")
    if len(body) % 4:
        raise ValueError("base64 not a whole number of 4-character groups")
    stripped = body.rstrip(b"=")
    pad = len(body) - len(stripped)
    if pad > 2 or (pad and len(stripped) % 4 in (0, 1)) or not set(stripped) <= _B64:
        raise ValueError("base64 with a character or padding out of place")
    try:
        return base64.b64decode(body)
    except binascii.Error:
        raise ValueError("base64 that does not decode") from None


def pem_decode(data: bytes) -> tuple[str, bytes] | None:
    """Go's ``pem.Decode``: the type and bytes of the first block it reads, or None."""
    rest = data
    while True:
        if rest.startswith(b"-----BEGIN "):
            rest = rest[len(b"-----BEGIN "):]
        elif (at := rest.find(b"\n-----BEGIN ")) >= 0:
            rest = rest[at + len(b"\n-----BEGIN "):]
        else:
            return None
        type_line, rest = _line(rest)
        if not type_line.endswith(b"-----"):
            continue
        kind = type_line[:-5]
        headers = 0
        while True:
            if not rest:
                return None
            line, after = _line(rest)
            if b":" not in line:
                break
            headers += 1
            rest = after
        if not headers and rest.startswith(b"-----END "):
            end, trailer_at = 0, len(b"-----END ")
        else:
            end = rest.find(b"\n-----END ")
            trailer_at = end + len(b"\n-----END ")
        if end < 0:
            continue
        trailer = rest[trailer_at:]
        if len(trailer) < len(kind) + 5 or not trailer.startswith(kind + b"-----"):
            continue
        if _line(trailer[len(kind) + 5:])[0]:
            continue
        try:
            der = _go_base64(rest[:end].replace(b" ", b"").replace(b"\t", b""))
        except ValueError:
            continue
        return kind.decode("utf-8", "surrogateescape"), der


@dataclass(frozen=True)
class PrivateKeyInfo:
    """The parts of a PKCS#8 ``PrivateKeyInfo`` Go reads: the algorithm's OID (its contents),
    its parameters (the element as written, empty when absent) and the private key's bytes."""

    algorithm: bytes
    parameters: bytes
    private_key: bytes


def read_pkcs8(der: bytes) -> PrivateKeyInfo:
    """``asn1.Unmarshal`` of ``der`` into x509's ``pkcs8`` struct (module docstring)."""
    tag, start, end = element(der, 0)
    if tag != 0x30:
        raise ValueError("not a SEQUENCE")
    tag, v_start, v_end = element(der, start)
    version = der[v_start:v_end]
    if tag != 0x02 or not version:
        raise ValueError("no version INTEGER")
    if len(version) > 8:
        raise ValueError("the version INTEGER is too large")
    if not minimal_integer(version):
        raise ValueError("the version INTEGER is not minimally encoded")
    tag, a_start, a_end = element(der[:end], v_end)
    if tag != 0x30:
        raise ValueError("no AlgorithmIdentifier SEQUENCE")
    tag, o_start, o_end = element(der[:a_end], a_start)
    if tag != 0x06 or o_start == o_end:
        raise ValueError("no algorithm OBJECT IDENTIFIER")
    if der[o_end - 1] & 0x80:
        raise ValueError("a truncated OBJECT IDENTIFIER")
    parameters = b""
    if o_end < a_end:
        p_tag, _, p_end = element(der[:a_end], o_end)
        parameters = der[o_end:p_end]
    tag, k_start, k_end = element(der[:end], a_end)
    if tag != 0x04:
        raise ValueError("no private key OCTET STRING")
    return PrivateKeyInfo(der[o_start:o_end], parameters, der[k_start:k_end])


def ed25519_seed(info: PrivateKeyInfo) -> bytes:
    """The 32-byte seed of an Ed25519 ``PrivateKeyInfo``, as x509 reads it (RFC 8410)."""
    if info.parameters:
        raise ValueError("an Ed25519 key's algorithm has parameters (RFC 8410: none)")
    tag, start, end = element(info.private_key, 0)
    if tag != 0x04:
        raise ValueError("the Ed25519 key is not an OCTET STRING")
    if end - start != 32:
        raise ValueError(f"an Ed25519 private key is 32 bytes, this one is {end - start}")
    return info.private_key[start:end]
