"""``autocodec cid format|base32|inspect|bases|codecs|hashes``: Kubo's ``ipfs cid`` commands.

The same options and output (checked byte for byte against Kubo v0.43.1 in
tests/test_cid_kubo.py): ``format``'s printf-style specifiers (go-cidutil's: ``%s %S %b %B %v
%V %c %C %h %H %L %m %M %d %D %P %%``), version and codec conversion, every multibase
go-multibase knows; the tables of multibases, codecs and hash functions Kubo is built with
(``autocodec/_multiformats.py``). One extension, written in the help: ``codecs --supported``
and ``hashes --supported`` list what this installation decodes and hashes: the builtins and
the codes of the extension sets pinned in the home (Kubo lists its own plugins).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..cid import B36_ALPHABET, B58_ALPHABET
from ._actions import command_with_actions
from ._kubo import add_enc_option, bool_flag, go_json

if TYPE_CHECKING:  # pragma: no cover
    from ..cid import CID

EPILOG = """examples:
  autocodec cid format -f '%P' bafy...            # cidv1-dag-pb-sha2-256-32
  autocodec cid format -v 1 -b base36 Qm...        # convert version and base
  autocodec cid base32 Qm...                       # the case-insensitive CIDv1 form
  autocodec cid inspect bafy...                    # version, base, codec and hash, spelled out
  autocodec cid codecs --supported --numeric       # codecs this installation decodes (Wasm sets too)
"""

FORMAT_HELP = """printf-style format: %% literal %, %b multibase name, %B multibase code, %v version string,
%V version number, %c codec name, %C codec code, %h multihash name, %H multihash code, %L digest
length, %m multihash in base %b (with prefix), %M (without), %d digest in base %b (with prefix),
%D (without), %s CID in base %b, %S (without prefix), %P prefix %v-%c-%h-%L (default %s)"""


def register(sub: Any) -> None:
    cs = command_with_actions(sub, "cid", "convert and inspect CIDs; list multibases, codecs, hashes (Kubo's `ipfs cid`)", EPILOG)
    fmt = cs.add_parser("format", help="format and convert CIDs", epilog=FORMAT_HELP)
    fmt.add_argument("cids", nargs="*", metavar="CID", help="CIDs (default: one per line on stdin)")
    fmt.add_argument("-f", dest="format", default="%s", help="printf-style format (default %%s; see below)")
    fmt.add_argument("-v", dest="version", help="CID version to convert to (0 or 1)")
    fmt.add_argument("--mc", dest="codec", help="multicodec to convert to (name or number)")
    fmt.add_argument("-b", dest="base", help="multibase to write the CID in (name or prefix)")
    fmt.set_defaults(func=run_format)
    b32 = cs.add_parser("base32", help="convert CIDs to CIDv1 in base32")
    b32.add_argument("cids", nargs="*", metavar="CID", help="CIDs (default: one per line on stdin)")
    b32.set_defaults(func=run_base32)
    ins = cs.add_parser("inspect", help="show a CID's version, multibase, codec and multihash")
    ins.add_argument("cid", nargs="?", metavar="CID", help="the CID (default: the first line on stdin)")
    add_enc_option(ins, "Kubo's object of the CID's parts")
    ins.set_defaults(func=run_inspect)
    bases = cs.add_parser("bases", help="list the multibases")
    bool_flag(bases, None, "prefix", False, "also print each base's prefix")
    bool_flag(bases, None, "numeric", False, "also print each base's code")
    _add_enc(bases)
    bases.set_defaults(func=run_bases)
    for action, what in (("codecs", "CID codecs (the multicodec table's IPLD codes)"),
                         ("hashes", "multihash functions (those Kubo allows in CIDs)")):
        sp = cs.add_parser(action, help=f"list the {what}")
        bool_flag(sp, "-n", "numeric", False, "also print each code")
        bool_flag(sp, "-s", "supported", False,
                  "only those this installation supports: builtins and the pinned extension sets' codes")
        _add_enc(sp)
        sp.set_defaults(func=run_codecs if action == "codecs" else run_hashes)


def _add_enc(parser: argparse.ArgumentParser) -> None:
    add_enc_option(parser, "Kubo's list of Code and Name")


# --- parsing and spelling, as go-cid, go-multibase and go-multicodec do ---------------------


def _arguments(given: list[str]) -> Iterator[str]:
    """The arguments, else stdin's lines (stripped), as Kubo reads an argument from stdin; none
    at all (no argument, and stdin a terminal or empty) is Kubo's ``argument "cid" is required``."""
    if given:
        yield from given
        return
    from ..errors import InvalidInput

    if sys.stdin is None or sys.stdin.isatty():
        raise _no_cid()
    from ._io import stdin_binary

    stream = stdin_binary()
    read = False
    while line := stream.readline(_MAX_LINE + 1):  # a line without end (< /dev/zero) is cut, not held whole
        if len(line) > _MAX_LINE and not line.endswith(b"\n"):
            raise InvalidInput(f"a line of standard input is over {_MAX_LINE} bytes, far more than any CID",
                               hint="give one CID per line")
        read = True
        yield line.decode("utf-8", "surrogateescape").strip()
    if not read:
        raise _no_cid()


def _no_cid() -> Exception:
    from ..errors import InvalidInput

    return InvalidInput('argument "cid" is required', hint="give CIDs as arguments or one per line on stdin")


_MAX_LINE = 1 << 20
"""The longest line of standard input read as one CID (a CID's text is a few hundred bytes)."""


def _base_of(text: str) -> int:
    """go-cid's ``ExtractEncoding``: base58btc for a CIDv0 string, else the code of the text's
    first *byte*, -1 where that names no base (so a base256emoji CID has none: Go reads the
    emoji's first UTF-8 byte)."""
    from .._multiformats import tables

    if len(text) == 46 and text.startswith("Qm"):
        return ord("z")
    first = text.encode("utf-8", "surrogateescape")[0]
    return first if first in tables().bases else -1


def _unprefixed(text: str) -> str:
    """``text`` without its first byte, as go-cidutil cuts a multibase prefix (``str[1:]``)."""
    return text.encode("utf-8", "surrogateescape")[1:].decode("utf-8", "surrogateescape")


def _encoder(code: int) -> Any:
    """``encode(bytes) -> text with prefix`` for multibase ``code`` (``ValueError`` if unknown)."""
    from .._multiformats import tables
    from ..cid import MULTIBASES

    name = tables().bases.get(code)
    if name is None:
        raise ValueError(f"unsupported multibase encoding: {code}")
    if name == "identity":
        return lambda data: "\x00" + bytes(data).decode("utf-8", "surrogateescape")
    return MULTIBASES[name]


def _base_by_name(text: str) -> int:
    """go-multibase's ``EncoderByName``: a name, or a one-character prefix."""
    from .._multiformats import base_code, tables

    if len(text) == 1 and ord(text) in tables().bases:
        return ord(text)
    code = base_code(text) if text else None
    if code is None:
        raise ValueError(f"unsupported multibase encoding: {text}" if text else "empty multibase encoding")
    return code


def _codec_by_text(text: str) -> int:
    """go-multicodec's ``Code.Set``: a number (base 0) that is a known or private-use code, or a name."""
    from .._goint import parse_base0
    from .._multiformats import codec_code, tables

    number = parse_base0(text, 64, signed=False)
    if number is not None and (0x300000 <= number <= 0x3FFFFF or number in tables().codecs):
        return number
    code = codec_code(text)
    if code is None:
        raise ValueError(f"unknown multicodec: {text!r}")
    return code


def _parse(text: str) -> "CID":
    """go-cid's ``Decode``: the text as given (no space trimmed; CR and LF skipped in base32 and
    base64, as Go's decoders skip them), refused in its words when
    shorter than two characters, not starting with a multibase prefix, or holding a character
    the base's decoder refuses (``_decoder_error``)."""
    from .._multiformats import tables
    from ..cid import CID
    from ..errors import InvalidCID

    if len(text) < 2:
        raise InvalidCID("invalid cid: cid too short")
    v0 = len(text) == 46 and text.startswith("Qm")
    if not v0 and ord(text[0]) not in tables().bases:
        raise InvalidCID("invalid cid: selected encoding not supported")
    said = _decoder_error("z", text) if v0 else _decoder_error(text[0], text[1:])
    if said is not None:  # go-multihash's FromB58String says one thing for every base58 error
        raise InvalidCID("invalid cid: " + ("input isn't valid multihash" if v0 else said))
    if not v0 and _DECODERS.get(text[0], ("",))[0] in ("base32", "base64"):
        text = text.replace("\r", "").replace("\n", "")  # Go's base32/base64 decoders skip them anywhere
    if text != text.strip():
        raise InvalidCID(f"invalid cid: {text[:100]!r}")
    return CID.parse(text)


_B32, _B32HEX = "abcdefghijklmnopqrstuvwxyz234567", "0123456789abcdefghijklmnopqrstuv"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdefABCDEF"
_DECODERS: dict[str, tuple[str, str]] = {
    **dict.fromkeys("bBcC", ("base32", _B32 + _B32.upper())),
    **dict.fromkeys("vVtT", ("base32", _B32HEX + _B32HEX.upper())),
    **dict.fromkeys("mM", ("base64", _B64 + "+/")), **dict.fromkeys("uU", ("base64", _B64 + "-_")),
    "z": ("base58", B58_ALPHABET), **dict.fromkeys("fF", ("hex", _HEX)),
    **dict.fromkeys("kK", ("base36", B36_ALPHABET + B36_ALPHABET.upper())),
}
"""Multibase prefix: (its decoder in go-multibase, the characters it takes; go-multibase takes
base32, base36 and base16 in either case)."""


def _decoder_error(prefix: str, data: str) -> str | None:
    """What go-multibase's decoder (Go's encoding/base32, encoding/base64, encoding/hex,
    mr-tron/base58, multiformats/go-base36) says of the first character of ``data`` it cannot
    take, when that is ASCII other than the padding ``=``; None otherwise (left to
    ``CID.parse``). The base32 and base64 decoders skip CR and LF and name the character's
    index in ``data``."""
    kind, alphabet = _DECODERS.get(prefix, ("", ""))
    for index, ch in enumerate(data):
        if ch in alphabet or (ch in "\r\n" and kind in ("base32", "base64")):
            continue
        if not kind or ch == "=" or not ch.isascii():
            return None
        if kind in ("base32", "base64"):
            return f"illegal {kind} data at input byte {index}"
        if kind == "hex":  # Go's %#U
            return f"encoding/hex: invalid byte: U+{ord(ch):04X}" + (f" '{ch}'" if ch.isprintable() else "")
        from .._gotext import go_escape

        quoted = "'" + ("\\'" if ch == "'" else go_escape(ch, quote=False)) + "'"  # Go's %q of a byte
        return f"invalid base58 digit ({quoted})" if kind == "base58" else f"invalid base36 character ({quoted})"
    return None


def _raw_byte(value: int) -> str:
    """One byte as text that writes back as that byte (a surrogate escape above 0x7f)."""
    value &= 0xFF
    return chr(value) if value < 0x80 else chr(0xDC00 + value)


class FormatStringError(ValueError):
    """A format string go-cidutil refuses: fatal for the whole command, as in Kubo."""


def format_cid(spec: str, base: int, cid: "CID") -> str:
    """go-cidutil's ``Format``."""
    from .._multiformats import codec_name, hash_name

    encode = _encoder(base)
    code, digest = cid.hash_code, cid.digest
    length = len(digest)
    hname = hash_name(code) or f"hash?{code}"
    out: list[str] = []
    i = 0
    while i < len(spec):
        ch = spec[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        i += 1
        if i >= len(spec):
            raise FormatStringError("premature end of format string")
        verb = spec[i]
        i += 1
        if verb == "%":
            out.append("%")
        elif verb == "b":
            from .._multiformats import tables

            out.append(tables().bases.get(base, f"base?{chr(base)}"))
        elif verb == "B":
            out.append(_raw_byte(base))
        elif verb == "v":
            out.append(f"cidv{cid.version}")
        elif verb == "V":
            out.append(str(cid.version))
        elif verb == "c":
            out.append(codec_name(cid.codec))
        elif verb == "C":
            out.append(str(cid.codec))
        elif verb == "h":
            out.append(hname)
        elif verb == "H":
            out.append(str(code))
        elif verb == "L":
            out.append(str(length))
        elif verb in "mM":
            text = encode(cid.multihash)
            out.append(_unprefixed(text) if verb == "M" else text)
        elif verb in "dD":
            text = encode(digest)
            out.append(_unprefixed(text) if verb == "D" else text)
        elif verb == "s":
            out.append(str(cid) if cid.version == 0 else encode(bytes(cid)))
        elif verb == "S":
            out.append(_unprefixed(encode(bytes(cid))))
        elif verb == "P":
            out.append(f"cidv{cid.version}-{codec_name(cid.codec)}-{hname}-{length}")
        else:
            raise FormatStringError(f"unrecognized specifier in format string: %{verb}")
    return "".join(out)


def _emit(args: argparse.Namespace, spec: str, base: int | None, convert: Any, codec: int | None) -> int:
    """Kubo's ``emitCids``: each CID formatted on stdout; a bad one named on stderr, and the
    command fails at the end (the others are still printed)."""
    from ..cid import CID
    from ..errors import AutocodecError, InvalidInput
    from ._io import write_stdout

    failed = False
    for text in _arguments(args.cids):
        try:
            cid = _parse(text)
            if codec is not None and codec != cid.codec:
                cid = CID.build(codec, cid.multihash)
            if convert is not None:
                cid = convert(cid)
            chosen = base if base is not None else (ord("z") if cid.version == 0 else _base_of(text))
            line = format_cid(spec, chosen, cid)
        except FormatStringError as exc:
            raise InvalidInput(str(exc), hint="see `autocodec cid format --help` for the specifiers") from None
        except (AutocodecError, ValueError) as exc:
            failed = True
            reason = exc.message if isinstance(exc, AutocodecError) else str(exc)
            sys.stderr.write(f"{text}: {reason}\n")
            continue
        write_stdout((line + "\n").encode("utf-8", "surrogateescape"))
    if failed:
        raise InvalidInput("errors while displaying some entries", hint="each is named above")
    return 0


def _to_v0(cid: "CID") -> "CID":
    from ..cid import CID

    if cid.codec != 0x70:
        raise ValueError("can't convert non-dag-pb nodes to cidv0")
    return CID.build(0x70, cid.multihash, version=0)


def _to_v1(cid: "CID") -> "CID":
    return cid.to_v1()


def run_format(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput

    if "%" not in args.format:
        from .._gotext import go_quote

        raise InvalidInput(f"invalid format string: {go_quote(args.format)}")  # Go's %q, as Kubo 0.43.1
    try:
        codec = _codec_by_text(args.codec) if args.codec else None
        base = _base_by_name(args.base) if args.base else None  # Kubo: an empty -b is no -b
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    convert: Any = None
    if not args.version:  # Kubo: an empty -v is no -v
        convert = _to_v1 if base is not None else None
    elif args.version == "0":
        if codec not in (None, 0x70):
            raise InvalidInput("cannot convert to CIDv0 with any codec other than dag-pb")
        if base not in (None, ord("z")):
            raise InvalidInput("cannot convert to CIDv0 with any multibase other than the implicit base58btc")
        convert = _to_v0
    elif args.version == "1":
        convert = _to_v1
    else:
        raise InvalidInput(f"invalid cid version: {args.version!r}")
    return _emit(args, args.format, base, convert, codec)


def run_base32(args: argparse.Namespace) -> int:
    return _emit(args, "%s", ord("b"), _to_v1, None)


def run_inspect(args: argparse.Namespace) -> int:
    from .._multiformats import codec_name, hash_name, tables
    from ..cid import CID
    from ..errors import AutocodecError, InvalidCID
    from ._io import write_stdout

    text = args.cid if args.cid is not None else next(_arguments([]))
    try:
        cid = _parse(text)
    except AutocodecError as exc:
        message = f"invalid CID: {exc.message}"
        try:
            from ..verify._ipns import IpnsName

            name = IpnsName.parse(text)
            message += f"\nNote: the value is a PeerID; inspect its CID representation instead:\n  {name}"
        except AutocodecError:
            pass
        if args.enc == "json":  # Kubo's RPC answer: the error inside the result
            empty = {"cid": text, "version": 0, "multibase": {"prefix": "", "name": ""},
                     "multicodec": {"code": 0, "name": ""},
                     "multihash": {"code": 0, "name": "", "length": 0, "digest": ""}, "cidV1": "", "errorMsg": message}
            write_stdout(go_json(empty).encode("utf-8", "surrogateescape"))
            return 0
        raise InvalidCID(message.replace("\nNote: ", "; ").replace(":\n  ", ": ")) from None
    code, digest = cid.hash_code, cid.digest
    length = len(digest)
    base = ord("z") if cid.version == 0 else _base_of(text)
    codec = codec_name(cid.codec)
    result: dict[str, Any] = {
        "cid": text, "version": cid.version,
        "multibase": {"prefix": chr(base) if base >= 0 else "\ufffd", "name": tables().bases.get(base, "")},
        "multicodec": {"code": cid.codec, "name": "unknown" if codec.startswith("Code(") else codec},
        "multihash": {"code": code, "name": hash_name(code) or "unknown", "length": length,
                      "digest": digest.hex()},
    }
    if cid.codec == 0x70 and code == 0x12 and length == 32:
        result["cidV0"] = str(CID.build(0x70, cid.multihash, version=0))
    result["cidV1"] = cid.to_v1().encode("base36" if cid.codec == 0x72 else "base32")
    if args.enc == "json":
        write_stdout(go_json(result).encode("utf-8", "surrogateescape"))
        return 0
    implicit = ", implicit" if cid.version == 0 else ""
    mb, mc, mh = result["multibase"], result["multicodec"], result["multihash"]
    lines = [f"CID:        {text}", f"Version:    {cid.version}",
             f"Multibase:  {mb['name']} (implicit)" if cid.version == 0 else f"Multibase:  {mb['name']} ({mb['prefix']})",
             f"Multicodec: {mc['name']} (0x{mc['code']:x}{implicit})",
             f"Multihash:  {mh['name']} (0x{mh['code']:x}{implicit})",
             f"  Length:   {length} bytes", f"  Digest:   {mh['digest']}"]
    if "cidV0" in result:
        lines.append(f"CIDv0:      {result['cidV0']}")
    elif cid.codec != 0x70:
        lines.append(f"CIDv0:      not possible, requires dag-pb (0x70), got {mc['name']} (0x{cid.codec:x})")
    elif code != 0x12:
        lines.append(f"CIDv0:      not possible, requires sha2-256 (0x12), got {mh['name']} (0x{code:x})")
    else:
        lines.append(f"CIDv0:      not possible, requires 32-byte digest, got {length}")
    lines.append(f"CIDv1:      {result['cidV1']}")
    write_stdout(("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))
    return 0


def run_bases(args: argparse.Namespace) -> int:
    from .._multiformats import tables
    from ._io import write_stdout

    if args.enc == "json":
        return _json_listing(list(tables().bases.items()))
    bases = sorted(tables().bases.items(), key=lambda item: (ord(chr(item[0]).lower()), -item[0]))
    lines = []
    for code, name in bases:
        prefix = chr(code) if chr(code).isprintable() else " "
        if args.prefix and args.numeric:
            lines.append(f"{prefix} {code:7d}  {name}")
        elif args.prefix:
            lines.append(f"{prefix}  {name}")
        elif args.numeric:
            lines.append(f"{code:7d}  {name}")
        else:
            lines.append(name)
    write_stdout(("\n".join(lines) + "\n").encode("utf-8"))
    return 0


def _supported(kind: str, builtin_codes: set[int]) -> set[int]:
    """The builtin codes and those the home's pinned extension sets list for ``kind``."""
    from ..home import Home

    codes = set(builtin_codes)
    home = Home.resolve()
    if home.exists():
        from ..verify import TrustStore

        with TrustStore.open(home) as trust:
            codes.update(int(key) for key in trust.listed(kind) if key.isdigit())
    return codes


def _json_listing(rows: list[tuple[int, str]]) -> int:
    """Kubo's ``--enc=json`` of a table: a list of ``{"Code", "Name"}`` objects, by code here
    (Kubo lists bases and hashes in Go's map order, which changes from run to run)."""
    from ._io import write_stdout

    write_stdout(go_json([{"Code": code, "Name": name} for code, name in sorted(rows)]).encode("utf-8"))
    return 0


def _listing(rows: list[tuple[int, str]], numeric: bool, enc: str = "text") -> int:
    from ._io import write_stdout

    if enc == "json":
        return _json_listing(rows)
    text = "".join(f"{code:5d}  {name}\n" if numeric else f"{name}\n" for code, name in sorted(rows))
    write_stdout(text.encode("utf-8"))
    return 0


def run_codecs(args: argparse.Namespace) -> int:
    from .. import builtin
    from .._multiformats import codec_name, tables

    if not args.supported:
        return _listing([(code, name) for code, (name, tag) in tables().codecs.items() if tag == "ipld"], args.numeric,
                        args.enc)
    supported = _supported("codec", set(builtin.CODECS) | {0x72})
    return _listing([(code, codec_name(code)) for code in supported], args.numeric, args.enc)


def run_hashes(args: argparse.Namespace) -> int:
    from .. import builtin
    from .._multiformats import tables

    supported = _supported("hasher", set(builtin.HASHERS)) if args.supported else None
    rows = [(code, name) for code, (name, allowed) in tables().hashes.items()
            if allowed and (supported is None or code in supported)]
    return _listing(rows, args.numeric, args.enc)
