"""``autocodec bao hash|encode|decode|slice|decode-slice``: Bao verified streaming, in the
reference tool's shape (oconnor663/bao's ``bao`` command), through the pinned ``verifier bao``.

Invariants: ``-`` or an absent INPUT/OUTPUT is stdin/stdout; memory stays bounded for any
input size; a failed verification exits non-zero having written only verified bytes (to a
stream; a file OUTPUT is put in place only whole).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, TypeVar, cast

from ._options import whole_number


EPILOG = """examples:
  autocodec bao hash big.iso                          # the BLAKE3 (= Bao) root hash, hex
  autocodec bao encode big.iso big.bao                # combined encoding
  autocodec bao encode big.iso --outboard big.obao    # outboard: the tree only
  autocodec bao decode HASH big.bao out.iso           # verified stream; exit 1 at the first bad chunk
  autocodec bao decode HASH big.iso --outboard big.obao --start 1000000 --count 4096
  autocodec bao slice 1000000 4096 big.bao piece.slice
  autocodec bao decode-slice HASH 1000000 4096 piece.slice out.bin
  autocodec bao encode big.iso --outboard big.obao4 --group-log 4   # chunk groups of 16 KiB (Iroh's bao-tree)
  autocodec bao add big.iso                           # -> bafkr4i... (raw + blake3 CID), kept as its combined encoding
  autocodec bao cat CID --gateway http://127.0.0.1:8080 > big.iso   # from `autocodec serve`'s /bao/CID, verified
"""


def _count(text: str) -> int:
    """A byte offset or count: an integer from 0 to 2^64-1, decimal as the reference tool reads it
    (leading zeros allowed) or with a ``0x``, ``0o``, ``0b`` prefix."""
    value = whole_number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of bytes")
    if not 0 <= value < 1 << 64:
        raise argparse.ArgumentTypeError("must be between 0 and 2^64-1")
    return value


def _hash(text: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) != 32:
        raise argparse.ArgumentTypeError("a Bao hash is 64 hex digits")
    return value


def _nonnegative(what: str) -> Any:
    """An int64 option as ``ipfs cat`` reads it (go-ipfs-cmds: ``strconv.ParseInt(v, 0, 64)``:
    ``010`` is octal 8, ``0x10``, ``0b1``, ``1_0``, a leading ``+``), then Kubo's refusal of a
    negative value; a malformed one in Go's words (``strconv.ParseInt: parsing "x": invalid
    syntax``, ``...: value out of range``), as Kubo prints them."""
    from .._goint import base0_refusal, parse_base0

    def parse(text: str) -> int:
        value = parse_base0(text, 64, signed=True)
        if value is None:
            raise argparse.ArgumentTypeError(base0_refusal(text, 64, signed=True) or "")
        if value < 0:
            raise argparse.ArgumentTypeError(f"cannot specify negative {what}")  # Kubo's words
        return value

    return parse


def add_range_options(p: argparse.ArgumentParser) -> None:
    """``-o/--offset`` and ``-l/--length`` as ``ipfs cat`` has them (Kubo v0.43.1)."""
    p.add_argument("-o", "--offset", type=_nonnegative("offset"), default=0,
                   help="byte offset to begin reading from (a BLAKE3 blob: a verified slice)")
    p.add_argument("-l", "--length", type=_nonnegative("length"), default=None,
                   help="maximum number of bytes to read")


_Piece = TypeVar("_Piece", bytes, memoryview)


def clip(pieces: Iterable[_Piece], offset: int, length: int | None) -> Iterator[_Piece]:
    """The bytes ``[offset, offset+length)`` of a stream of pieces (Kubo's cat: an offset past
    the end gives nothing)."""
    skip, left = offset, length
    for piece in pieces:
        if left is not None and left <= 0:
            return
        if skip >= len(piece):
            skip -= len(piece)
            continue
        part = piece[skip:] if skip else piece
        skip = 0
        if left is not None:
            part = part[:left]
            left -= len(part)
        if part:
            yield part


_MAX_TIMEOUT_S = 1e6


def _seconds(text: str) -> float:
    """A timeout: a finite number of seconds above 0 (a socket refuses NaN, infinity, a negative
    value or one past its clock; 0 would mean "do not wait at all")."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= _MAX_TIMEOUT_S:  # NaN fails both comparisons
        raise argparse.ArgumentTypeError(f"{text!r} is not a timeout: give seconds above 0, at most {_MAX_TIMEOUT_S:.0f}")
    return value


def _group_log(text: str) -> int:
    value = whole_number(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    if not 0 <= value <= 8:
        raise argparse.ArgumentTypeError("a chunk group log is 0..8 (groups of 1 to 256 chunks)")
    return value


def _add_group_log(p: argparse.ArgumentParser) -> None:
    p.add_argument("--group-log", type=_group_log, default=0, metavar="G",
                   help="chunk groups of 2^G chunks, as Iroh's bao-tree (4: 16 KiB leaves, 1/16 the tree); "
                        "default 0, the Bao format. Decoding needs the G the encoding was made with")


def register(sub: Any) -> None:
    p = sub.add_parser("bao", help="Bao verified streaming: hash, encode, decode, slice, decode-slice, add, cat (BLAKE3 trees)",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    from ._runtime import add_source_options

    add_source_options(p)
    cmds = p.add_subparsers(dest="bao_command", metavar="COMMAND", required=True)
    h = cmds.add_parser("hash", help="print the root hash of each input (stdin when none)")
    h.add_argument("inputs", nargs="*", metavar="FILE")
    e = cmds.add_parser("encode", help="write the combined encoding (or with --outboard the tree only)")
    e.add_argument("input", nargs="?", default="-", metavar="INPUT")
    e.add_argument("output", nargs="?", default=None, metavar="OUTPUT")
    e.add_argument("--outboard", metavar="FILE", help="write the outboard tree to FILE (no OUTPUT then)")
    _add_group_log(e)
    d = cmds.add_parser("decode", help="verify an encoding (or content + --outboard) against HASH, write the content")
    d.add_argument("hash", type=_hash, metavar="HASH")
    d.add_argument("input", nargs="?", default="-", metavar="INPUT")
    d.add_argument("output", nargs="?", default="-", metavar="OUTPUT")
    d.add_argument("--outboard", metavar="FILE", help="INPUT is the content and FILE its outboard tree")
    d.add_argument("--start", type=_count, default=0, help="first content byte to output (default 0)")
    d.add_argument("--count", type=_count, default=None, help="bytes to output (default: to the end)")
    _add_group_log(d)
    s = cmds.add_parser("slice", help="extract the slice of an encoding that proves [START, START+COUNT)")
    s.add_argument("start", type=_count, metavar="START")
    s.add_argument("count", type=_count, metavar="COUNT")
    s.add_argument("input", nargs="?", default="-", metavar="INPUT")
    s.add_argument("output", nargs="?", default="-", metavar="OUTPUT")
    s.add_argument("--outboard", metavar="FILE", help="INPUT is the content and FILE its outboard tree")
    _add_group_log(s)
    ds = cmds.add_parser("decode-slice", help="verify a slice against HASH, write its content bytes")
    ds.add_argument("hash", type=_hash, metavar="HASH")
    ds.add_argument("start", type=_count, metavar="START")
    ds.add_argument("count", type=_count, metavar="COUNT")
    ds.add_argument("input", nargs="?", default="-", metavar="INPUT")
    ds.add_argument("output", nargs="?", default="-", metavar="OUTPUT")
    _add_group_log(ds)
    a = cmds.add_parser("add", help="keep a file of any size as a BLAKE3 CID, stored as its combined encoding (served by serve)")
    a.add_argument("input", nargs="?", default="-", metavar="INPUT")
    c = cmds.add_parser("cat", help="write a BLAKE3 CID's content, verified chunk by chunk (local or --gateway)")
    c.add_argument("cid", metavar="CID")
    c.add_argument("output", nargs="?", default="-", metavar="OUTPUT")
    c.add_argument("--start", type=_count, default=None, help="first content byte (with --count: a verified slice)")
    c.add_argument("--count", type=_count, default=None, help="bytes to output")
    c.add_argument("--gateway", dest="cat_gateway", metavar="URL", help="an `autocodec serve` to fetch /bao/CID from")
    c.add_argument("--timeout", type=_seconds, default=60.0, help="seconds without data before giving up (gateway; default 60)")
    p.set_defaults(func=run)


def _open_in(path: str | None) -> BinaryIO:
    from ._io import open_input

    return open_input(None if path in (None, "-") else path)


def run(args: argparse.Namespace) -> int:
    """Inputs are opened as they are needed and closed at the end. A file OUTPUT (and
    ``encode``'s --outboard FILE) is written beside it and renamed into place only when the
    command succeeds (``LazyOutput``, ``open_output``): a verification that fails, a full disk or
    Ctrl-C leaves an existing OUTPUT as it was and no new one; standard output, a FIFO or a
    device gets the verified bytes as they come. An input that fails on read is named with its
    role (``_read_error``)."""
    from ._io import LazyOutput

    _output_not_an_input(args)
    opened: list[Any] = []
    read: list[tuple[str, str, object]] = []  # (role, name, stream) of each input, for ``_read_error``

    def src(path: str | None, role: str = "input") -> BinaryIO:
        f = _open_in(path)
        read.append((role, "standard input" if path in (None, "-") else str(path), f))
        if path not in (None, "-"):
            opened.append(f)
        return f

    def dst(path: str | None) -> LazyOutput:
        out = LazyOutput(path)
        opened.append(out)
        return out

    try:
        return _run(args, src, dst)
    except OSError as exc:
        named = _read_error(exc, read)
        if named is None:
            raise
        raise named from None
    finally:
        for f in opened:
            f.close()


def _run(args: argparse.Namespace, src: Callable[..., BinaryIO], dst: Callable[[str | None], Any]) -> int:
    """The command itself, over the inputs ``src`` opens (a path and its role) and the outputs ``dst`` opens."""
    from .. import bao
    from ..errors import InvalidInput
    from ._io import open_output, streaming_stdout, write_line
    from ._runtime import runtime_from_args

    with runtime_from_args(args) as rt:
        v = bao.verifier(rt)
        cmd = args.bao_command
        if cmd == "hash":
            inputs = args.inputs or ["-"]
            if len(inputs) == 1:
                write_line(bao.bao_hash(v, src(inputs[0])).hex())
            else:
                return _hash_each(inputs, lambda name: bao.bao_hash(v, src(name)).hex())
        elif cmd == "encode":
            if (args.output is None) == (args.outboard is None):
                raise InvalidInput("give either OUTPUT or --outboard FILE, not both or neither",
                                   hint="see `autocodec bao encode --help`")
            target = args.outboard if args.outboard is not None else args.output
            if target == "-":
                with streaming_stdout() as stdout:
                    bao.encode_to(v, src(args.input), stdout, outboard=args.outboard is not None,
                                  group_log=args.group_log)
            else:
                with open_output(target, readable=True) as stream:
                    bao.encode_to(v, src(args.input), stream, outboard=args.outboard is not None,
                                  group_log=args.group_log)
        elif cmd == "add":
            write_line(str(_store(rt).add(v, src(args.input))))
        elif cmd == "cat":
            out = dst(args.output)
            with _stdout_named(args.output):
                try:
                    _cat(v, rt, args, cast(BinaryIO, out))
                finally:
                    out.flush()
                out.finish()
        elif cmd == "slice":
            out = dst(args.output)
            leaf = 1 << args.group_log
            with _stdout_named(args.output):
                if args.outboard is not None:
                    bao.extract_slice(args.start, args.count, src(args.outboard, "outboard"), out.write,
                                      data=src(args.input, "content"), leaf=leaf, verifier=v)
                else:
                    bao.extract_slice(args.start, args.count, src(args.input, "encoding"), out.write, leaf=leaf,
                                      verifier=v)
                out.finish()
        else:
            out = dst(args.output)
            slice_input = cmd == "decode-slice"
            count = args.count if args.count is not None else bao.UNKNOWN_LENGTH
            outboard = src(args.outboard, "outboard") if not slice_input and args.outboard is not None else None
            role = "slice" if slice_input else "encoding" if outboard is None else "content"
            with _stdout_named(args.output):
                try:
                    bao.decode(v, args.hash, src(args.input, role), out.write, outboard=outboard, start=args.start,
                               count=count, slice_input=slice_input, group_log=args.group_log)
                finally:
                    out.flush()
                out.finish()
    return 0


def _read_error(exc: OSError, inputs: list[tuple[str, str, object]]) -> Exception | None:
    """The ``InvalidInput`` naming the inputs (role and path) of a command an ``OSError`` ended,
    or None when it is not an input's (a closed pipe on standard output ends the command by
    SIGPIPE, as Kubo's do) or the command opened none.

    Every output of the command raises its own ``OutputError`` (``LazyOutput``, ``open_output``,
    ``streaming_stdout``) but for that closed pipe, so any other ``OSError`` reaching the command is
    likely a read of an input; but bao reads by ``readinto``, ``pread`` and ``preadv`` on
    descriptors, in this thread or a pool's, with nothing around each read, so which one failed is
    not known, and standard output can fail otherwise (EIO on a hung-up terminal). Each input is
    probed once (its first byte read again): the ones failing the same way are named; when none does
    (a pipe, a bad sector further on, or not an input at all), None: the error stays as it was."""
    from ..errors import InvalidInput

    if isinstance(exc, (BrokenPipeError, BlockingIOError, InterruptedError)):
        return None
    failing = [entry for entry in inputs if _fails_again(entry[2], exc.errno)]
    if not failing:
        return None
    named = " or ".join(f"the {role} {name}" for role, name, _ in failing)
    return InvalidInput(f"cannot read {named}: {exc.strerror or exc}", hint="check the input and the disk it is on")


def _fails_again(stream: object, errno: int | None) -> bool:
    """Whether reading ``stream``'s first byte again fails with ``errno`` (never for a stream with
    no descriptor or one that cannot be read at an offset: a pipe)."""
    import os

    try:
        os.pread(int(stream.fileno()), 1, 0)  # type: ignore[attr-defined]
    except OSError as exc:
        return exc.errno == errno
    except (AttributeError, ValueError, TypeError):
        return False
    return False


def _output_not_an_input(args: argparse.Namespace) -> None:
    """The file a command writes (``encode``'s OUTPUT or --outboard FILE, the others' OUTPUT) is
    none of the files it reads (``refuse_an_input``): ``encode --outboard in.bin in.bin`` left
    the tree where the content was, the content lost."""
    from ._io import refuse_an_input

    cmd = args.bao_command
    if cmd in ("hash", "add", "cat"):
        return
    if cmd == "encode":
        refuse_an_input(args.outboard if args.outboard is not None else args.output, [args.input])
    else:
        refuse_an_input(args.output, [args.input, getattr(args, "outboard", None)])


def _hash_each(inputs: list[str], digest: Callable[[str], str]) -> int:
    """``DIGEST  NAME`` for each input; one that cannot be read is an ``autocodec:`` line on
    standard error and the rest are still hashed (as the reference ``bao hash``, b2sum and
    sha1sum do: ``bao hash *`` meeting a folder). 1 when any failed, else 0."""
    import sys

    from ..errors import AutocodecError, InvalidInput
    from ._io import write_line
    from ._text import clean

    failed = False
    for name in inputs:
        try:
            line = f"{digest(name)}  {name}"
        except (AutocodecError, OSError) as exc:
            failed = True
            if isinstance(exc, OSError):  # only the digest's read of ``name`` is in the try
                exc = InvalidInput(f"cannot read the input {name}: {exc.strerror or exc}",
                                   hint="check the input and the disk it is on")
            text = f"{type(exc).__name__}: {exc.one_line() if isinstance(exc, AutocodecError) else exc}"
            print(f"autocodec: {clean(text)}", file=sys.stderr, flush=True)
            continue
        write_line(line)
    return 1 if failed else 0


def _stdout_named(path: str | None) -> contextlib.AbstractContextManager[object]:
    """For an OUTPUT that is standard output (``-``): ``streaming_stdout``, so a full disk is
    the ``InvalidInput`` naming standard output that ``bao hash`` and ``bao encode -`` give, not
    a bare ``OSError``; a named OUTPUT names itself already (``open_output``)."""
    from ._io import streaming_stdout

    return streaming_stdout() if path in (None, "-") else contextlib.nullcontext()


def _store(rt: Any) -> Any:
    from ..bao import BlobStore

    return BlobStore(rt.home.root / "bao")


def _cat(v: Any, rt: Any, args: argparse.Namespace, out: BinaryIO) -> None:
    """Local: verify the stored content against its outboard; --gateway: fetch /bao/CID (or the
    slice) and verify it incrementally; either way only verified bytes reach ``out``."""
    from .. import bao
    from ..cid import CID
    from ..errors import InvalidInput

    cid = CID.parse(args.cid)
    bao.root_of(cid)
    if (args.start is None) != (args.count is None) and args.count is not None:
        raise InvalidInput("--count needs --start", hint="give --start N --count M for a slice")
    start = args.start or 0
    gateways = ([args.cat_gateway] if args.cat_gateway else []) + list(getattr(args, "gateway", None) or [])
    if not gateways:
        for piece in _store(rt).verified(v, cid, start, args.count):
            out.write(piece)
        return
    import urllib.error
    import urllib.request

    url = gateways[0].rstrip("/") + f"/bao/{cid}"
    if args.count is not None:
        url += f"?start={start}&count={args.count}"
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"gateway {gateways[0]!r} is not an http(s) URL", hint="e.g. http://127.0.0.1:8080")
    from ..errors import FetchError

    try:
        response = urllib.request.urlopen(url, timeout=args.timeout)  # noqa: S310 - http(s) checked above
    except urllib.error.HTTPError as exc:
        raise FetchError(f"gateway answered {exc.code} for {cid}", hint="is the blob added on that node?") from None
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"cannot fetch {cid} from {gateways[0]}: {_unreachable(exc)}",
                         hint="check the gateway URL") from None
    with response:  # the body's failures are FetchError naming the gateway (bao.fetch); the output's stay its own
        bao.fetch(v, cid, response, out.write, start=start, count=args.count, source=gateways[0])


def _unreachable(exc: OSError) -> str:
    """Why a gateway was not reached, in the words every source uses ("connection refused",
    "unknown host"): never Python's ``[Errno 111] Connection refused``."""
    from ..sources._http import _reason

    reason = getattr(exc, "reason", exc)  # urllib's URLError wraps the socket's error (or a text)
    return _reason(reason) if isinstance(reason, BaseException) else " ".join(str(reason).split())[:200]


def _silent(cid: object, gateway: str, seconds: float) -> Exception:
    """``FetchTimeout`` for a gateway that did not answer ``cat``'s request within ``seconds``."""
    from ..errors import FetchTimeout

    return FetchTimeout(f"{gateway} did not answer for {cid} within {seconds:g} s",
                        hint="try another gateway, or raise timeout_s under [limits.fetch] in config.toml")


def cat_blake3(args: argparse.Namespace) -> bool:
    """``autocodec cat CID`` for a BLAKE3 CID kept as a Bao blob: True once its content was
    written, verified chunk by chunk (from the first ``--gateway``'s ``/bao/CID``, or from the
    local blob store); False to let ``cat`` read it as an ordinary block (not a BLAKE3 CID, no
    such blob here, or a gateway without ``/bao/``: 404). A gateway's silence (connect, answer,
    each read) is bounded by the home's ``[limits.fetch] timeout_s``, as every fetch is, and
    the whole command by ``--timeout``."""
    import socket
    import urllib.error
    import urllib.request

    from .. import bao
    from ..cid import CID
    from ..errors import AutocodecError, FetchError, InvalidInput
    from ._io import streaming_stdout
    from ._runtime import runtime_from_args

    text = str(getattr(args, "cid", ""))
    if "/" in text.removeprefix("/ipfs/"):
        return False
    try:
        cid = CID.parse(text.removeprefix("/ipfs/"))
        bao.root_of(cid)
    except AutocodecError:
        return False
    if cid.codec != 0x55:
        return False
    gateways = list(getattr(args, "gateway", None) or [])
    offset, length = int(getattr(args, "offset", 0) or 0), getattr(args, "length", None)
    ranged = offset != 0 or length is not None
    count = bao.UNKNOWN_LENGTH if length is None else int(length)
    with streaming_stdout() as out, runtime_from_args(args) as rt:  # a full disk names standard output
        if not gateways:
            store = _store(rt)
            try:
                store.path(cid)
            except AutocodecError:
                return False
            v = bao.verifier(rt)
            pieces = store.verified(v, cid, offset, count) if ranged else store.verified(v, cid)
            for piece in pieces:
                out.write(piece)
            out.flush()
            return True
        url = gateways[0].rstrip("/") + f"/bao/{cid}" + (f"?start={offset}&count={count}" if ranged else "")
        if not url.startswith(("http://", "https://")):
            raise InvalidInput(f"gateway {gateways[0]!r} is not an http(s) URL", hint="e.g. http://127.0.0.1:8080")
        silence = rt.limits.fetch.timeout_s  # as every fetch; ``--timeout`` bounds the whole command besides
        try:
            response = urllib.request.urlopen(url, timeout=silence)  # noqa: S310 - http(s) checked above
        except urllib.error.HTTPError as exc:
            if exc.code in (400, 404, 405):
                return False  # not a Bao-serving node, or not held there: an ordinary block fetch
            raise FetchError(f"gateway answered {exc.code} for {cid}", hint="try again later") from None
        except (TimeoutError, socket.timeout) as exc:
            raise _silent(cid, gateways[0], silence) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise _silent(cid, gateways[0], silence) from None
            raise FetchError(f"cannot fetch {cid} from {gateways[0]}: {_unreachable(exc)}",
                             hint="check the gateway URL") from None
        except OSError as exc:
            raise FetchError(f"cannot fetch {cid} from {gateways[0]}: {_unreachable(exc)}",
                             hint="check the gateway URL") from None
        with response:
            if ranged:
                bao.fetch(bao.verifier(rt), cid, response, out.write, start=offset, count=count, source=gateways[0])
            else:
                bao.fetch(bao.verifier(rt), cid, response, out.write, source=gateways[0])
        out.flush()
    return True
