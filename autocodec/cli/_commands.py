"""The parser built from the ``cmd_*`` modules, and the tables of which command takes what.

Invariants: building a parser for a named command imports only that command's module (start-up;
``COMMAND_MODULES`` names the exceptions); every command takes Kubo's global ``--enc`` and
``--cid-base`` (its own, or a hidden one ``unused_globals`` checks); nothing here reads the home.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from .. import __version__
from ._argv import _subcommands
from ._parser import Parser


EPILOG = """examples:
  autocodec init                                  # create ~/.autocodec, pin the shipped extension set
  autocodec add file.bin                          # UnixFS, same CID as `ipfs add`
  autocodec dag get bafy.../tree/README/hash      # paths across links of any codec (git, eth, dag-pb...)
  autocodec decode CID --node /ip4/127.0.0.1/tcp/5001
  autocodec resolve codec git-raw                 # which module serves a code, and why

`autocodec COMMAND --help` shows each command's options and examples.
"""


def command_timeout(text: str) -> float:
    """``--timeout``'s value: a Go duration (``time.ParseDuration``, as Kubo 0.43.1 reads it:
    ``5s``, ``1m30s``, ``250ms``; a bare number other than 0 has no unit and is refused), in
    seconds. Zero or less is a deadline already past, as in Kubo."""
    from .._gotime import NS, parse_duration

    try:
        return parse_duration(text) / NS
    except ValueError as exc:  # Go's words (Kubo 0.43.1: ``time: missing unit in duration "5"``)
        raise argparse.ArgumentTypeError(f"{exc} (a number and a unit: 30s, 5m, 1h30m)") from None


COMMAND_MODULES = {"cat": "add"}
"""The commands registered by a module not named after them (``cat`` by ``cmd_add``); every
other command ``X`` is registered by ``cmd_X`` (tests/test_cli_startup.py checks both)."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` naming a command whose module is known (``cmd_X``, or
    ``COMMAND_MODULES``), only that module is registered (start-up cost), otherwise every
    ``cmd_*`` module is (help, and the message for a command that does not exist)."""
    from ._kubo import bool_flag
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
    bool_flag(parser, None, "upgrade-cidv0-in-output", None,
              "Kubo's deprecated global option: a CIDv0 in the output printed as a CIDv1 (=false: "
              "as Qm... even beside --cid-base); without it a CIDv0 is upgraded in any --cid-base but base58btc")
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
    ``add_cid_base_option``); the others get a hidden one here, checked by ``unused_globals``
    (the hidden ``--cid-base`` is read there: a command that ignores it takes any value, as Kubo)."""
    from ._kubo import enc_value

    for leaf in _leaf_parsers(parser).values():
        own = {opt for action in leaf._actions for opt in action.option_strings}
        if "--enc" not in own:
            leaf.add_argument("--enc", dest="unused_enc", type=enc_value, default=None, help=argparse.SUPPRESS)
        if "--cid-base" not in own:
            leaf.add_argument("--cid-base", dest="unused_cid_base", default=None, help=argparse.SUPPRESS)


def unused_globals(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """Why a global option given to a command that has no use for it is refused, or None: taken
    without effect where Kubo's same command takes it so (``ENC_IGNORED``, ``CID_BASE_IGNORED``;
    ``--enc=text`` anywhere), refused elsewhere, since the output would not be what was asked."""
    from ._cidbase import cid_base_value, unread_base_refusal

    unread = unread_base_refusal(args)
    if unread is not None:
        return unread
    name = _innermost(parser, args).prog.split(" ", 1)[-1]
    enc = getattr(args, "unused_enc", None)
    if enc not in (None, "text") and name not in ENC_IGNORED:
        return f"--enc={enc} has no effect on `autocodec {name}`: it has no JSON form (leave --enc out)"
    base = getattr(args, "unused_cid_base", None)
    if base is None or name in CID_BASE_IGNORED:  # never read there, so any value (``nope``), as Kubo's
        return None
    try:
        if cid_base_value(base) is None:  # empty: the option left out
            return None
    except argparse.ArgumentTypeError as exc:
        return f"argument --cid-base: {exc}"
    return (f"--cid-base has no effect on `autocodec {name}`: it prints CIDs in their own base only "
            "(leave --cid-base out)")


TIMELESS = frozenset({"version", "cid bases", "cid codecs", "cid hashes", "cid inspect"})
"""The commands ``--timeout`` does not bound: they print from their arguments and the program's
own tables, never waiting on anything (no home, store, network or stdin). Kubo 0.43.1's same
commands never look at the deadline: ``ipfs --timeout=-1s version`` (or ``=1ns``) prints the
version, exit 0 (measured; a deadline already past stops every command that does look at it)."""


def _unbounded(args: argparse.Namespace) -> str | None:
    """Why ``--timeout`` is refused on this command, or None: ``serve`` runs until it is
    stopped (SIGTERM or Ctrl-C: a prompt, orderly stop), and its requests have their own bounds."""
    if args.command_timeout is not None and args.command == "serve":
        return ("--timeout does not apply to `autocodec serve`: it runs until stopped "
                "(stop it with SIGTERM or Ctrl-C; leave --timeout out)")
    return None


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
