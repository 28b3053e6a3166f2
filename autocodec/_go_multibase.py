"""base2, base32 and base64 text read as Kubo v0.43.1 reads it: go-multibase v0.3.0 over
multiformats/go-base32 v0.1.0 and Go's ``encoding/base64``, where they take more or less than
RFC 4648's strict reading.

Facts from those Go packages (the code is this project's):

- base2 (``0``): text whose length is not a multiple of 8 is read with zeros put before it;
  each group of 8 is Go's ``strconv.ParseInt(group, 2, 0)`` (a leading ``+`` or ``-`` taken)
  cut to a byte.
- base32 (``b B v V``, unpadded; ``c C t T``, padded), either case: CR and LF anywhere are
  skipped; an unpadded text's last group of 1, 3 or 6 characters (which hold no whole byte) is
  dropped; a padded text is whole groups of 8, and its padding (``=`` from the third character
  of a group on, reaching the last 8 characters) ends the reading: up to 7 characters after the
  group it ends are ignored.
- base64 (``m u``, unpadded; ``M U``, padded): CR and LF anywhere are skipped; a padded text
  has exactly the padding its last group needs and nothing after it.
- The bits a last character carries past the last whole byte are ignored (Go's decoders are
  not strict).

Invariant: each decoder returns the bytes the Go decoder returns for the same text, and raises
``ValueError`` (saying what is wrong) where the Go decoder returns an error.
"""

from __future__ import annotations

import base64 as _rfc4648
import binascii

B32_STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B32_HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
_B32_VALUES = {alphabet: {ch: i for i, ch in enumerate(alphabet)} | {ch.lower(): i for i, ch in enumerate(alphabet)}
               for alphabet in (B32_STD, B32_HEX)}
_B64_STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_URL = _B64_STD[:62] + "-_"
_B64_VALUES = {alphabet: {ch: i for i, ch in enumerate(alphabet)} for alphabet in (_B64_STD, _B64_URL)}
_B32_GROUP_BYTES = {2: 1, 4: 2, 5: 3, 7: 4, 8: 5}  # characters in a group -> the whole bytes they hold
_B32_PADDING = {0: "", 2: "======", 4: "====", 5: "===", 7: "="}  # length % 8 -> RFC 4648 padding
_B64_GROUP_BYTES = {2: 1, 3: 2, 4: 3}


def base2(text: str) -> bytes:
    """go-multibase's base2: zeros put before a text not a multiple of 8 long, then each group
    of 8 as ``ParseInt`` reads it in base 2, cut to a byte."""
    if len(text) % 8:
        text = "0" * (8 - len(text) % 8) + text
    out = bytearray()
    for start in range(0, len(text), 8):
        group = text[start:start + 8]
        digits = group[1:] if group[0] in "+-" else group
        if not digits or digits.strip("01"):
            raise ValueError(f"invalid base2 group {group!r} (ParseInt: invalid syntax)")
        value = int(digits, 2)
        out.append((-value if group[0] == "-" else value) & 0xFF)
    return bytes(out)


def base32(text: str, *, hex_alphabet: bool = False, padded: bool = False) -> bytes:
    """go-base32's ``decode`` (module docstring): RFC 4648 base32 in either case.

    Text RFC 4648 reads the same way (no CR, LF or ``=``, a length whole groups and a last
    group that holds whole bytes) goes to the standard library's decoder in C; the rest is read
    group by group below.
    """
    if not ("=" in text or "\r" in text or "\n" in text):
        padding = _B32_PADDING.get(len(text) % 8)
        if padding is not None and (not padded or not padding):
            decode = _rfc4648.b32hexdecode if hex_alphabet else _rfc4648.b32decode
            try:
                return decode(text + padding, casefold=True)
            except (binascii.Error, ValueError):
                pass  # a character outside the alphabet: the reading below names it
    values = _B32_VALUES[B32_HEX if hex_alphabet else B32_STD]
    text = text.replace("\r", "").replace("\n", "")
    out = bytearray()
    pos, size = 0, len(text)
    while pos < size:
        group: list[int] = []
        end = False
        while len(group) < 8:
            if pos == size:
                if padded:
                    raise ValueError("padded base32 must be whole 8-character groups, the last padded with '='")
                break
            ch = text[pos]
            pos += 1
            if ch == "=" and padded and len(group) >= 2 and size - pos < 8:
                _check_base32_padding(text, pos, len(group))
                end = True
                break
            value = values.get(ch)
            if value is None:
                raise ValueError(f"invalid base32 character {ch!r} at {pos - 1}")
            group.append(value)
        whole = _B32_GROUP_BYTES.get(len(group), 0)  # 1, 3 or 6 characters: no whole byte, dropped
        if whole:
            bits = 0
            for value in group:
                bits = bits << 5 | value
            out += (bits << 5 * (8 - len(group))).to_bytes(5, "big")[:whole]
        if end:
            break
    return bytes(out)


def _check_base32_padding(text: str, after: int, held: int) -> None:
    """The padding of a group holding ``held`` characters, its first ``=`` just before ``after``."""
    needed = 7 - held  # the '=' still to come
    if len(text) - after < needed:
        raise ValueError("not enough base32 padding")
    if text[after:after + needed] != "=" * needed:
        raise ValueError("incorrect base32 padding")
    if held in (1, 3, 6):
        raise ValueError(f"a padded base32 group of {held} characters holds no whole byte")


def base64(text: str, *, url: bool = False, padded: bool = False) -> bytes:
    """Go's ``encoding/base64`` (module docstring): the standard or URL alphabet."""
    values = _B64_VALUES[_B64_URL if url else _B64_STD]
    text = text.replace("\r", "").replace("\n", "")
    body = text[:len(text) - 2] + text[-2:].rstrip("=") if padded else text
    pads = len(text) - len(body)
    if padded and (len(text) % 4 or pads != -len(body) % 4):
        raise ValueError("padded base64 must be whole 4-character groups, the last padded with '='")
    out = bytearray()
    for start in range(0, len(body), 4):
        group = body[start:start + 4]
        bits = 0
        for offset, ch in enumerate(group):
            value = values.get(ch)
            if value is None:
                raise ValueError(f"invalid base64 character {ch!r} at {start + offset}")
            bits = bits << 6 | value
        whole = _B64_GROUP_BYTES.get(len(group))
        if whole is None:
            raise ValueError("a base64 text ends with a lone character (it holds no whole byte)")
        out += (bits << 6 * (4 - len(group))).to_bytes(3, "big")[:whole]
    return bytes(out)
