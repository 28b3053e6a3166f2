"""Kubo's command-line conventions, shared by the commands that copy Kubo's: boolean options
(``--name``, ``--name=false``), the way Kubo prints names (``cmdenv.EscNonPrint``), Go's
``%q`` quoting (from ``autocodec._gotext``), ``hex.Dump`` and JSON."""

from __future__ import annotations

import argparse
import re

from .._gotext import escaped_byte, go_escape, go_quote
from .._gounicode import go_printable, go_printable_text


def bool_flag(parser: argparse.ArgumentParser, short: str | None, name: str, default: bool | None,
              help: str) -> None:
    """A Kubo boolean option: ``--name`` sets it, ``--name=false`` / ``--no-name`` clear it."""
    dest = name.replace("-", "_")
    flags = [f"--{name}", *([short] if short else [])]
    parser.add_argument(*flags, dest=dest, action="store_const", const=True, default=default, help=help)
    spellings = [f"--{name}=true", *([f"{short}=true"] if short else [])]
    parser.add_argument(*spellings, dest=dest, action="store_const", const=True, help=argparse.SUPPRESS)
    spellings = [f"--no-{name}", f"--{name}=false", *([f"{short}=false"] if short else [])]
    parser.add_argument(*spellings, dest=dest, action="store_const", const=False, help=argparse.SUPPRESS)




def unknown_option_words(option: str) -> str:
    """Kubo 0.43.1's refusal of an option it does not know (go-ipfs-cmds 0.16.1 ``cli/parse.go``):
    ``unknown option "NAME"``, NAME the word without its ``--`` (or ``-``: a short option or a
    cluster, ``-zy`` is ``"zy"``) and without an ``=VALUE``, quoted as Go's ``%q``."""
    name = option[2:] if option.startswith("--") else option[1:]
    return f"unknown option {go_quote(name.partition('=')[0])}"


def missing_value_words(option: str) -> str:
    """Kubo 0.43.1's refusal of an option that ends the line without its value, named as typed
    (``-s``: ``"s"``), and what to do."""
    name = option[2:] if option.startswith("--") else option[1:]
    return f"missing argument for option {go_quote(name)}: give its value after {option}"


ENCODINGS = ("text", "json")
"""The values of ``--enc`` here (Kubo 0.43.1 also writes ``xml``)."""


def enc_value(text: str) -> str:
    """An argparse ``type`` for ``--enc``, read as Kubo reads it: ``text`` or ``json``, an empty
    value as ``text`` (Kubo's default); anything else is Kubo's ``invalid encoding: X``."""
    if text == "":
        return "text"
    if text not in ENCODINGS:
        shown = text if len(text) <= 40 else text[:40] + "..."
        extra = " (Kubo's xml is not written here)" if text == "xml" else ""
        raise argparse.ArgumentTypeError(f"invalid encoding: {shown}{extra}; give json or text")
    return text


def add_enc_option(parser: argparse.ArgumentParser, json_form: str = "Kubo's JSON") -> None:
    """``--enc text|json`` on a command that has a JSON form (``json_form`` says what it is);
    ``args.enc`` is ``"text"`` or ``"json"``. A command without one gets ``--enc`` from
    ``_commands.kubo_global_options`` instead."""
    parser.add_argument("--enc", type=enc_value, default="text", metavar="ENC",
                        help=f"output encoding: text (default) or json ({json_form})")


def enc_line(args: argparse.Namespace, text: str, value: object) -> str:
    """One line of a command's output, without its newline: ``text``, or ``value`` as Kubo's
    ``--enc=json`` writes it (``go_json``) when ``args.enc`` asks for JSON."""
    return go_json(value)[:-1] if getattr(args, "enc", "text") == "json" else text


def go_int(text: str) -> int:
    """An ``int`` option as Kubo's command line reads it (go-ipfs-cmds: ``strconv.ParseInt(v, 0,
    32)``): ``0x10`` is 16, ``010`` is 8 (octal), ``1_0`` is 10; for ``argparse`` ``type=``.
    Refused in Go's words, as Kubo 0.43.1 prints them: ``strconv.ParseInt: parsing "x": invalid
    syntax``, ``...: value out of range`` past 32 bits."""
    return _go_integer(text, 32, signed=True)


def go_uint32(text: str) -> int:
    """A ``uint`` option as Kubo reads it (``strconv.ParseUint(v, 0, 32)``: ``add --mode``,
    ``--mtime-nsecs``), for ``type=``; a sign is no digit (``-1`` is ``strconv.ParseUint:
    parsing "-1": invalid syntax``), past 32 bits ``value out of range``."""
    return _go_integer(text, 32, signed=False)


def go_int64(text: str) -> int:
    """An ``int64`` option as Kubo reads it (``strconv.ParseInt(v, 0, 64)``: ``add --mtime``),
    for ``type=``; refused in Go's words as ``go_int``."""
    return _go_integer(text, 64, signed=True)


def _go_integer(text: str, bits: int, *, signed: bool) -> int:
    from .._goint import base0_refusal, parse_base0

    value = parse_base0(text, bits, signed=signed)
    if value is None:
        raise argparse.ArgumentTypeError(base0_refusal(text, bits, signed=signed) or "")
    return value


PRIVATE_CODES = range(0x300000, 0x400000)
"""The multicodec table's private-use range, which go-multicodec takes by number unnamed."""


def kubo_multicodec(text: str) -> int:
    """A multicodec option as Kubo 0.43.1 reads it (go-multicodec v0.10.0 ``Code.Set``, used by
    ``block put --cid-codec``/``--format`` and ``dag get``/``dag put``'s codecs): a number in Go's
    base-0 syntax (``0x55``, ``85``, ``0125`` octal, ``0b...``, ``0o...``) that the table names or
    that is private-use, else a table name spelled exactly (any tag: ``sha2-256`` is one).
    Anything else is ``UnknownCodec`` in Kubo's words."""
    from .. import _multiformats
    from .._goint import parse_base0
    from .._gotext import go_quote
    from ..errors import UnknownCodec

    number = parse_base0(text, 64, signed=False)
    if number is not None and (number in PRIVATE_CODES or number in _multiformats.tables().codecs):
        return number
    named = _multiformats.codec_code(text)
    if named is not None:
        return named
    shown = text if len(text) <= 100 else text[:100] + "..."
    raise UnknownCodec(shown, f"unknown multicodec: {go_quote(shown)}",
                       hint="give a name or code of the multicodec table (`autocodec cid codecs` lists them)")


GO_MULTIHASH_ALIASES = {"sha3": 0x14}
"""Names go-multihash v0.2.3's ``Names`` holds beside the multicodec table's: ``sha3`` is
sha3-512 (Kubo 0.43.1's ``block put --mhtype=sha3`` makes a sha3-512 CID)."""


def kubo_mhtype(text: str) -> int:
    """``block put --mhtype`` as Kubo 0.43.1 reads it (go-multihash's ``Names``): a hash
    function's name spelled exactly; no number, no other letter case. One addition for
    extension hashers: a private-use code (0x300000-0x3fffff, which no table names) by number
    in Go's base-0 syntax. Anything else is ``UnknownHash`` in Kubo's words."""
    from .. import _multiformats
    from .._goint import parse_base0
    from ..errors import UnknownHash

    number = parse_base0(text, 64, signed=False)
    if number is not None and number in PRIVATE_CODES:
        return number
    named = GO_MULTIHASH_ALIASES.get(text) or _multiformats.hash_code(text)
    if named is not None:
        return named
    shown = text if len(text) <= 100 else text[:100] + "..."
    raise UnknownHash(shown, f"unrecognized multihash function: {shown}",
                      hint="give a hash function's name as `autocodec cid hashes` lists it (e.g. sha2-256), "
                           "or a private-use code for an extension hasher")


def kubo_escape(name: str) -> str:
    """A name as Kubo prints it (cmdenv.EscNonPrint): Go's strconv.Quote without the quotes,
    and with ``"`` left as is, when the name holds a backslash or a non-printable character.
    A byte that is not UTF-8 (a surrogate escape from ``os.listdir``) reads as U+FFFD in Go,
    which is printable: alone it is written as the byte it is, and quoted it is ``\\xNN``."""
    if "\\" not in name and (go_printable_text(name) or all(go_printable(ch) or escaped_byte(ch) for ch in name)):
        return name
    return go_escape(name, quote=False)


def go_json(value: object) -> str:
    """``value`` as Kubo's ``--enc=json`` writes it (Go's ``encoding/json``): compact, UTF-8 as
    is, and ``<``, ``>``, ``&``, U+2028 and U+2029 escaped (Go's HTML-safe default); a byte that
    is not UTF-8 (a surrogate escape here) written ``\\ufffd``, one a byte, as Go writes it; a
    newline."""
    import json

    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return _NOT_UTF8.sub(r"\\ufffd", text) + "\n"


_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def go_hex_dump(data: bytes) -> str:
    """Go's ``encoding/hex.Dump``: 16 bytes a line, offset, hex in two groups, ``|ASCII|``."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset:offset + 16]
        cells = [f"{offset:08x}  "]
        for i in range(16):
            cell = f"{chunk[i]:02x} " if i < len(chunk) else "   "
            cells.append(cell + (" " if i == 7 else " |" if i == 15 else ""))
        text = "".join(chr(b) if 32 <= b <= 126 else "." for b in chunk)
        lines.append("".join(cells) + text + "|\n")
    return "".join(lines)


def kubo_file_args(paths: list[str]) -> list[str]:
    """File arguments in the order Kubo's command line reads them (checked against Kubo 0.43.1's
    ``add``, ``block put`` and ``dag put``): it keys them by base name, so stdin (``-``) comes
    first, then the files in name order; a name given again from the same folder, as spelled
    (``a``, ``./a``), is read once, and from another folder is refused, as Kubo refuses it."""
    import posixpath

    from ..errors import InvalidInput
    from ..unixfs._add import entry_name
    from ..unixfs._layout import name_bytes

    named: dict[str, tuple[str, str]] = {}  # base name -> (folder as spelled, path)
    for path in paths:
        if path == "-":
            continue
        name, folder = entry_name(path), posixpath.dirname(posixpath.normpath(path)) or "."
        if name in named and named[name][0] != folder:
            raise InvalidInput(f"file name {name!r} repeated under different folders: {named[name][0]} and {folder}",
                               hint="give one of them under another name (Kubo's command line keys files by name)")
        named.setdefault(name, (folder, path))
    return ["-"] * ("-" in paths) + [named[name][1] for name in sorted(named, key=name_bytes)]


def refuse_missing_files(paths: list[str]) -> None:
    """``InvalidInput`` for the first path (``-`` aside) that names nothing or a folder, before
    any is read: Kubo 0.43.1's command line looks at every file argument before the command
    runs (``block put a missing`` stores nothing and prints nothing), where reading them in
    turn would store ``a`` and print its CID, then fail. A file that cannot be read is still
    found when it is read."""
    import os
    import stat

    from ..errors import InvalidInput

    for path in paths:
        if path in ("-", ""):
            continue  # standard input; an empty path is refused where it is read
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", hint="check the path") from None
        except ValueError:  # a NUL in the path: refused where it is read
            continue
        if stat.S_ISDIR(mode):
            raise InvalidInput(f"cannot read {path}: Is a directory", hint="check the path")


BIG_BLOCK_BYTES = 2 * 1024 * 1024
"""The largest block Kubo 0.43.1's ``block put`` and ``dag put`` store without ``--allow-big-block``
(bitswap peers exchange blocks up to this size)."""


def refuse_big_block(size: int, allowed: bool) -> None:
    """``InvalidInput`` for a block over ``BIG_BLOCK_BYTES`` unless ``--allow-big-block`` was given."""
    if size > BIG_BLOCK_BYTES and not allowed:
        from ..errors import InvalidInput

        raise InvalidInput(f"the block is {size} bytes, over the 2 MiB IPFS peers exchange",
                           hint="add it as a UnixFS file (autocodec add) to chunk it, or pass --allow-big-block")
