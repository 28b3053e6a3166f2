"""The command line's words rewritten before argparse reads them, as Kubo 0.43.1 reads them:
global options taken anywhere (``place_globals``), help asked anywhere (``place_help``), Kubo's
other option names (``kubo_spellings``), values that start with a dash (``dash_values``); and
Kubo's words for an option the parser did not read (``unknown_option``).

Invariants: each function returns a new list and changes nothing after ``--`` (every word there is
an argument; a ``--`` that is an option's value is joined to it first, ``dash_values``); a word is
only moved or respelled, never dropped or invented, except ``place_help``'s help request, which
becomes one ``--help`` after the command it names, and ``dash_values``' option and dash value,
which become one word. ``bare_group`` and ``unknown_option`` only read.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NamedTuple


def _one_value_options(parser: argparse.ArgumentParser) -> dict[str, bool]:
    """Each option string of ``parser``: whether it takes exactly one value."""
    return {opt: action.nargs is None for action in parser._actions for opt in action.option_strings}


def _version_options(parser: argparse.ArgumentParser) -> set[str]:
    """The option strings of ``parser`` that print the program's version (``--version``)."""
    return {opt for action in parser._actions if isinstance(action, argparse._VersionAction)
            for opt in action.option_strings}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _value_options(parser: argparse.ArgumentParser) -> dict[str, bool]:
    """The options read after ``parser``'s word, each: whether it takes one value. The program's
    global options (``TOP_GLOBALS``, ``LEAF_GLOBALS``, Kubo's ``KUBO_SPELLINGS``) are taken
    anywhere; a command's own option of the same name wins there (``cid format -v 1``)."""
    table = {**TOP_GLOBALS, **LEAF_GLOBALS, **{name: LEAF_GLOBALS.get(ours, TOP_GLOBALS.get(ours, False))
                                                 for name, ours in KUBO_SPELLINGS.items()}}
    return {**table, **_one_value_options(parser)}


def _cluster_takes_value(word: str, options: dict[str, bool]) -> bool:
    """Whether ``word`` is a cluster of short options of ``options`` (the command's own: a
    global's letter, ``-v``, is read by another parser and never joins a cluster) whose last
    letter alone takes a value (``-Qs``: ``-Q`` an on/off option, ``-s`` one taking a value), so
    that the next word is that value, as go-ipfs-cmds reads ``-Qs VALUE``. ``add -vs -x`` is no
    such cluster: both words stay as typed and are refused as typed (Kubo 0.43.1: ``unknown
    option "vs"``), never as an invented ``-vs-x``."""
    if len(word) < 3 or word[1] == "-" or "=" in word:
        return False
    return all(options.get("-" + c) is False for c in word[1:-1]) and options.get("-" + word[-1]) is True


def dash_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """An option that takes one value takes the next word whatever it is, as Kubo 0.43.1's
    command line does (go-ipfs-cmds 0.16.1, ``cli/parse.go``: ``parseLongOpt`` and
    ``parseShortOpts`` take the next word unread): ``--chunker -x``, ``--timeout --help``,
    ``-s --``, ``--lifetime -1h``, ``-Qs -x``. argparse would read a word that starts with a dash
    as an option (or the end of the options) and say the value is missing, so such a pair is
    written as one word: ``--chunker=-x``, ``-s=--``, ``-Qs-x``; the value is then checked as
    any other. A value that does not start with a dash, an option that is the last word (its
    value is missing: argparse says so) and everything after a ``--`` that is not a value stay
    as they are."""
    out: list[str] = []
    current = parser
    options = _value_options(current)
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        takes = options.get(arg) if arg.startswith("-") else None
        if takes is None and _cluster_takes_value(arg, _one_value_options(current)):
            takes = True
        if takes is not None:
            if takes and i + 1 < len(argv):
                value = argv[i + 1]
                joined = arg + value if arg not in options else f"{arg}={value}"
                out.extend([joined] if value.startswith("-") else [arg, value])
                i += 2
            else:
                out.append(arg)
                i += 1
            continue
        chosen = _subcommands(current).get(arg) if not arg.startswith("-") else None
        if chosen is not None:
            current = chosen
            options = _value_options(current)
        out.append(arg)
        i += 1
    return out


TOP_GLOBALS = {"--home": True, "-v": False, "--verbose": False, "--log-json": False, "--timeout": True,
               "--offline": False, "--no-offline": False, "--api": True, "--api-auth": True,
               "--upgrade-cidv0-in-output": False, "--no-upgrade-cidv0-in-output": False}
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


class Placed(NamedTuple):
    """``place_globals``' words, and the values of the program's own ``--timeout`` in the order
    given (a command's own ``--timeout`` after that command, ``bao cat``'s seconds, is not one;
    nor one that ends the line without its value: argparse says so)."""

    words: list[str]
    timeouts: list[str]


def place_globals(parser: argparse.ArgumentParser, words: list[str]) -> list[str]:
    """``read_globals(parser, words).words``."""
    return read_globals(parser, words).words


def read_globals(parser: argparse.ArgumentParser, words: list[str]) -> Placed:
    """``words`` with each global option moved to where argparse reads it, so that they are taken
    anywhere, as Kubo 0.43.1 takes its global options (``ipfs --enc=json pin ls``, ``ipfs pin
    --enc=json ls``, ``ipfs pin ls --enc=json``): ``TOP_GLOBALS`` to the front, ``LEAF_GLOBALS``
    just after the command's last word. A command's own option of the same name wins after that
    command (``cid format -v 1``), its value missing too (``cid format CID -v`` is ``-v``'s missing
    value, as Kubo says, never the program's ``-v``); a command's own option before the command stays there and is
    refused, as Kubo refuses it (``ipfs --quiet add``, ``ipfs pin -r ls``). After ``--`` nothing
    moves; a command line that reaches no command is returned as it is (``bare_group`` or
    argparse answers it). The same walk reads the program's ``--timeout`` values (``Placed``)."""
    front: list[str] = []
    held: list[str] = []
    out: list[str] = []
    timeouts: list[str] = []
    current = parser
    leaf_at: int | None = None
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            out.extend(words[i:])
            break
        own = _one_value_options(current) if leaf_at is not None else {}
        step = _option_length(words, i, own) or (1 if word in own else 0)
        if step:  # the command's own option (and its value; a value missing at the end is argparse's to say)
            out.extend(words[i:i + step])
            i += step
            continue
        top = _option_length(words, i, TOP_GLOBALS)
        leaf = _option_length(words, i, LEAF_GLOBALS) if leaf_at is None else 0
        if top or leaf:  # before the command: in place; elsewhere: moved
            name, eq, value = word.partition("=")
            if top and name == "--timeout":
                timeouts.append(value if eq else words[i + 1])
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
        return Placed(list(words), timeouts)
    return Placed(front + out[:leaf_at] + held + out[leaf_at:], timeouts)


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


def unknown_option(words: Sequence[str], extras: Sequence[str]) -> str | None:
    """Kubo 0.43.1's words for the first word of ``extras`` (what the parser did not read, in
    command-line order) that is an option given before any ``--`` in ``words``: ``unknown option
    "NAME"``, NAME the word without its ``--`` (or ``-``: a short option or a cluster, ``-zy`` is
    ``"zy"``) and without an ``=VALUE``, quoted as Go's ``%q`` (go-ipfs-cmds 0.16.1
    ``cli/parse.go``; it looks at options before counting arguments, so ``version x --nope`` is
    the option's refusal too). None when there is none: every extra is an argument (``version
    x``, ``version -- --nope``) or ``-`` (stdin)."""
    from ._kubo import unknown_option_words

    before = set(words[:words.index("--")] if "--" in words else words)
    for word in extras:
        if word.startswith("-") and word not in ("-", "--") and word in before:
            return unknown_option_words(word)
    return None


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
        elif name in _version_options(current):
            return None  # ``autocodec --version``: argparse prints the version
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
