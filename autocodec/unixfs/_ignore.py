"""Kubo's ``ipfs add --ignore`` / ``--ignore-rules-path``: gitignore-style rules, read as Kubo
v0.43.1 reads them (boxo's ``files.Filter`` over the go-gitignore library, checked against Kubo).

Invariants (each one observed on Kubo itself):
- A rule is matched against an entry's *base name* only, never its path below the added
  folder: ``*.log`` and ``**/x.log`` match at any depth, ``d/*.txt``, ``/t/a.txt`` and any rule
  ending in ``/`` match nothing, ``/a.txt`` matches every ``a.txt``.
- The rules apply to the entries inside an added folder, never to the paths named on the
  command line.
- Rules are read in order (a rules file's lines first, then each ``--ignore``); the last rule
  that matches decides, but a ``!`` rule only re-includes a name an earlier rule excluded.
- Each line becomes a regular expression as go-gitignore builds it: ``#`` starts a comment,
  spaces around are trimmed, ``.`` is literal, ``*`` is any run of non-``/`` characters,
  ``?`` is a literal ``?``, other regular-expression characters (``[ab]``, ``+``) keep their
  meaning in Go's syntax (``_goregexp``: ``[[:alpha:]]``, ``\\z``, ``$``, ``\\p{Greek}``...; ``(?i)``
  folds as Go's does, by Unicode's simple case folding), and a line
  that is no valid expression in Go (``(``, ``\\u0061``, bytes that are not UTF-8) is dropped.
- A rule matches a name in time linear in the name (``_linear_re``), as Go's regexp does: a
  rule such as ``*.*.*.*.*.*.*.tmp`` never backtracks over a long name.
- A name's bytes that are not UTF-8 are matched as U+FFFD each, as Go's regexp reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ._goregexp import NotGoRegexp, go_to_python
from ._linear_re import LinearPattern

_STAR = "\x00STAR\x00"  # stands for a literal ``.*`` while single stars are rewritten
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as surrogateescape decodes it


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: LinearPattern
    negate: bool


def _compile_line(line: str) -> _Rule | None:
    """One rule line as go-gitignore's ``getPatternFromLine`` turns it into an expression."""
    line = line.rstrip("\r")
    if line.startswith("#"):
        return None
    line = line.strip(" ")
    if not line:
        return None
    negate = line[0] == "!"
    if negate:
        line = line[1:]
    if line[:1] in ("#", "!"):
        line = line[1:]
    if re.search(r"([^/+])/.*\*\.", line) and not line.startswith("/"):
        line = "/" + line
    line = line.replace(".", r"\.")
    if line.startswith("/**/"):
        line = line[1:]
    line = line.replace("/**/", "(/|/.+/)")
    line = line.replace("**/", f"(|.{_STAR}/)")
    line = line.replace("/**", f"(|/.{_STAR})")
    line = line.replace("\\*", "\\" + _STAR)
    line = line.replace("*", "([^/]*)")
    line = line.replace("?", r"\?")
    line = line.replace(_STAR, "*")
    try:
        line = go_to_python(line)  # the rule's own text is Go regexp syntax (``_goregexp``)
    except NotGoRegexp:
        return None
    expr = line + ("(|.*)" if line.endswith("/") else "(|/.*)") + r"\Z"  # Go's $ is the text's end
    expr = "^(|/)" + expr[1:] if expr.startswith("/") else "^(|.*/)" + expr
    if _NOT_UTF8.search(expr):  # Go's regexp refuses an expression that is not UTF-8: the rule is dropped
        return None
    try:
        re.compile(expr, re.ASCII)  # Python's parser refuses what it cannot read (the rule is dropped)
        return _Rule(LinearPattern(expr, re.ASCII, unicode_fold=True), negate)  # linear time, Go's (?i), as Go's regexp
    except re.error:
        return None


class IgnoreRules:
    """Compiled rules; ``ignores(name)`` tells whether an entry of that base name is left out."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._rules = tuple(rule for rule in map(_compile_line, lines) if rule is not None)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def ignores(self, name: str) -> bool:
        name = _NOT_UTF8.sub("\ufffd", name)  # Go's regexp reads each byte that is not UTF-8 as U+FFFD
        matched = False
        for rule in self._rules:
            if rule.pattern.match(name):
                if not rule.negate:
                    matched = True
                elif matched:
                    matched = False
        return matched


def read_rules_file(path: str) -> list[str]:
    """The lines of a rules file (``--ignore-rules-path``), split on newlines as Kubo splits them."""
    from ..errors import InvalidInput

    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InvalidInput(f"cannot read the ignore rules file {path}: {exc.strerror or exc}",
                           hint="name a readable file of gitignore-style rules") from None
    return data.decode("utf-8", "surrogateescape").split("\n")
