"""``autocodec receipt show|verify|reindex``: inspect and check IPVM receipts.

- ``show CID``: the receipt as DAG-JSON (signature included) and whether its signature verifies.
- ``verify CID [--rerun]``: check the signature; with ``--rerun`` execute the invocation again
  (and everything it awaits, no cache) and compare the result and the module the receipt names:
  determinism made checkable.
- ``ls [--since N] [--limit M]``: this node's job stream (receipts of remote jobs and triggers).
- ``reindex [--executor DID]...``: rebuild the invocation -> receipt cache index from the
  receipt blocks in the store (e.g. after importing a CAR of someone's receipts).
"""

from __future__ import annotations

import argparse
from typing import Any

from ._actions import command_with_actions
from ._runtime import add_passphrase_env, add_source_options
from ._options import nonempty
from ._text import counted

EPILOG = """examples:
  autocodec receipt show RECEIPT_CID
  autocodec receipt verify RECEIPT_CID --rerun     # re-execute and compare
"""


def register(sub: Any) -> None:
    rsub = command_with_actions(sub, "receipt", "show, verify (optionally by re-running), list or reindex IPVM receipts", EPILOG)
    show = rsub.add_parser("show", help="print a receipt as DAG-JSON")
    show.add_argument("cid", metavar="CID")
    add_source_options(show, modules=False)
    show.set_defaults(func=run_show)
    ver = rsub.add_parser("verify", help="check a receipt's signature; --rerun also re-executes and compares")
    ver.add_argument("cid", metavar="CID")
    ver.add_argument("--rerun", action="store_true", help="execute the invocation again and compare the result")
    ver.add_argument("--key", metavar="NAME", type=nonempty("a key name"), help="key to sign the re-run's receipt (default: executor)")
    add_passphrase_env(ver)
    add_source_options(ver, modules=False)
    ver.set_defaults(func=run_verify)
    ls = rsub.add_parser("ls", help="list this node's job stream (remote jobs and triggers)")
    ls.add_argument("--since", type=int, default=0, metavar="N", help="entries after sequence number N")
    ls.add_argument("--limit", type=int, default=1000, metavar="M", help="at most M entries (default 1000)")
    ls.set_defaults(func=run_ls)
    idx = rsub.add_parser("reindex", help="rebuild the receipt cache index from receipt blocks in the store")
    idx.set_defaults(func=run_reindex)


def _need_home(args: argparse.Namespace, action: str) -> None:
    """Refuse an action on a home that does not exist, before anything creates it (these
    actions read the home; only a --node or --gateway source, which ``show`` and ``verify``
    fetch from into the store, makes a missing home worth creating)."""
    from ._home_check import require_home

    if not (getattr(args, "node", None) or getattr(args, "gateway", None)):
        require_home(f"receipt {action}")


def _cid(text: str) -> Any:
    from ..cid import CID

    return CID.parse(text)


def _dag_cbor(data: bytes) -> Any:
    """The block as a value, or None when it is not DAG-CBOR (then only the error is shown)."""
    from ..builtin import decode
    from ..errors import InvalidBlock

    try:
        return decode(data, "dag-cbor")
    except InvalidBlock:
        return None


def run_show(args: argparse.Namespace) -> int:
    from ..builtin import encode
    from ..errors import AutocodecError
    from ..ipvm import Receipt
    from ._io import write_line
    from ._runtime import runtime_from_args

    cid = _cid(args.cid)  # a typo is an InvalidCID wherever the home is
    _need_home(args, "show")
    with runtime_from_args(args) as runtime:
        data = runtime.get(cid)
        value = _dag_cbor(data) if cid.codec == 0x71 else None
        try:
            receipt = Receipt.verify_stored(runtime, cid)
        except AutocodecError:
            if value is not None:
                write_line(encode(value, "dag-json").decode("utf-8"))
            raise
    write_line(encode(value, "dag-json").decode("utf-8"))
    write_line(f"signature ok: {receipt.issuer}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from ..ipvm import Receipt
    from ._io import write_line
    from ._runtime import runtime_from_args

    cid = _cid(args.cid)
    _need_home(args, "verify")
    with runtime_from_args(args) as runtime:
        if not args.rerun:
            receipt = Receipt.verify_stored(runtime, cid)
            write_line(f"signature ok: {receipt.issuer} ran {receipt.ran}")
            return 0
        from .cmd_run import executor_from_args

        executor = executor_from_args(args, runtime)
        receipt, outcome = executor.verify(cid, rerun=True)
        write_line(f"signature ok: {receipt.issuer} ran {receipt.ran}")
        assert outcome is not None
        write_line(f"re-run ok: same result (this run's receipt {outcome.receipt_cid})")
    return 0


def run_reindex(args: argparse.Namespace) -> int:
    from ..home import Home
    from ..ipvm import ReceiptCache
    from ._runtime import home_limits
    from ..store import BlockStore
    from ._io import write_line

    _need_home(args, "reindex")  # a home that does not exist has no receipts to index
    home = Home.resolve()
    with BlockStore.open(home, limits=home_limits(home)) as store:  # its busy timeout
        count = ReceiptCache(store).rebuild()
    write_line(f"indexed {counted(count, 'receipt')}")
    return 0


def run_ls(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput
    from ..home import Home
    from ..ipvm._stream import MAX_LIMIT, JobStream  # what one read of the job stream returns at most
    from ._runtime import home_limits
    from ..store import BlockStore
    from ._io import write_line

    if not 0 <= args.since < 1 << 63:
        raise InvalidInput(f"--since {args.since} is outside the sequence numbers of a job stream",
                           hint="give a sequence number from 0 to 2^63 - 1 (0: from the start)")
    if not 1 <= args.limit <= MAX_LIMIT:
        raise InvalidInput(f"--limit {args.limit} is outside 1 to {MAX_LIMIT}",
                           hint=f"list at most {MAX_LIMIT} entries at a time; page on with --since")
    _need_home(args, "ls")
    home = Home.resolve()
    with BlockStore.open(home, limits=home_limits(home)) as store:  # its busy timeout
        for entry in JobStream(store).since(args.since, args.limit):
            issuer = f" issuer {entry.issuer}" if entry.issuer else ""
            write_line(f"{entry.seq}\t{entry.receipt}\t{entry.source}{issuer}\tran {entry.ran}")
    return 0
