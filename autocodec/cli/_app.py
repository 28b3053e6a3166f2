"""Builds the argument parser from the ``cmd_*`` modules and runs a command.

Invariants:
- Start-up imports only the standard library, the error hierarchy and the command modules
  (which import their wings inside their handlers); logging is configured only when asked
  for (``-v``, ``--log-json`` or ``$AUTOCODEC_LOG*``), so a command that logs nothing never
  imports structlog.
- A command that only reads (``READ_ONLY``) refuses a home that does not exist, with how to
  create it, instead of creating one as a side effect (``ConfigError``; ``BlockNotFound`` for
  the commands that read blocks, after checking their CID arguments); given a ``--node``/``--gateway``
  source it may create the home, because fetching into the store is then the point.
- Every error reaches the user as one line on stderr, control characters stripped: an
  ``AutocodecError`` with its hint, an ``OSError`` with its cause, an argument whose bytes are
  not UTF-8 reaching code that needs text (a name looked up in the store); exit 1 (also for a
  usage error, as Kubo: ``Parser.error``). No traceback. Ctrl-C and SIGTERM: one line, then
  the process ends killed by that signal once the command has unwound (``end_by_signal``).
- A command whose standard output's reader went away (``| head -c1``) ends as Kubo's does: killed
  by SIGPIPE (a shell says 141), silently, after it has unwound and the exit handlers have run
  (``_end_by_sigpipe``). A broken pipe that is not standard output's is an error as any ``OSError``.
- SIGTERM unwinds the command as Ctrl-C does (``Terminated``, a ``KeyboardInterrupt``): what a
  command removes or rolls back when interrupted (``-o`` temporary files, a half-written output
  folder) is removed for SIGTERM too; a second SIGTERM kills at once, as SIGKILL would.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import importlib
import importlib.util
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from .. import __version__
from .._fileid import file_identity
from ..errors import AutocodecError, ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed import SupportsWrite

EPILOG = """examples:
  autocodec init                                  # create ~/.autocodec, pin the shipped extension set
  autocodec add file.bin                          # UnixFS, same CID as `ipfs add`
  autocodec dag get bafy.../tree/README/hash      # paths across links of any codec (git, eth, dag-pb...)
  autocodec decode CID --node /ip4/127.0.0.1/tcp/5001
  autocodec resolve codec git-raw                 # which module serves a code, and why

`autocodec COMMAND --help` shows each command's options and examples.
"""

BLOCK_READERS = frozenset({
    "decode", "cat", "get", "ls", "refs", "block get", "block stat", "block rm", "car export", "dag get", "dag resolve", "dag stat",
    "dag export",
})
"""Commands that read blocks (or paths) from the store: a missing home holds no blocks."""

READ_ONLY = BLOCK_READERS | {"resolve", "block ls", "block check", "pin ls", "trust ls"}
"""Commands that only read the home: they never create it (see ``check_home``)."""

HOMELESS = frozenset({"version"})
"""Commands that never look at a home: ``autocodec.home`` is not even imported for them (start-up),
unless ``--home`` names a ``~USER`` that does not expand, refused as for every command."""


USAGE_ERROR = 1


def command_timeout(text: str) -> float:
    """``--timeout``'s value: a Go duration (``time.ParseDuration``, as Kubo 0.43.1 reads it:
    ``5s``, ``1m30s``, ``250ms``; a bare number other than 0 has no unit and is refused), in
    seconds. Zero or less is a deadline already past, as in Kubo."""
    from .._gotime import NS, parse_duration

    try:
        return parse_duration(text) / NS
    except ValueError:
        raise argparse.ArgumentTypeError(f"time: invalid duration {text!r} (a number and a unit: 30s, 5m, 1h30m)")\
            from None
"""The status of a command line that was not understood (an unknown option or command, a missing
or malformed argument): Kubo 0.43.1 exits 1 for these, as for any error, and its status wins."""


class Parser(argparse.ArgumentParser):
    """argparse's parser, except that help and version text that cannot be written to stdout
    (``> /dev/full``; ``>&-``, where argparse wrote it to stderr instead) is an ``OSError`` for
    ``main``, not ignored (or misplaced) with exit status 0; and that a command (a parser with no
    subcommands of its own) takes its positionals wherever they are among its options, as
    Kubo's command line does (``cat A -o 1 B``, ``add - -r dir``; argparse alone gives a list
    positional the words before the first option and refuses the rest). After ``--`` every word
    is a positional (``add -- -file``): Python 3.11's intermixed parsing read those as options
    again, so a command line holding ``--`` is parsed the plain way."""

    _inner = False
    _adding = False

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """argparse's, with ``_get_formatter`` answering its metavar check from one shared
        formatter (``_CHECKER``): a fresh one per option reads the terminal's size and compiles
        two patterns, most of the time spent building a command's parser (start-up)."""
        self._adding = True
        try:
            return super().add_argument(*args, **kwargs)
        finally:
            self._adding = False

    def _get_formatter(self) -> argparse.HelpFormatter:
        if self._adding:  # only ``_format_args`` is asked of it: no width, no prog, no state
            return _CHECKER
        return super()._get_formatter()

    stdin_read = False
    """Whether this command's missing argument was looked for on stdin already (``ArgumentsOnStdin``)."""

    def error(self, message: str) -> NoReturn:
        """A command line not understood: one line on stderr naming the command, what is wrong and
        where its options are listed, and exit ``USAGE_ERROR`` (1, as Kubo 0.43.1). A missing
        argument that Kubo would read from stdin is ``ArgumentsOnStdin`` first (``_parse``)."""
        from ._text import clean

        command = self.prog.partition(" ")[2]
        if message.startswith("the following arguments are required") and not self.stdin_read:
            from ._stdin_args import STDIN_ARGUMENTS

            if command in STDIN_ARGUMENTS:
                self.stdin_read = True
                raise ArgumentsOnStdin(command)

        self.exit(USAGE_ERROR, f"{self.prog}: error: {clean(message)} (see `{self.prog} --help`)\n")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        words = sys.argv[1:] if args is None else args
        if self._inner or self._subparsers is not None or "--" in words:
            return super().parse_known_args(args, namespace)
        self._inner = True  # parse_known_intermixed_args calls this method back
        try:
            return self.parse_known_intermixed_args(args, namespace)
        except AttributeError as exc:
            # Python 3.11's intermixed parsing restores its positionals' saved nargs in a
            # ``finally`` that fails when Ctrl-C came before it saved them: the Ctrl-C is what happened
            if isinstance(exc.__context__, KeyboardInterrupt):
                raise exc.__context__ from None
            raise
        finally:
            self._inner = False

    def _parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        self._given: set[str] = set()  # the ``dest``s of the one-value options this parse has met
        return super()._parse_known_args(*args, **kwargs)

    def _parse_optional(self, arg_string: str) -> Any:
        """argparse's, reading an on/off option's ``=VALUE`` as Kubo 0.43.1 reads it (go-ipfs-cmds:
        the value lowercased, then Go's ``strconv.ParseBool``; an empty value is true), the one
        place this is done for both kinds of on/off option (``_on_off_forms``): ``--pin=0``,
        ``-w=T``, ``--offline=1``, ``-p=0`` and ``--pin=`` become the option's on or off spelling;
        any other value (``--pin=yes``) is refused, as Kubo refuses it. argparse asks this only of
        words it may read as options, so a word after ``--`` is never rewritten (``add --
        --offline=0`` adds that file, as Kubo does)."""
        name, eq, value = arg_string.partition("=")
        forms = self._on_off_forms(name) if eq and name.startswith("-") else None
        if forms is not None:
            truth = _GO_BOOLS.get(value.lower())
            if truth is None:
                shown = value if len(value) <= 40 else value[:40] + "..."
                self.error(f"invalid boolean {shown!r} for {name} (give true or false)")
            arg_string = forms[0] if truth else forms[1]
        return super()._parse_optional(arg_string)

    def _on_off_forms(self, name: str) -> tuple[str, str] | None:
        """The option strings that turn the on/off option ``name`` on and off, or None when
        ``name`` is not one: ``bool_flag``'s ``NAME=true``/``NAME=false`` spellings, or a
        ``BooleanOptionalAction``'s ``NAME`` (long or short) and its ``--no-`` form (a ``--no-``
        name itself takes no value, as Kubo has no such option)."""
        if f"{name}=true" in self._option_string_actions:
            return f"{name}=true", f"{name}=false"
        action = self._option_string_actions.get(name)
        if isinstance(action, argparse.BooleanOptionalAction) and not name.startswith("--no-"):
            return name, next(opt for opt in action.option_strings if opt.startswith("--no-"))
        return None

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        """argparse's, refusing an option that holds one value given a second time, as Kubo
        0.43.1 refuses any option given twice (``Error: multiple values for option "pin"``,
        exit 1), whatever its spellings (``-q --quiet``, ``--pin=false --pin=true``: the
        options of one ``dest``): the last one silently winning would hide a conflict."""
        if action.option_strings and isinstance(action, ONCE_KINDS):
            if action.dest in self._given:
                self.error(f"{_option_name(action)} is given more than once (give it once)")
            self._given.add(action.dest)
        return super()._get_values(action, arg_strings)

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        stdout = cast(TextIO | None, sys.stdout)
        if message and stdout is not None and file is cast(object, stdout):
            stdout.write(message)
            stdout.flush()
            return
        if message and file is None and stdout is None and sys.stderr is not None:
            # argparse passes sys.stdout, None when descriptor 1 was closed (stderr is passed as itself)
            raise OSError(errno.EBADF, "standard output is closed")
        super()._print_message(message, file)


_GO_BOOLS = {"": True, "1": True, "t": True, "true": True, "0": False, "f": False, "false": False}
"""An on/off option's values as Kubo 0.43.1 takes them, lowercased (``Parser._parse_optional``)."""


ONCE_KINDS = (argparse._StoreAction, argparse._StoreConstAction, argparse._StoreTrueAction,
              argparse._StoreFalseAction, argparse.BooleanOptionalAction)
"""The kinds of option that hold one value or one on/off state, so are given once
(``Parser._get_values``); appended and counted ones (``--gateway``, ``-v``) repeat."""


def _option_name(action: argparse.Action) -> str:
    """The name an option is known by: ``--raw-leaves`` for ``--no-raw-leaves`` or
    ``--raw-leaves=false`` (``bool_flag``'s spellings), the short form when it has no long one."""
    longs = [o.partition("=")[0] for o in action.option_strings if o.startswith("--")]
    for name in longs:
        if not name.startswith("--no-"):
            return name
    return "--" + longs[0][len("--no-"):] if longs else action.option_strings[0]


class ArgumentsOnStdin(Exception):
    """A command of ``_stdin_args.STDIN_ARGUMENTS`` given without its argument: ``_parse`` looks
    for it on stdin, as Kubo 0.43.1 does, before the usage error."""

    def __init__(self, command: str) -> None:
        super().__init__(command)
        self.command = command


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
        seconds = _timeout_in(words)
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


def _timeout_in(words: list[str]) -> float | None:
    """``--timeout``'s value among the program's options at the front (``place_globals`` put
    them there), or None (none given, or a malformed one: the parse says so)."""
    i = 0
    while i < len(words) and words[i].startswith("-"):
        name, eq, value = words[i].partition("=")
        if name == "--timeout":
            text = value if eq else (words[i + 1] if i + 1 < len(words) else "")
            try:
                return command_timeout(text)
            except argparse.ArgumentTypeError:
                return None
        i += 2 if TOP_GLOBALS.get(name) and not eq else 1
    return None


_CHECKER = argparse.HelpFormatter("autocodec", width=80)
"""The formatter ``Parser.add_argument`` checks metavars with (its ``_format_args`` is stateless)."""

COMMAND_MODULES = {"cat": "add"}
"""The commands registered by a module not named after them (``cat`` by ``cmd_add``); every
other command ``X`` is registered by ``cmd_X`` (tests/test_cli_startup.py checks both)."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` naming a command whose module is known (``cmd_X``, or
    ``COMMAND_MODULES``), only that module is registered (start-up cost), otherwise every
    ``cmd_*`` module is (help, and the message for a command that does not exist)."""
    from ._options import nonempty

    parser = Parser(
        prog="autocodec",
        description="Signed, content-addressed Wasm codecs, hashers, chunkers and crypto for IPFS.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"autocodec {__version__}")
    parser.add_argument("--home", help="home folder (default $AUTOCODEC_HOME or ~/.autocodec)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log decisions (-vv: debug)")
    parser.add_argument("--log-json", action="store_true", help="structured logs as JSON lines on stderr")
    parser.add_argument("--timeout", dest="command_timeout", type=command_timeout, default=None, metavar="DURATION",
                        help="stop the command with an error after this long, a Go duration as Kubo's (30s, 5m, 1h30m)")
    parser.add_argument("--offline", action=argparse.BooleanOptionalAction, default=False,
                        help="run the command offline: no node, gateway, DNS resolver or peer is contacted, "
                             "whatever config.toml says; only the home's store and kept IPNS records answer")
    parser.add_argument("--api", metavar="ADDR", type=nonempty("a node's address"),
                        help="Kubo's global --api: the node (RPC API, multiaddr or URL) a command fetches from, "
                             "as its --node (--to-node for a command that puts on a node)")
    parser.add_argument("--api-auth", metavar="SECRET", type=nonempty("a node secret"),
                        help="Kubo's global --api-auth: the secret (API.Authorizations AuthSecret, basic:USER:PASSWORD "
                             "or bearer:TOKEN) for the nodes this command names; $AUTOCODEC_NODE_AUTH keeps it "
                             "off the command line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _command_modules(argv):
        importlib.import_module(f"{_PACKAGE}.{name}").register(sub)
    kubo_global_options(parser)
    return parser


_PACKAGE = __package__ or "autocodec.cli"


def _command_modules(argv: Sequence[str] | None) -> list[str]:
    """The ``cmd_*`` modules to register: the one of the command ``argv`` names, found without
    listing the package (``pkgutil`` imports ``inspect``: start-up); else all of them, sorted."""
    wanted = _command_token(argv)
    if wanted is not None:
        name = f"cmd_{COMMAND_MODULES.get(wanted, wanted)}"
        if importlib.util.find_spec(f"{_PACKAGE}.{name}") is not None:
            return [name]
    import pkgutil

    package = importlib.import_module(_PACKAGE)
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.name.startswith("cmd_"))


ENC_IGNORED = frozenset({"add", "cat", "get", "ls", "block get", "block rm", "dag get", "dag export", "cid format",
                         "cid base32", "name get", "key export", "init"})
"""Commands that take ``--enc=json`` and print what they print without it: Kubo 0.43.1's same
commands do (checked with ``ipfs CMD --enc=json``; tests/test_cli_kubo4.py)."""

CID_BASE_IGNORED = frozenset({"cat", "get", "block get", "dag get", "dag export", "cid format", "cid base32", "version",
                              "name get", "key list", "key rm", "key rename", "key gen", "key import",
                              "key export", "name resolve", "cid inspect", "cid bases", "cid codecs", "cid hashes",
                              "name inspect", "name publish"})
"""Commands that take ``--cid-base`` and print what they print without it: Kubo 0.43.1's same
commands do (``cid inspect`` writes a CID's own base and its CIDv0/CIDv1 forms, ``name publish``
and ``name inspect`` the record's value as signed)."""


def _leaf_parsers(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Each command (a parser with no subcommands) by its name, ``"dag get"``; aliases left out."""
    leaves: dict[str, argparse.ArgumentParser] = {}
    for name, sub in _subcommands(parser).items():
        full = f"{prefix} {name}".strip()
        if sub.prog.split(" ", 1)[-1] != full:  # an alias (``key ls``) names the same parser
            continue
        leaves.update(_leaf_parsers(sub, full) if _subcommands(sub) else {full: sub})
    return leaves


def kubo_global_options(parser: argparse.ArgumentParser) -> None:
    """Kubo's global ``--enc`` and ``--cid-base``, taken by every command (a script written for
    Kubo passes them anywhere). A command that uses one declares it itself (``add_enc_option``,
    ``add_cid_base_option``); the others get a hidden one here, checked by ``unused_globals``."""
    from ._cidbase import cid_base_value
    from ._kubo import enc_value

    for leaf in _leaf_parsers(parser).values():
        own = {opt for action in leaf._actions for opt in action.option_strings}
        if "--enc" not in own:
            leaf.add_argument("--enc", dest="unused_enc", type=enc_value, default=None, help=argparse.SUPPRESS)
        if "--cid-base" not in own:
            leaf.add_argument("--cid-base", dest="unused_cid_base", type=cid_base_value, default=None,
                              help=argparse.SUPPRESS)


def unused_globals(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """Why a global option given to a command that has no use for it is refused, or None: taken
    without effect where Kubo's same command takes it so (``ENC_IGNORED``, ``CID_BASE_IGNORED``;
    ``--enc=text`` anywhere), refused elsewhere, since the output would not be what was asked."""
    name = _innermost(parser, args).prog.split(" ", 1)[-1]
    enc = getattr(args, "unused_enc", None)
    if enc not in (None, "text") and name not in ENC_IGNORED:
        return f"--enc={enc} has no effect on `autocodec {name}`: it has no JSON form (leave --enc out)"
    if getattr(args, "unused_cid_base", None) is not None and name not in CID_BASE_IGNORED:
        return (f"--cid-base has no effect on `autocodec {name}`: it prints CIDs in their own base only "
                "(leave --cid-base out)")
    return None


def _unbounded(args: argparse.Namespace) -> str | None:
    """Why ``--timeout`` is refused on this command, or None: ``serve`` runs until it is
    stopped (SIGTERM or Ctrl-C: a prompt, orderly stop), and its requests have their own bounds."""
    if args.command_timeout is not None and args.command == "serve":
        return ("--timeout does not apply to `autocodec serve`: it runs until stopped "
                "(stop it with SIGTERM or Ctrl-C; leave --timeout out)")
    return None


def _command_token(argv: Sequence[str] | None) -> str | None:
    """The command word of ``argv`` (after the global options), if there is one."""
    args = list(sys.argv[1:] if argv is None else argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--home", "--enc", "--cid-base", "--timeout", "--api", "--api-auth"):  # global options taking a value (``place_globals``)
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return arg.replace("-", "_") if arg.replace("-", "").isalnum() else None
    return None


def _one_value_options(parser: argparse.ArgumentParser) -> dict[str, bool]:
    """Each option string of ``parser``: whether it takes exactly one value."""
    return {opt: action.nargs is None for action in parser._actions for opt in action.option_strings}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _negative_number(word: str) -> bool:
    """Whether ``word`` is a dash and then a number, however spelled: ``-1h``, ``-0x10``, ``-.5``,
    ``-inf``, ``-nan``, ``-Infinity`` (never an option: no option name starts with a digit, a dot
    or one of those words)."""
    if word[:1] != "-":
        return False
    if word[1:2].isdigit():
        return True
    try:
        float(word)
    except ValueError:
        return False
    return True


def dash_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``--lifetime -1h`` read as Go's flag package reads it: an option that takes one value
    takes the next word even when it is a negative number (``_negative_number``: argparse would
    take ``-1h`` or ``-inf`` for an option and say the value is missing), by writing it
    ``--lifetime=-1h``."""
    out: list[str] = []
    current = parser
    options = _one_value_options(current)
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg in options:
            out.append(arg)
            if options[arg] and i + 1 < len(argv):
                value = argv[i + 1]
                if _negative_number(value):
                    out[-1] = f"{arg}={value}"
                else:
                    out.append(value)
                i += 1
            i += 1
            continue
        chosen = _subcommands(current).get(arg) if not arg.startswith("-") else None
        if chosen is not None:
            current = chosen
            options = _one_value_options(current)
        out.append(arg)
        i += 1
    return out


TOP_GLOBALS = {"--home": True, "-v": False, "--verbose": False, "--log-json": False, "--timeout": True,
               "--offline": False, "--no-offline": False, "--api": True, "--api-auth": True}
"""The options of the program itself (read by the top-level parser), each: whether it takes a
value. As Kubo 0.43.1's global options (``-D``, ``--repo-dir``, ``--timeout``...), they are taken
anywhere on the command line, before, inside or after the command (``place_globals``)."""

LEAF_GLOBALS = {"--enc": True, "--cid-base": True}
"""Kubo's global ``--enc`` and ``--cid-base``: every command declares them (``kubo_global_options``),
and they too are taken anywhere: ``autocodec --enc=json dag stat X`` as ``ipfs --enc=json dag stat X``."""


KUBO_SPELLINGS = {"--encoding": "--enc"}
"""Kubo 0.43.1's other names of our global options (``ipfs --encoding=json version``)."""

HELP_FLAGS = frozenset({"-h", "--help"})


def kubo_spellings(words: list[str]) -> list[str]:
    """``words`` with Kubo's long names of global options (``KUBO_SPELLINGS``) written as ours,
    ``--encoding=json`` as ``--enc=json``; nothing after ``--`` changes."""
    out: list[str] = []
    for i, word in enumerate(words):
        if word == "--":
            return out + words[i:]
        name, eq, value = word.partition("=")
        out.append(KUBO_SPELLINGS[name] + eq + value if name in KUBO_SPELLINGS else word)
    return out


def place_help(parser: argparse.ArgumentParser, words: list[str]) -> list[str]:
    """``words`` with a help request moved after the command it names, as Kubo 0.43.1 reads it:
    ``-h``/``--help`` anywhere (``autocodec --help version``, ``autocodec dag --help get``), or
    ``help`` as the command word (``autocodec help dag get``), shows the help of the command
    every command word names, not of the group before the flag; after an unknown command
    argparse refuses it, after an unknown action the group's help is shown. Words after ``--`` are
    arguments; a line without a help request is returned as it is."""
    end = words.index("--") if "--" in words else len(words)
    head = list(words[:end])
    asked = any(word in HELP_FLAGS for word in head)
    at = _first_command_word(head)
    if at is not None and head[at] == "help" and "help" not in _subcommands(parser):
        del head[at]
        asked = True
    if not asked:
        return list(words)
    head = [word for word in head if word not in HELP_FLAGS]
    return head[:_after_command(parser, head)] + ["--help"] + head[_after_command(parser, head):] + words[end:]


def _first_command_word(words: list[str]) -> int | None:
    """Where the first word that is not a global option (or its value) is, if any."""
    i = 0
    while i < len(words):
        glob = _option_length(words, i, {**TOP_GLOBALS, **LEAF_GLOBALS})
        if not glob and not words[i].startswith("-"):
            return i
        i += glob or 1
    return None


def _after_command(parser: argparse.ArgumentParser, words: list[str]) -> int:
    """The index just after the last word of ``words`` that names a command or group, walking
    down from ``parser`` (0 when none does)."""
    current, after, i = parser, 0, 0
    while i < len(words):
        glob = _option_length(words, i, {**TOP_GLOBALS, **LEAF_GLOBALS})
        if glob or words[i].startswith("-"):
            i += glob or 1
            continue
        chosen = _subcommands(current).get(words[i])
        if chosen is None:  # an unknown command is refused (left before the flag), an unknown action
            return i + 1 if current is parser else after  # shows its group's help, as Kubo
        current, after = chosen, i + 1
        if not _subcommands(chosen):
            break
        i += 1
    return after


def place_globals(parser: argparse.ArgumentParser, words: list[str]) -> list[str]:
    """``words`` with each global option moved to where argparse reads it, so that they are taken
    anywhere, as Kubo 0.43.1 takes its global options (``ipfs --enc=json pin ls``, ``ipfs pin
    --enc=json ls``, ``ipfs pin ls --enc=json``): ``TOP_GLOBALS`` to the front, ``LEAF_GLOBALS``
    just after the command's last word. A command's own option of the same name wins after that
    command (``cid format -v 1``); a command's own option before the command stays there and is
    refused, as Kubo refuses it (``ipfs --quiet add``, ``ipfs pin -r ls``). After ``--`` nothing
    moves; a command line that reaches no command is returned as it is (``bare_group`` or
    argparse answers it)."""
    front: list[str] = []
    held: list[str] = []
    out: list[str] = []
    current = parser
    leaf_at: int | None = None
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            out.extend(words[i:])
            break
        step = _option_length(words, i, _one_value_options(current)) if leaf_at is not None else 0
        if step:  # the command's own option (and its value)
            out.extend(words[i:i + step])
            i += step
            continue
        top = _option_length(words, i, TOP_GLOBALS)
        leaf = _option_length(words, i, LEAF_GLOBALS) if leaf_at is None else 0
        if top or leaf:  # before the command: in place; elsewhere: moved
            (out if current is parser and top else front if top else held).extend(words[i:i + (top or leaf)])
            i += top or leaf
            continue
        out.append(word)
        chosen = _subcommands(current).get(word) if leaf_at is None else None
        if chosen is not None:
            current = chosen
            leaf_at = None if _subcommands(chosen) else len(out)
        i += 1
    if leaf_at is None:
        return list(words)
    return front + out[:leaf_at] + held + out[leaf_at:]


def _option_length(words: list[str], i: int, table: dict[str, bool]) -> int:
    """How many words the option at ``words[i]`` spans if it is one of ``table`` (``-vv`` counts
    as ``-v``): 2 for ``--home DIR``, 1 for ``--home=DIR`` or a flag, 0 for another word or for
    an option whose value is missing."""
    word = words[i]
    name = word.split("=", 1)[0] if word.startswith("--") else word
    if name[:2] == "-v" and set(name[1:]) == {"v"} and "-v" in table and table.get(name) is None:
        name = "-v"
    if name not in table or (table[name] and name == word and i + 1 == len(words)):
        return 0  # not one of them, or its value is missing (left where it is: argparse says so)
    return 2 if table[name] and name == word else 1


def bare_group(parser: argparse.ArgumentParser, words: Sequence[str]) -> argparse.ArgumentParser | None:
    """The command group ``words`` name without an action (``[]``, ``["dag"]``, ``["--home", "h",
    "key"]``), or None: anything else in ``words`` (an unknown option, an action) is for argparse."""
    current = parser
    options = _one_value_options(current)
    i = 0
    while i < len(words):
        word = words[i]
        name = word.split("=", 1)[0] if word.startswith("--") else word
        chosen = _subcommands(current).get(word)
        if chosen is not None:
            current, options = chosen, _one_value_options(chosen)
        elif name in options:
            if options[name] and name == word:
                if i + 1 == len(words):
                    return None  # its value is missing: argparse says so
                i += 1
        elif glob := _option_length(list(words), i, {**TOP_GLOBALS, **LEAF_GLOBALS}):  # anywhere, as Kubo's
            i += glob - 1
        else:
            return None
        i += 1
    return current if _subcommands(current) else None


def _innermost(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)parser of the command and action ``args`` names, for its own usage line."""
    chosen = _subcommands(parser).get(str(getattr(args, "command", "")))
    if chosen is None:
        return parser
    action = getattr(args, f"{str(args.command).replace('-', '_')}_command", None)
    deeper = _subcommands(chosen).get(str(action)) if action else None
    return deeper or chosen


def command_name(args: argparse.Namespace) -> str:
    """``"dag get"``, ``"decode"``...: the command and its action, if it has one."""
    name = str(args.command)
    action = getattr(args, f"{name.replace('-', '_')}_command", None)
    return f"{name} {action}" if action else name


def check_home(args: argparse.Namespace) -> None:
    """Refuse a read-only command on a home that does not exist (see the module invariants).

    Block readers check their CID or path arguments first (a typo is an ``InvalidCID``
    wherever the home is), then say that a missing home holds no blocks (``BlockNotFound``).
    ``resolve`` checks its code itself first, then calls ``require_home``.
    """
    name = command_name(args)
    if name not in READ_ONLY or name == "resolve" or getattr(args, "node", None) or getattr(args, "gateway", None):
        return
    require_home(name, args)


def require_home(name: str, args: argparse.Namespace | None = None) -> None:
    """``ConfigError`` (``BlockNotFound`` for block readers) unless the home exists."""
    from ..home import Home

    if name in BLOCK_READERS:
        from ..dag import parse_path

        for attr in ("cid", "ref", "root", "roots"):
            value = getattr(args, attr, None) if args is not None else None
            for text in value if isinstance(value, list) else [value] if value else []:
                parse_path(text)
    home = Home.resolve()
    if home.exists():
        return
    refuse_file_home(home.root)
    where = "is not an autocodec home" if home.root.exists() else "does not exist"
    hint = "create it with `autocodec init`, or point --home or $AUTOCODEC_HOME at an existing home"
    if name in BLOCK_READERS:
        from ..errors import BlockNotFound

        raise BlockNotFound(f"{home.root} {where}, so it holds no blocks", hint=hint)
    raise ConfigError(f"{home.root} {where}", hint=hint)


def refuse_file_home(root: Path) -> None:
    """``StoreError`` when no ``init`` could make the home path a home: it names a file (Home.init's
    own words), lies under a file, or is a symbolic link to nothing or a loop. The answer is then
    to name a folder, not to create one (which ``init`` would refuse)."""
    from ..errors import StoreError

    hint = "point --home or $AUTOCODEC_HOME at a folder"
    if root.is_symlink() and not root.exists():
        raise StoreError(f"the home {root} is a symbolic link to nothing (or a loop of links)", hint=hint)
    for part in (root, *root.parents):
        if part.exists():  # the nearest that exists: a folder, or what stops the home being one
            if not part.is_dir():
                where = "is a file, not a folder" if part == root else f"is inside {part}, a file"
                raise StoreError(f"the home {root} {where}", hint=hint)
            return


def _fit_hint(exc: AutocodecError, args: argparse.Namespace) -> None:
    """Make a missing block's hint name what this command can do about it; offline, an IPNS
    name with no kept record says that only kept records answer."""
    from ..errors import BlockNotFound, NotFound

    if args.offline and type(exc) is NotFound and "IPNS record" in exc.message:
        exc.hint = "--offline answers from the records kept in this home only; resolve the name once online to keep it"
        return
    if type(exc) is not BlockNotFound or type(exc).hint != exc.hint:
        return
    if not hasattr(args, "node"):
        exc.hint = "this command reads the local store only: put, import or fetch the block first"
    elif not (args.node or getattr(args, "gateway", None)):
        exc.hint = "put or import the block, or fetch it with --node ADDR or --gateway URL"
    else:
        exc.hint = "no source given has it; check the CID, or try another --node/--gateway"


def _logging_wanted(args: argparse.Namespace) -> bool:
    return bool(args.verbose or args.log_json or os.environ.get("AUTOCODEC_LOG")
                or os.environ.get("AUTOCODEC_LOG_LEVEL"))


def _fail(text: str) -> int:
    from ._text import clean

    print(f"autocodec: {clean(text)}", file=sys.stderr)
    return 1


def _ipns_paths(args: argparse.Namespace) -> None:
    """``/ipns/NAME/...`` arguments become ``/ipfs/...`` paths (``_ipns_paths``), before anything
    (the module is loaded only when an argument names IPNS: no start-up cost otherwise)."""
    values = [v for value in vars(args).values() for v in (value if isinstance(value, list) else [value])]
    if not any(isinstance(v, str) and ("ipns:" in v or "/ipns/" in v) for v in values):
        return
    from ._ipns_paths import PATH_ARGUMENTS, resolve_ipns_arguments

    name = command_name(args)
    if name in PATH_ARGUMENTS:
        resolve_ipns_arguments(args, name)


READER_GONE = 128 + signal.SIGPIPE
"""The status of a command whose standard output's reader went away, as a shell reports a
process killed by SIGPIPE; ``main`` ends the process by that signal instead where it can."""


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


_LATE_SIGNAL: list[int] = []
"""A SIGINT or SIGTERM that came while the program shut down (``_shutdown_signals``)."""


def _shutdown_signals() -> None:
    """From the command's end to the process's: Ctrl-C or SIGTERM no longer raises (an exit
    handler, such as the loader's stopping its workers, would print "Exception ignored" and a
    traceback, and the process exit 0); it is noted, the exit handlers finish, and then
    ``_signalled_at_exit`` says so in one line and ends the process by that signal, as for a
    signal during the command. A second one acts at once (the default)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def noted(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signum, signal.SIG_DFL)
        _LATE_SIGNAL.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) not in (signal.SIG_IGN, None):
            signal.signal(signum, noted)


def _signalled_at_exit() -> None:
    """The last exit handler (registered when this module loads, before the loader's): a
    signal noted during shutdown (``_shutdown_signals``) gets its line, and the process ends by it."""
    if not _LATE_SIGNAL:
        return
    signum = _LATE_SIGNAL[0]
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(f"autocodec: {'terminated' if signum == signal.SIGTERM else 'interrupted'}", file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_signalled_at_exit)


def _end_by_sigpipe() -> None:
    """End this process as killed by SIGPIPE, as a Go program (Kubo) is when a write to its
    standard output finds the pipe closed (Python ignores SIGPIPE from start-up): see
    ``end_by_signal``; ``main`` returns ``READER_GONE`` where it cannot."""
    end_by_signal(signal.SIGPIPE)


def end_by_signal(signum: int) -> None:
    """End this process killed by ``signum`` (SIGINT, SIGTERM, SIGPIPE), after the command has
    unwound (partial outputs removed, the store's transaction rolled back) and said so: the Unix
    convention, and what Python does on an uncaught KeyboardInterrupt, so that a calling shell
    sees the signal (a ``for`` loop stops at Ctrl-C) rather than an exit status. Exit handlers
    run first (the loader's worker processes are stopped); stdout and stderr are flushed.
    Returns only where the signal cannot be delivered now (off the main thread, or blocked by
    the caller): ``main`` then returns 128 + ``signum``."""
    if threading.current_thread() is not threading.main_thread():
        return
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so that it unwinds as Ctrl-C does."""


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """For the length of ``main``: SIGTERM raises ``Terminated`` in this process, once (the
    handler gives way to the default first, so a second SIGTERM kills). A forked child (the
    loader's workers) that receives it dies as by default; a SIGTERM the parent made us ignore
    stays ignored; off the main thread nothing changes (Python allows handlers only there)."""
    owner = os.getpid()

    def handler(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signum, signal.SIG_DFL)
        if os.getpid() != owner:
            os.kill(os.getpid(), signum)
            return
        raise Terminated

    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN or threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


INTERRUPTED = 128 + signal.SIGINT
TERMINATED = 128 + signal.SIGTERM
"""The statuses ``_run`` gives an interrupted command, as a shell reports a process killed by
that signal; ``main`` then ends the process by the signal itself (``end_by_signal``)."""


class TimedOut(BaseException):
    """``--timeout`` expired, raised where the command is, so that it unwinds as for Ctrl-C
    (partial outputs removed, transactions rolled back); not an ``Exception``, so nothing on the
    way catches it for an ordinary error."""


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """For the length of the command: ``TimedOut`` once ``seconds`` have passed (SIGALRM, so a
    command waiting in a read, a fetch or a lock is woken). None: no deadline; zero or less: the
    deadline has passed already (``TimedOut`` at once). Off the main thread nothing is bounded
    (Python allows signal handlers only there)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    if seconds <= 0:
        raise TimedOut

    def expired(_signum: int, _frame: FrameType | None) -> None:
        raise TimedOut

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _timed_out(given: str) -> int:
    """The one line of a command stopped by ``--timeout``; exit 1, as Kubo 0.43.1 (``Error: timed out``)."""
    return _fail(f"Timeout: timed out: the command ran longer than --timeout {given} allows "
                 "(give it longer, or leave --timeout out)")


def _interrupted(exc: KeyboardInterrupt) -> int:
    """One line and ``TERMINATED`` for SIGTERM, ``INTERRUPTED`` for Ctrl-C."""
    if isinstance(exc, Terminated):
        print("autocodec: terminated", file=sys.stderr)
        return TERMINATED
    print("autocodec: interrupted", file=sys.stderr)
    return INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    import time

    started = time.monotonic()  # ``--timeout`` counts from here: a read of stdin and the command share it
    parser = build_parser(argv)
    words = dash_values(parser, list(sys.argv[1:] if argv is None else argv))
    words = place_globals(parser, place_help(parser, kubo_spellings(words)))
    try:
        group = bare_group(parser, words)
        if group is not None:  # as ``ipfs`` and ``ipfs dag``: the group's help, exit 0
            group.print_help()
            return 0
        args, extras = _parse(parser, words, started)
    except OSError as exc:  # --help or --version could not be written (``Parser``)
        return _stdout_failed(exc)
    if extras:  # the command's own usage, not the top level's
        _innermost(parser, args).error(f"unrecognized arguments: {' '.join(extras)}")
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


def _network_globals(args: argparse.Namespace) -> str | None:
    """``--api`` made the command's ``--node``, and ``--offline`` checked against the command's
    own network options (``_offline``, loaded only when one of them is given: start-up)."""
    if args.api is None and not args.offline:
        return None
    from ._offline import api_as_node, offline_conflict

    name = command_name(args)
    return api_as_node(args, name) or offline_conflict(args, name)


def _stdout_failed(exc: OSError) -> int:
    """Exit 1 for output that could not be written: one line for a full disk or a closed stdout;
    ``READER_GONE`` and no line for a reader that went away (a closed pipe); stdout is silenced
    so the interpreter's exit does not retry."""
    from ._io import silence_stdout

    if exc.errno == errno.EBADF and sys.stdout is None:  # closed (``Parser``): said as for a command's output
        return _fail("InvalidInput: standard output is closed (send the output to a file or a pipe)")
    if isinstance(exc, BrokenPipeError) and _stdout_reader_gone():
        return READER_GONE
    with contextlib.suppress(OSError, ValueError):
        silence_stdout()
    return _fail(f"OutputError: cannot write standard output: {exc.strerror or exc} "
                 "(free space where the output goes, or send it elsewhere)")


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

    left = _left(args.command_timeout, time.monotonic() if started is None else started)
    if _logging_wanted(args):
        from .. import log

        level = {0: None, 1: "info"}.get(args.verbose, "debug")
        log.configure(level=level, json=True if args.log_json else None)
    quiet = not _logging_wanted(args) and args.command != "serve"  # a failing command prints one line
    try:
        with _home_chosen(args):  # --home: the default home for this command, no environment write
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


_NEXT_STEPS = {
    errno.EACCES: "give this user access to it, or point the command at another path or home",
    errno.EPERM: "give this user access to it, or point the command at another path or home",
    errno.ENOSPC: "free space there, or write elsewhere",
    errno.EDQUOT: "free space there, or write elsewhere",
    errno.EROFS: "that file system is read-only: write elsewhere",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "check the path",
    errno.EISDIR: "name a file, not a folder",
}


def _next_step(exc: OSError) -> str:
    """What to do about a file, socket or folder error no command turned into its own message
    (``_run``'s last resort): by its ``errno``, else check and run again."""
    return _NEXT_STEPS.get(exc.errno or 0, "check the paths and addresses the command uses, then run it again")


def _home_chosen(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """``home.chosen(--home)``; nothing for a ``HOMELESS`` command whose ``--home``, if any,
    expands (``~USER``) as ``chosen`` would need it to."""
    if command_name(args) in HOMELESS:
        try:
            Path(args.home or "").expanduser()
        except RuntimeError:
            pass  # ``chosen`` says what is wrong, as for any command
        else:
            return contextlib.nullcontext()
    from ..home import chosen

    return chosen(args.home or None)


def _timeout_given(args: argparse.Namespace) -> str:
    """``--timeout``'s value as Go writes a duration (``1m30s``), for the message."""
    from .._gotime import NS, format_duration

    return format_duration(round(args.command_timeout * NS))


def _stdout_reader_gone() -> bool:
    """Whether standard output's reader went away; if so stdout is silenced (nothing retries)."""
    from ._io import reader_went_away, stdout_reader_gone

    if not stdout_reader_gone():
        return False
    with contextlib.suppress(OSError, ValueError):
        reader_went_away()
    return True


@contextlib.contextmanager
def _store_kept(args: argparse.Namespace) -> Iterator[None]:
    """A command that may write to an existing home fails (``StoreError``) when its store file
    was removed, moved or replaced while it ran (``rm -rf`` of the home): SQLite wrote on into
    the file it had open, so every write succeeded and none of it is in the home. Read-only
    commands and ``serve`` are left alone (what they printed was right when they printed it)."""
    name = command_name(args)
    if name in READ_ONLY or name in HOMELESS or name == "serve":
        yield
        return
    from ..home import Home

    try:
        path: Path | None = Home.resolve().db_path
    except AutocodecError:  # a home path that names nothing: the command says so if it needs one
        path = None
    before = None if path is None else file_identity(path)
    yield
    if path is not None and before is not None and file_identity(path) != before:
        from ..errors import StoreError

        raise StoreError(f"the store {path} was removed or replaced while the command ran: what the command "
                         "wrote may be lost with the old file", hint="run it again on the home as it is now")


def _undecodable_argument(exc: UnicodeEncodeError) -> bool:
    """Whether ``exc`` is about bytes of the command line that are not UTF-8: Python hands them
    over as lone surrogates (``surrogateescape``), which a file path may hold but SQLite, JSON or
    a name may not."""
    return isinstance(exc.object, str) and any(0xDC80 <= ord(c) <= 0xDCFF for c in exc.object[exc.start:exc.end])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
