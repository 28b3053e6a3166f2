"""Kubo 0.43.1's walk over a command line's options, for which refusal comes first.

go-ipfs-cmds 0.16.1 (``cli/parse.go``) reads the line once, left to right: an unknown option, an
option whose value is missing at the end, a malformed value and an option given twice are
refused at the word where they stand, before help is shown and before the arguments are
counted (measured: ``add --mode=x --nope`` is the mode's refusal, ``add --nope --mode=x`` the
unknown option's, ``add --help --nope`` and ``add -h --mode=x`` refusals, exit 1). argparse
reads values in order too, but keeps unknown options to the end and shows help at once, so
``first_refusal`` walks the line as Kubo does first.

Invariants: nothing is read after ``--`` (every word there is an argument); the words are those
``dash_values`` gave (a value that starts with a dash is joined to its option); nothing is
changed or printed here. A short option's word is read as go-ipfs-cmds reads it: the whole name
first, then letter by letter, a letter that takes a value taking the rest of the word (or the
next word), so ``-1`` is the unknown option ``"1"`` and ``-Qz`` the unknown ``"Qz"`` (the word
named whole); the program's global letters (``-v``) join no cluster (``_argv._cluster_takes_value``).
"""

from __future__ import annotations

import argparse
from typing import NamedTuple

from ._argv import LEAF_GLOBALS, TOP_GLOBALS, _subcommands
from ._parser import _GO_BOOLS, _SHORT_CLUSTER, ONCE_KINDS

_Known = dict[str, tuple[bool, "argparse.Action | None"]]
"""An option string: whether it takes one value, and its action (None: no value to check here)."""


class Refusal(NamedTuple):
    """The first refusal on the line: ``parser`` is the deepest command (or group) the line names,
    whose usage error says it; ``message`` is Kubo's words for an unknown option or a missing
    value, or None when argparse's own refusal of a word comes first (a malformed value, an
    option given twice), which argparse then says as it reads the line."""

    parser: argparse.ArgumentParser
    message: str | None


def first_refusal(parser: argparse.ArgumentParser, words: list[str]) -> Refusal | None:
    """The refusal Kubo 0.43.1 gives first for ``words`` (the line after ``dash_values``), or None
    when its options are all known and have their values. A line that names an unknown command
    is None too: argparse refuses the command."""
    current, known, own = parser, _options(parser, parser), _own(parser)
    first: str | None = None
    found = False
    given: set[str] = set()
    descending = True  # until a word names no command of its group: Kubo reads it as an argument
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            break
        if word == "-" or not word.startswith("-"):
            subcommands = _subcommands(current) if descending else {}
            if subcommands:
                chosen = subcommands.get(word)
                if chosen is None and current is parser and word == "help" and "help" not in subcommands:
                    i += 1  # ``help add --nope`` is ``add --nope --help``: the walk goes on to the command
                    continue
                if chosen is None and current is parser:  # an unknown command: argparse's words (Kubo's
                    return Refusal(current, first) if found else None  # ``Unknown Command``) unless one came before
                if chosen is None:  # an unknown action (``dag nope --x``): Kubo refuses the options
                    descending = False  # after it by the group's own, and argparse the action if none is
                else:
                    current, known, own = chosen, _options(parser, chosen), _own(chosen)
            i += 1
            continue
        step, refusal = _read_option(current, words, i, known, own, given)
        if not found and refusal is not _FINE:
            first, found = refusal, True
        i += step
    return Refusal(current, first) if found else None


def argument_count(parser: argparse.ArgumentParser, words: list[str]) -> int:
    """How many arguments Kubo 0.43.1 counts on ``words`` for ``expected N argument(s), got M``:
    the words that name no command and are no option or option's value, and every word after the
    first ``--`` (a second ``--`` too), which itself is none (measured: ``version a -- b`` got 2,
    ``get -- CID -- x`` got 3)."""
    current, known, own = parser, _options(parser, parser), _own(parser)
    count = i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            return count + len(words) - i - 1
        if word == "-" or not word.startswith("-"):
            chosen = _subcommands(current).get(word) if count == 0 else None
            if chosen is None:
                count += 1
            else:
                current, known, own = chosen, _options(parser, chosen), _own(chosen)
            i += 1
            continue
        i += _read_option(current, words, i, known, own, set())[0]
    return count


_FINE = "fine"
"""``_read_option``'s word for an option it read without a refusal."""


def _options(top: argparse.ArgumentParser, current: argparse.ArgumentParser) -> _Known:
    """The options read among ``current``'s words: the program's global options (taken anywhere,
    as Kubo's; ``--timeout``'s value Kubo checks after the walk, so it is not checked here) and
    ``current``'s own, which win."""
    table: _Known = {name: (takes, None) for name, takes in {**TOP_GLOBALS, **LEAF_GLOBALS}.items()}
    table.update({opt: (action.nargs is None, None if opt == "--timeout" else action)
                  for action in top._actions for opt in action.option_strings if opt in TOP_GLOBALS})
    table.update({opt: (action.nargs is None, action) for action in current._actions
                  for opt in action.option_strings})
    return table


def _own(current: argparse.ArgumentParser) -> _Known:
    """``current``'s own options, the only ones whose letters join a cluster."""
    return {opt: (action.nargs is None, action) for action in current._actions for opt in action.option_strings}


def _read_option(current: argparse.ArgumentParser, words: list[str], i: int, known: _Known, own: _Known,
                 given: set[str]) -> tuple[int, str | None]:
    """How many words the option at ``words[i]`` spans, and its refusal: ``_FINE``, Kubo's words
    (an unknown option, a missing value) or None (argparse refuses it: a bad value, twice given)."""
    word = words[i]
    name, eq, value = word.partition("=")
    if word in known:
        name, eq = word, ""
    elif name not in known:
        if word.startswith("--") or eq:
            if (eq and _SHORT_CLUSTER.fullmatch(name) and not _subcommands(current)
                    and all("-" + letter in own for letter in name[1:])):
                return 1, None  # ``-Qs=x``: the parser's refusal, with how to write it
            from ._kubo import unknown_option_words  # a refusal's words: imported only then (~5 ms)

            return 1, unknown_option_words(name)
        if set(word[1:]) == {"v"} and "-v" in known and "-v" not in own:
            return 1, _FINE  # ``-vv``: the program's verbosity
        return _read_cluster(current, words, i, own, given)
    takes, action = known[name]
    if not takes:
        if eq and not (f"{name}=true" in known or isinstance(action, argparse.BooleanOptionalAction)):
            return 1, None  # ``--no-pin=true``, ``--help=x``: the parser's refusal
        if eq and value.lower() not in _GO_BOOLS:
            return 1, None  # ``--pin=yes``
        return 1, _once(action, given)
    if not eq:
        if i + 1 == len(words):
            from ._kubo import missing_value_words

            return 1, missing_value_words(name)
        value = words[i + 1]
    return (1 if eq else 2), _checked(current, action, value, given)


def _read_cluster(current: argparse.ArgumentParser, words: list[str], i: int, own: _Known,
                  given: set[str]) -> tuple[int, str | None]:
    """A short option's word that is no option's whole name (``-Qz``, ``-sQ``, ``-1``), letter by
    letter as go-ipfs-cmds reads it; an unknown letter names the whole word."""
    word = words[i]
    refusal: str | None = _FINE
    for at, letter in enumerate(word[1:], start=2):
        if "-" + letter not in own:
            from ._kubo import unknown_option_words

            return 1, unknown_option_words(word)
        takes, action = own["-" + letter]
        if not takes:
            flag = _once(action, given)
            refusal = flag if refusal is _FINE else refusal
            continue
        rest = word[at:]
        if not rest and i + 1 == len(words):
            from ._kubo import missing_value_words

            return 1, refusal if refusal is not _FINE else missing_value_words(word)
        checked = _checked(current, action, rest or words[i + 1], given)
        return (1 if rest else 2), refusal if refusal is not _FINE else checked
    return 1, refusal


def _once(action: argparse.Action | None, given: set[str]) -> str | None:
    """``_FINE``, or None for an option of one value met a second time (the parser refuses it)."""
    if action is None or not isinstance(action, ONCE_KINDS):
        return _FINE
    if action.dest in given:
        return None
    given.add(action.dest)
    return _FINE


def _checked(current: argparse.ArgumentParser, action: argparse.Action | None, value: str,
             given: set[str]) -> str | None:
    """``_FINE`` for a value its option takes, None for one the parser refuses."""
    if _once(action, given) is None:
        return None
    if action is None:
        return _FINE
    try:
        current._check_value(action, current._get_value(action, value))
    except Exception:  # noqa: BLE001 - any refusal is the parser's to word, as it reads the line
        return None
    return _FINE
