"""The ``autocodec`` program's entry point: reads the command line and runs the command.

Invariants:
- Start-up imports only the standard library, the error hierarchy and the command modules
  (which import their wings inside their handlers); logging is configured only when asked
  for (``-v``, ``--log-json`` or ``$AUTOCODEC_LOG*``), so a command that logs nothing never
  imports structlog.
- Every error reaches the user as one line on stderr (``_report``): an ``AutocodecError`` with its
  hint, an ``OSError`` with its cause, an argument whose bytes are not UTF-8 reaching code that
  needs text; exit 1 (also for a usage error, as Kubo: ``Parser.error``). No traceback. Ctrl-C,
  SIGTERM and a reader of stdout gone away end the process by that signal once the command has
  unwound (``_signals``).
- The command line is read in this order: Kubo's spellings, then Kubo's walk for the first
  refusal on the line (``_walk``: an unknown option or a missing value, before help), then help
  requests and global options put where argparse reads them (``_argv``), then the parser
  (``_parser``, built by ``_commands``);
  then the home checks (``_home_check``) and the command, under its one ``--timeout`` deadline.

The other modules' names that callers import from here (``build_parser``, ``require_home``...)
stay importable from here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..errors import AutocodecError
from ._argv import TOP_GLOBALS as TOP_GLOBALS
from ._argv import _subcommands as _subcommands
from ._argv import HELP_FLAGS, bare_group, dash_values, kubo_spellings, place_help, read_globals, unknown_option
from ._argv import place_globals as place_globals
from ._commands import CID_BASE_IGNORED as CID_BASE_IGNORED
from ._commands import COMMAND_MODULES as COMMAND_MODULES
from ._commands import ENC_IGNORED as ENC_IGNORED
from ._commands import _command_modules as _command_modules
from ._commands import TIMELESS, _innermost, _unbounded, command_name, command_timeout, unused_globals
from ._commands import _leaf_parsers as _leaf_parsers
from ._commands import build_parser as build_parser
from ._commands import kubo_global_options as kubo_global_options
from ._home_check import _home_chosen, _store_kept, check_home
from ._home_check import refuse_file_home as refuse_file_home
from ._home_check import require_home as require_home
from ._parser import USAGE_ERROR, ArgumentsOnStdin
from ._parser import Parser as Parser
from ._report import (_fail, _fit_hint, _interrupted, _next_step, _stdout_failed, _stdout_reader_gone, _timed_out,
                      _timeout_given, _undecodable_argument)
from ._walk import argument_count, first_refusal
from ._signals import (INTERRUPTED, READER_GONE, TERMINATED, TimedOut, _deadline, _end_by_sigpipe,
                       _shutdown_signals, _sigterm_unwinds, end_by_signal)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with _sigterm_unwinds():
            status = _main(argv)
    except KeyboardInterrupt as exc:  # Ctrl-C while the command line loads (the command's own: ``_run``)
        status = _interrupted(exc)
    if status == READER_GONE:
        _end_by_sigpipe()
    elif status in (INTERRUPTED, TERMINATED):
        end_by_signal(status - 128)
    if argv is None:  # the program itself (``python -m autocodec``, the ``autocodec`` script): it exits next
        _shutdown_signals()
    return status


def _main(argv: Sequence[str] | None) -> int:
    import time

    started = time.monotonic()  # ``--timeout`` counts from here: a read of stdin and the command share it
    parser = build_parser(argv)
    words = kubo_spellings(dash_values(parser, list(sys.argv[1:] if argv is None else argv)))
    first = first_refusal(parser, words)
    if first is not None:  # Kubo's first refusal on the line wins over help and over the arguments' count
        if first.message is not None:
            first.parser.error(first.message)
        words = _without_help(words)  # argparse refuses a word before any other: its words, not the help
    words, timeouts = read_globals(parser, place_help(parser, words))
    try:
        _check_timeout(parser, timeouts)
        group = bare_group(parser, words)
        if group is not None:  # as ``ipfs`` and ``ipfs dag``: the group's help, exit 0
            group.print_help()
            return 0
        args, extras = _parse(parser, words, started)
    except OSError as exc:  # --help or --version could not be written (``Parser``)
        return _stdout_failed(exc)
    if extras[:1] == ["--"] and "--" in words and not _too_many(parser, args, words):  # the end of options
        extras = extras[1:]  # of a command without arguments: Kubo 0.43.1 runs ``ipfs version --`` (exit 0)
    if extras:  # the command's own usage, not the top level's
        command = _innermost(parser, args)
        command.error(_unread(words, extras, command, argument_count(parser, words)))
    refused = unused_globals(parser, args) or _unbounded(args) or _network_globals(args)
    if refused is not None:
        from ._text import clean

        print(f"autocodec: InvalidInput: {clean(refused)}", file=sys.stderr)
        return USAGE_ERROR
    if args.home is not None and not args.home.strip():
        return _fail("ConfigError: --home is empty (name the home folder, or leave --home out for the default)")
    if args.offline:
        from ..sources import go_offline

        go_offline()  # from here no connection or lookup is made, whatever the command does
    from ._io import guard_std_streams

    with guard_std_streams():  # a closed stdin/stdout is a one-line error, not a traceback
        return _run(args, started)


def _check_timeout(parser: argparse.ArgumentParser, timeouts: list[str]) -> None:
    """Refuse a program's ``--timeout`` value (``read_globals``: before any ``--``, not a command's
    own after it) that is no duration, before anything is read or printed: Kubo 0.43.1 says
    ``time: invalid duration "x"`` (exit 1) even where it would print help (``ipfs --timeout=x``,
    ``ipfs dag --timeout x``, ``ipfs --timeout version``, ``ipfs --timeout=x --help``; measured),
    where argparse would print the help and exit 0. A command's own ``--timeout`` after that
    command (``bao cat``: seconds) is its parser's to check."""
    for value in timeouts:
        try:
            command_timeout(value)
        except argparse.ArgumentTypeError as exc:
            parser.error(f"argument --timeout: {exc}")


def _without_help(words: list[str]) -> list[str]:
    """``words`` without their help flags before any ``--`` (a refusal comes first, as in Kubo)."""
    end = words.index("--") if "--" in words else len(words)
    return [word for word in words[:end] if word not in HELP_FLAGS] + words[end:]


def _unread(words: list[str], extras: list[str], command: argparse.ArgumentParser, given: int) -> str:
    """The usage error for the words ``command`` did not read, the first on the line as Kubo
    0.43.1 reads it: an unknown option is ``unknown option "NAME"`` (``unknown_option``); a
    program option that takes a value but ends the line (``version --timeout``; ``place_globals``
    leaves it in place) ``missing argument for option "timeout"``; arguments too many Kubo's
    ``expected N argument(s), got M`` (N: the most ``command`` takes; M: ``given``, the line's
    arguments as Kubo counts them, ``_walk.argument_count``; ``_walk`` refused every unknown
    option before, so each extra is an argument)."""
    last = words[-1] if words else ""
    missing = extras[-1] == last and bool(TOP_GLOBALS.get(last)) and "--" not in words
    unknown = unknown_option(words, extras[:-1] if missing else extras)
    if unknown is not None:
        return unknown
    if missing:
        from ._kubo import missing_value_words

        return missing_value_words(last)
    most = _most_arguments(command)
    if most is not None:
        return f"expected {most} argument(s), got {max(given, most + 1)}"
    return f"unrecognized arguments: {' '.join(extras)}"


def _too_many(parser: argparse.ArgumentParser, args: argparse.Namespace, words: list[str]) -> bool:
    """Whether the line holds more arguments than its command takes, as Kubo 0.43.1 counts them
    (a ``--`` after the end of options is one: ``key rename -- a b --`` got 3, measured)."""
    most = _most_arguments(_innermost(parser, args))
    return most is not None and argument_count(parser, words) > most


def _most_arguments(command: argparse.ArgumentParser) -> int | None:
    """How many arguments ``command`` takes at most, None when it has no such bound."""
    most = 0
    for action in command._actions:
        if action.option_strings:
            continue
        if action.nargs in ("*", "+", argparse.REMAINDER, argparse.PARSER):
            return None
        most += action.nargs if isinstance(action.nargs, int) else 1
    return most


def _parse(parser: argparse.ArgumentParser, words: list[str],
           started: float) -> tuple[argparse.Namespace, list[str]]:
    """``parser.parse_known_args(words)``; a missing argument Kubo reads from stdin is read from
    there and the line parsed again with it after ``--`` (a line is an argument, never an
    option); none there is the usage error. As Kubo 0.43.1: the rest of the command line is
    checked first (an unknown option or a bad value is refused before stdin is read), and the
    read is under the command's one ``--timeout`` deadline, counted from ``started`` (the
    command then has what is left of it, ``_run``)."""
    try:
        return parser.parse_known_args(words)
    except ArgumentsOnStdin as need:
        from ._stdin_args import stdin_arguments

        trial = parser.parse_known_args(words + (_PLACEHOLDER if "--" in words else ["--", *_PLACEHOLDER]))
        if trial[1]:  # refused by ``_main`` as it stands, stdin untouched
            return trial
        seconds: float | None = trial[0].command_timeout  # the command's own deadline, as ``_run`` reads it
        try:
            with _deadline(_left(seconds, started)):
                lines = stdin_arguments(need.command)
        except TimedOut:
            from .._gotime import NS, format_duration

            sys.exit(_timed_out(format_duration(round((seconds or 0) * NS))))
        except AutocodecError as exc:
            sys.exit(_fail(f"{type(exc).__name__}: {exc.one_line()}"))
        extra = lines if not lines or "--" in words else ["--", *lines]
        return parser.parse_known_args(words + extra)


_PLACEHOLDER = ["bafkqaaa"]
"""An argument every command of ``STDIN_ARGUMENTS`` takes (the empty identity CID), standing
in for the missing one while the rest of the command line is checked (``_parse``)."""


def _left(seconds: float | None, started: float) -> float | None:
    """What is left at this moment of a ``--timeout`` of ``seconds`` counted from ``started``
    (``time.monotonic``); None (no deadline) stays None."""
    import time

    return None if seconds is None else seconds - (time.monotonic() - started)


def _network_globals(args: argparse.Namespace) -> str | None:
    """``--api`` made the command's ``--node``, and ``--offline`` checked against the command's
    own network options (``_offline``, loaded only when one of them is given: start-up)."""
    if args.api is None and not args.offline:
        return None
    from ._offline import api_as_node, offline_conflict

    name = command_name(args)
    return api_as_node(args, name) or offline_conflict(args, name)


def _node_credentials(args: argparse.Namespace) -> None:
    """Node URLs' ``USER:PASSWORD@`` and ``--api-auth`` leave the arguments (kept in the node
    sources' memory, so no message, log record or pin names them), ``$AUTOCODEC_NODE_AUTH``
    leaves the environment (no child process inherits it), and the nodes given here are the ones
    they go to (``named_node``). Nothing is imported unless one is there (start-up)."""
    nodes = [(attr, value) for attr in ("node", "to_node") if isinstance(value := getattr(args, attr, None), str)
             and value]
    secret, args.api_auth = args.api_auth, None
    if "autocodec.sources" in sys.modules:  # an earlier command in this process: its --api-auth is not this one's
        from ..sources import give_secret

        give_secret(secret, origin="the --api-auth secret")
    if (not any("@" in value for _attr, value in nodes) and "AUTOCODEC_NODE_AUTH" not in os.environ
            and secret is None):
        return  # nothing to strip, and no secret for the nodes named here
    from ..sources import give_secret, named_node, take_env_secret

    give_secret(secret, origin="the --api-auth secret")
    for attr, value in nodes:
        setattr(args, attr, named_node(value))
    take_env_secret()


def _run(args: argparse.Namespace, started: float | None = None) -> int:
    """Run the parsed command: one line and a non-zero status for what it could not do.
    ``--timeout`` counts from ``started`` (``time.monotonic()``; default: now)."""
    import time

    seconds = None if command_name(args) in TIMELESS else args.command_timeout  # waits on nothing
    left = _left(seconds, time.monotonic() if started is None else started)
    if _logging_wanted(args):
        from .. import log

        level = {0: None, 1: "info"}.get(args.verbose, "debug")
        log.configure(level=level, json=True if args.log_json else None)
    quiet = not _logging_wanted(args) and args.command != "serve"  # a failing command prints one line
    from ._cidbase import upgrade_cidv0

    try:
        with _home_chosen(args), upgrade_cidv0(args.upgrade_cidv0_in_output):  # --home: for this command only
            _node_credentials(args)
            if quiet:
                from .. import log

                with log.default_level("error"), _deadline(left):
                    _ipns_paths(args)
                    check_home(args)
                    with _store_kept(args):
                        status = args.func(args)
            else:
                with _deadline(left):
                    _ipns_paths(args)
                    check_home(args)
                    with _store_kept(args):
                        status = args.func(args)
    except TimedOut:
        return _timed_out(_timeout_given(args))
    except AutocodecError as exc:
        _fit_hint(exc, args)
        return _fail(f"{type(exc).__name__}: {exc.one_line()}")
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except MemoryError:  # an input read whole grew past the memory the process may have (ulimit -v)
        return _fail("MemoryError: out of memory (give the command a smaller input, or more memory)")
    except OSError as exc:  # a file, socket or folder the command could not use
        if isinstance(exc, BrokenPipeError) and _stdout_reader_gone():
            return READER_GONE
        where = f" ({exc.filename})" if exc.filename else ""
        return _fail(f"{type(exc).__name__}: {exc.strerror or exc}{where} ({_next_step(exc)})")
    except UnicodeEncodeError as exc:
        if not _undecodable_argument(exc):
            raise
        text = exc.object if len(exc.object) <= 80 else exc.object[:77] + "..."
        return _fail(f"InvalidInput: {text!r} is not UTF-8 text (only file paths may hold other bytes; "
                     "give names, codes and values in UTF-8)")
    return int(status or 0)


def _logging_wanted(args: argparse.Namespace) -> bool:
    return bool(args.verbose or args.log_json or os.environ.get("AUTOCODEC_LOG")
                or os.environ.get("AUTOCODEC_LOG_LEVEL"))


_URI_HEADS = ("ipfs:", "ipns:", "ipld:")  # a native IPFS URI's scheme, any case (dag.uri_to_path decides)


def _ipns_paths(args: argparse.Namespace) -> None:
    """Path arguments written as IPFS URIs (``ipfs://CID``) become content paths and
    ``/ipns/NAME/...`` ones ``/ipfs/...`` paths (``_ipns_paths``), before anything (the module is
    loaded only when an argument may be one: no start-up cost otherwise)."""
    values = [v for value in vars(args).values() for v in (value if isinstance(value, list) else [value])]
    if not any(isinstance(v, str) and ("/ipns/" in v or v[:5].lower() in _URI_HEADS) for v in values):
        return
    from ._ipns_paths import PATH_ARGUMENTS, resolve_ipns_arguments

    name = command_name(args)
    if name in PATH_ARGUMENTS:
        resolve_ipns_arguments(args, name)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
