"""``autocodec run``: run a task function of a Wasm module as a memoized, signed IPVM invocation.

    autocodec run MODULE FUNCTION [--arg DAG-JSON]... [--fuel N] [--memory BYTES] [--no-cache] [--key NAME]
                  [--passphrase-env VAR] [--executor DID]...
    autocodec run --pipeline FILE.json [--no-cache] [--key NAME] [--executor DID]...
    autocodec run --remote URL --key NAME --proof FILE... MODULE FUNCTION [--arg DAG-JSON]...
    autocodec run --remote URL --key NAME --proof FILE... --pipeline FILE.json

MODULE is a module CID or the name of a task listed by a pinned set. Output: the receipt CID
(with "cached" when it was not executed again), then the result as DAG-JSON, or the error.
Exit status 0 for an ``ok`` receipt, 1 for an error receipt or a refusal.

With ``--remote``, the job is a UCAN 1.0 ``/wasm/run`` invocation signed by ``--key`` and sent
with its delegation chain (``--proof``, in any order: sent root first) to another node's
``autocodec serve``; the receipt it returns is verified (signed by that executor, for this
task) and stored here.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._runtime import add_passphrase_env, add_source_options
from ._options import nonempty

EPILOG = """examples:
  autocodec run ipld-select select --arg '{"a": [10, 20]}' --arg '"a/1"'   # prints the receipt CID, then 20
  autocodec run ipld-select count --arg '{"ipvm/block": {"/": "bafyrei..."}}' --arg '"a"'   # a stored DAG-CBOR block
  autocodec run TASK_CID FUNCTION --arg DAG-JSON --fuel 100000000           # a task module by CID
  autocodec run --pipeline jobs.json
"""


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run a task module's function on IPLD data (IPVM invocation, signed receipt)",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("module", nargs="?", metavar="MODULE", help="task module CID, or a task name from a pinned set")
    p.add_argument("function", nargs="?", metavar="FUNCTION", help="the function to call")
    p.add_argument("--arg", action="append", default=[], metavar="DAG-JSON", dest="args",
                   help='an argument as DAG-JSON, or @FILE for a file\'s bytes (repeatable, in order); '
                        '{"ipvm/block": {"/": CID}} passes a block\'s bytes, {"await/ok": {"/": CID}} another '
                        'invocation\'s result')
    p.add_argument("--fuel", type=int, help="fuel budget of the job (default limits.ipvm.fuel)")
    p.add_argument("--memory", type=int, metavar="BYTES", help="memory cap of the job, a power of two (default limits.ipvm.memory_bytes)")
    p.add_argument("--pipeline", metavar="FILE", help="run the jobs of a pipeline file (docs/invocations.md)")
    p.add_argument("--no-cache", action="store_true", help="execute even if a receipt is cached")
    p.add_argument("--key", metavar="NAME", type=nonempty("a key name"), help="sign receipts with this key (default: executor, made on first use)")
    add_passphrase_env(p)
    p.add_argument("--executor", action="append", default=[], metavar="DID", dest="executors",
                   help="also accept cached receipts signed by this executor (repeatable; default: only this home's)")
    p.add_argument("--remote", metavar="URL", type=nonempty("the URL of an `autocodec serve`"),
                   help="run on another node's `autocodec serve` (UCAN invocation)")
    p.add_argument("--proof", action="append", default=[], metavar="FILE",
                   help="with --remote: a delegation of the chain (repeatable, in any order)")
    add_source_options(p, modules=False)
    p.set_defaults(func=run, parser=p)


def _parse_arg(text: str, i: int, limit: int) -> Any:
    from ..builtin import decode
    from ..errors import AutocodecError, InvalidInput
    from ._io import read_input

    if text.startswith("@"):  # no JSON text starts with "@": the bytes of a file
        return read_input(text[1:], limit, f"--arg {i + 1} file",
                          hint="give a smaller file, or raise max_block_bytes under [limits.decode] in config.toml")
    try:
        value = decode(text.encode("utf-8"), "dag-json")
    except AutocodecError as exc:
        raise InvalidInput(f"--arg {i + 1} is not DAG-JSON: {exc.message}",
                           hint='quote text as JSON, e.g. --arg \'"a/b"\'') from None
    return value  # DAG-JSON holds no integer outside -2^64 .. 2^64-1 (refused above, as Kubo refuses it)


def _check_job_limits(args: argparse.Namespace, limits: Any) -> None:
    """``--fuel``/``--memory`` as the user gave them: refused here as options, not as a document."""
    from ..errors import InvalidInput

    if args.fuel is not None and not 1 <= args.fuel <= limits.max_fuel:
        raise InvalidInput(f"--fuel {args.fuel} is outside 1 to {limits.max_fuel}",
                           hint=f"give a fuel budget of at least 1 (leave it out for limits.ipvm.fuel, {limits.fuel})")
    memory = args.memory
    if memory is not None and (not 65536 <= memory <= limits.max_memory_bytes or memory & (memory - 1)):
        raise InvalidInput(f"--memory {memory} is not a power of two from 65536 to {limits.max_memory_bytes}",
                           hint=f"e.g. --memory 16777216 (leave it out for limits.ipvm.memory_bytes, "
                                f"{limits.memory_bytes})")


def show_outcome(outcome: Any, label: str = "") -> int:
    """Print a receipt CID (and whether it was cached) and its result; the exit status."""
    import sys

    from ..builtin import encode
    from ._io import write_line
    from ._text import clean

    receipt = outcome.receipt
    cached = "  cached (not executed again)" if outcome.cached else ""
    write_line(f"{label}receipt {outcome.receipt_cid}{cached}")
    if receipt.ok:
        write_line(encode(receipt.value, "dag-json").decode("utf-8"))
        return 0
    kind, message = receipt.error or ("", "")
    write_line(f"error {kind}: {message}")
    one_line = clean(f"{kind}: {message}").replace("\n", " ")
    print(f"autocodec: {one_line} (the invocation ended in an error; its receipt is {outcome.receipt_cid})",
          file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput
    from ..ipvm import Invocation, resolve_module
    from ._runtime import runtime_from_args

    if args.pipeline is not None and args.remote is not None:
        return _run_remote(args)
    if args.pipeline is not None:
        if args.module or args.function or args.args or args.fuel is not None or args.memory is not None:
            raise InvalidInput("--pipeline takes no MODULE, FUNCTION, --arg, --fuel or --memory",
                               hint="set them per job in the pipeline file")
        return _run_pipeline(args)
    if not args.module or not args.function:
        args.parser.error("give MODULE and FUNCTION, or --pipeline FILE")  # a usage error
    if args.remote is not None:
        return _run_remote(args)
    if args.proof:
        raise InvalidInput("--proof goes with --remote", hint="see `autocodec run --help`")
    with runtime_from_args(args) as runtime:
        limits = runtime.limits.ipvm
        _check_job_limits(args, limits)
        values = [_parse_arg(text, i, runtime.limits.decode.max_block_bytes) for i, text in enumerate(args.args)]
        executor = executor_from_args(args, runtime)
        invocation = Invocation(resolve_module(runtime, args.module), args.function, values,
                                fuel=args.fuel if args.fuel is not None else limits.fuel,
                                memory=args.memory if args.memory is not None else limits.memory_bytes)
        outcome = executor.run(invocation, no_cache=args.no_cache)
        return show_outcome(outcome)


def executor_from_args(args: argparse.Namespace, runtime: Any) -> Any:
    """The executor of a local run, signing with ``--key`` (decrypted with ``--passphrase-env``)."""
    from ..ipvm import Executor
    from ..ipvm._keys import executor_key
    from .cmd_key import passphrase_from_env

    passphrase = passphrase_from_env(getattr(args, "passphrase_env", None))
    key = executor_key(runtime.home, args.key, passphrase) if passphrase is not None else None
    return Executor(runtime, key, key_name=args.key, trusted_executors=tuple(getattr(args, "executors", None) or ()))


def _run_remote(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput
    from ..ipvm import Invocation, load_pipeline
    from ..ipvm._remote import LocalSubmitter, run_remote
    from ._io import write_line
    from ._runtime import load_keys, runtime_from_args
    from .cmd_ucan import read_token

    if args.key is None:
        raise InvalidInput("--remote needs --key NAME (the key the delegation was given to)")
    if args.no_cache or args.executors:
        raise InvalidInput("--no-cache and --executor apply to local runs only")
    proofs = [read_token(path) for path in args.proof]
    key = load_keys([args.key], args.passphrase_env)[0]
    with runtime_from_args(args) as runtime:
        limits = runtime.limits.ipvm
        if args.pipeline is not None:  # built here, run there: the executor gets every job's invocation
            if args.module or args.function or args.args or args.fuel is not None or args.memory is not None:
                raise InvalidInput("--pipeline takes no MODULE, FUNCTION, --arg, --fuel or --memory",
                                   hint="set them per job in the pipeline file")
            pipeline = load_pipeline(LocalSubmitter(runtime, limits), _read_pipeline(args.pipeline, runtime))
            task = Invocation.decode(runtime.store.get(pipeline.target), limits)
        else:
            _check_job_limits(args, limits)
            values = [_parse_arg(text, i, runtime.limits.decode.max_block_bytes) for i, text in enumerate(args.args)]
            task = Invocation(_module_cid(runtime, args.module), args.function, values,
                              fuel=args.fuel if args.fuel is not None else limits.fuel,
                              memory=args.memory if args.memory is not None else limits.memory_bytes)
        outcome = run_remote(runtime, args.remote, key, task, proofs)
    write_line(f"invocation {outcome.invocation.cid} (UCAN), task {task.cid}")
    return show_outcome(outcome)


def _module_cid(runtime: Any, spec: str) -> Any:
    """A module CID as given, or a task name resolved through this home's pinned sets."""
    from ..cid import CID
    from ..errors import InvalidCID
    from ..ipvm import resolve_module

    try:
        return CID.parse(spec)
    except InvalidCID:
        return resolve_module(runtime, spec)


def _read_pipeline(path_text: str, runtime: Any) -> Any:
    """The decoded pipeline file (DAG-JSON), size-capped like any signed document."""
    from ..builtin import decode
    from ..errors import AutocodecError, InvalidDocument
    from ._io import read_bounded

    path = Path(path_text)
    cap = runtime.limits.trust.max_document_bytes
    text, more = read_bounded(path_text, cap)  # an empty path, a folder, /dev/zero: refused, never read whole
    if more:
        raise InvalidDocument(f"pipeline file {path} is over {cap} bytes", hint="split its jobs into smaller pipeline files")
    try:
        return decode(text, "dag-json")
    except AutocodecError as exc:
        raise InvalidDocument(f"pipeline file {path} is not DAG-JSON: {exc.message}") from None


def _run_pipeline(args: argparse.Namespace) -> int:
    from ..ipvm import load_pipeline
    from ._io import write_line
    from ._runtime import runtime_from_args

    with runtime_from_args(args) as runtime:
        document = _read_pipeline(args.pipeline, runtime)
        executor = executor_from_args(args, runtime)
        pipeline = load_pipeline(executor, document)
        outcomes = executor.run_all(pipeline.target, no_cache=args.no_cache)
        by_cid = {cid: name for name, cid in pipeline.invocations.items()}
        for cid, outcome in outcomes.items():
            if cid != pipeline.target and cid in by_cid:
                state = "cached" if outcome.cached else "ran"
                status = "ok" if outcome.receipt.ok else f"error {(outcome.receipt.error or ('',))[0]}"
                write_line(f"job {by_cid[cid]}: invocation {cid} receipt {outcome.receipt_cid} {state} {status}")
        write_line(f"result {pipeline.result}: invocation {pipeline.target}")
        return show_outcome(outcomes[pipeline.target])
