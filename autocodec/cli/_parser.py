"""The command line's parser: argparse's, reading options as Kubo 0.43.1's command line does.

Invariants: a command line not understood is one line on stderr and exit ``USAGE_ERROR`` (1, as
Kubo); an on/off option's ``=VALUE`` is read here and nowhere else (``Parser._parse_optional``),
only where argparse reads options (never after ``--``); an option that holds one value is given
once; help and version text that cannot be written is an ``OSError``, never lost with status 0.
"""

from __future__ import annotations

import argparse
import errno
import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

if TYPE_CHECKING:  # pragma: no cover
    from _typeshed import SupportsWrite


USAGE_ERROR = 1
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """argparse's, never taking a long option by a prefix of its name (``--offl`` for
        ``--offline``): Kubo 0.43.1's command line refuses it as an unknown option."""
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

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
        argument that Kubo would read from stdin is ``ArgumentsOnStdin`` first (``_parse``); an
        option's missing value is said in Kubo's words (``_missing_value``)."""
        from ._text import clean

        command = self.prog.partition(" ")[2]
        if message.startswith("the following arguments are required") and not self.stdin_read:
            from ._stdin_args import STDIN_ARGUMENTS

            if command in STDIN_ARGUMENTS:
                self.stdin_read = True
                raise ArgumentsOnStdin(command)
        message = _missing_argument(_missing_value(message))
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
        --offline=0`` adds that file, as Kubo does). A cluster of short options before an ``=``
        (``-Qs=x``) is Kubo's ``unknown option "Qs"`` (``_SHORT_CLUSTER``)."""
        name, eq, value = arg_string.partition("=")
        if eq and self._subparsers is None and _SHORT_CLUSTER.fullmatch(name):
            self.error(f'unknown option "{name[1:]}" (a value after = is one option\'s: write '
                       f'{self._split_cluster(name[1:], value)})')
        forms = self._on_off_forms(name) if eq and name.startswith("-") else None
        if forms is not None:
            truth = _GO_BOOLS.get(value.lower())
            if truth is None:
                from .._gotext import go_quote  # Kubo's words (Go's ParseBool of the value lowercased)

                self.error(f"argument {name}: strconv.ParseBool: parsing {go_quote(value.lower())}: invalid syntax: "
                           "give true or false")
            arg_string = forms[0] if truth else forms[1]
        return super()._parse_optional(arg_string)

    def _split_cluster(self, letters: str, value: str) -> str:
        """The cluster ``-LETTERS=VALUE`` written as separate options: each letter its own option
        up to the first that takes a value, which takes the rest of the word (``-Qs=x``:
        ``-Q -s=x``; ``-oa=b``: ``-o a=b``, as ``-o`` takes a value)."""
        flags: list[str] = []
        for at, letter in enumerate(letters):
            action = self._option_string_actions.get("-" + letter)
            if action is not None and action.nargs != 0 and letters[at + 1:]:  # the rest of the word is its value
                return " ".join([*flags, "-" + letter, _shown(f"{letters[at + 1:]}={value}")])
            flags.append("-" + letter)
        return f"{' '.join(flags)}={_shown(value)}"

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
        options of one ``dest``): the last one silently winning would hide a conflict. An
        option's own value ``--`` (``--chunker=--``, as Kubo takes ``--chunker --``) is that
        value: argparse's ``--`` removal is for the end of options, never inside one word."""
        if action.option_strings and isinstance(action, ONCE_KINDS):
            if action.dest in self._given:
                name = _option_name(action)
                self.error(f'multiple values for option "{_KUBO_NAMES.get(name, name).lstrip("-")}": give it once')
            self._given.add(action.dest)
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            value = self._get_value(action, "--")  # ``--chunker=--`` (``dash_values``): argparse would
            self._check_value(action, value)  # drop the ``--`` as its end of options and give []
            return value
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


_SHORT_CLUSTER = re.compile(r"-[A-Za-z]{2,}")
"""A cluster of short options (``-Qs``): before an ``=`` Kubo 0.43.1 reads it as one option's name
(go-ipfs-cmds 0.16.1 ``parseShortOpts``: ``-Qs=x`` is ``unknown option "Qs"``), so it is refused
(``Parser._parse_optional``) rather than read as ``-Q -s =x``. A value joined by ``dash_values``
(``-Qs-x=y``) has a dash in its name part and is not one."""


_KUBO_NAMES = {"--enc": "--encoding"}
"""Kubo 0.43.1's names of our options where they differ, for its ``multiple values`` words."""


def _shown(value: str) -> str:
    """``value`` cut to 40 characters for a message."""
    return value if len(value) <= 40 else value[:40] + "..."


_GO_BOOLS = {"": True, "1": True, "t": True, "true": True, "0": False, "f": False, "false": False}
"""An on/off option's values as Kubo 0.43.1 takes them, lowercased (``Parser._parse_optional``)."""


ONCE_KINDS = (argparse._StoreAction, argparse._StoreConstAction, argparse._StoreTrueAction,
              argparse._StoreFalseAction, argparse.BooleanOptionalAction)
"""The kinds of option that hold one value or one on/off state, so are given once
(``Parser._get_values``); appended and counted ones (``--gateway``, ``-v``) repeat."""


def _missing_value(message: str) -> str:
    """argparse's ``argument -s/--chunker: expected one argument`` (only an option that ends the
    command line has no value: ``dash_values`` gives it any other next word) in Kubo 0.43.1's
    words, ``missing argument for option "chunker"``, and what to do; any other message as it is."""
    names, colon, rest = message.removeprefix("argument ").partition(": ")
    if not (colon and rest == "expected one argument" and names.startswith("-")):
        return message
    spellings = names.split("/")
    name = next((n for n in spellings if n.startswith("--") and not n.startswith("--no-")), spellings[0])
    from ._kubo import missing_value_words

    return missing_value_words(name)


def _missing_argument(message: str) -> str:
    """argparse's ``the following arguments are required: CID, NAME`` in Kubo 0.43.1's words for
    the first of them, ``argument "CID" is required`` (Kubo names its own argument, ``"cid"``); a
    required option (``--key``, which Kubo has none of) and any other message as it is."""
    head, colon, names = message.partition(": ")
    first = names.split(", ")[0]
    if head != "the following arguments are required" or not colon or first.startswith("-"):
        return message
    from .._gotext import go_quote

    return f"argument {go_quote(first)} is required"


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


_CHECKER = argparse.HelpFormatter("autocodec", width=80)
"""The formatter ``Parser.add_argument`` checks metavars with (its ``_format_args`` is stateless)."""
