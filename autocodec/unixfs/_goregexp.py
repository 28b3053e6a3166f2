"""Go regular-expression text (``regexp/syntax``, Perl flags) rewritten for Python's ``re``, so
``--ignore`` rules match as go-gitignore's compiled rules do in Kubo 0.43.1.

Invariants (each construct checked against Kubo's ``add --ignore``):
- ``go_to_python(text)`` returns an expression to compile with ``re.ASCII`` that matches what
  Go's would, or raises ``NotGoRegexp`` where Go's parser refuses the text (the rule is then
  dropped, as go-gitignore drops it): an escape Go does not know (``\\u``, ``\\N{..}``, ``\\Z``,
  ``\\e``, ``\\C``, a backreference ``\\1``, an escaped non-ASCII character), a repeated repetition
  (``a++``, Python's possessive), a count over 1000, an unknown ``[:name:]`` class.
- Rewritten: ``$`` is the end of the text (Python's ``\\Z``; Python's ``$`` also matches before
  a last newline), ``\\z`` too; ``\\s`` is Go's ``[\\t\\n\\f\\r ]`` (no ``\\v``); ``\\d``, ``\\w``,
  ``\\b`` are ASCII (``re.ASCII``); octal ``\\123`` and ``\\x{10FFFF}`` are characters;
  ``\\Q...\\E`` is literal text; ``[[:alpha:]]`` and the other POSIX classes
  (negated ``[:^alpha:]`` too) are Go's ASCII sets.
- Unicode classes (``\\pL``, ``\\p{Greek}``, ``\\P{Han}``, ``\\p{^Lu}``, in brackets too) are
  spelled as Python classes of the code points of Go's tables (``_gounicode``); a name Go does
  not know is refused. ``(?i)`` is passed on: Go folds by Unicode's simple case folding, which
  ``_linear_re`` does with ``unicode_fold`` (Python's ``re.ASCII`` would fold ASCII only).
"""

from __future__ import annotations

import re

# Go's regexp/syntax perl_groups.go: the POSIX classes and \d \s \w, all ASCII
_POSIX = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
          "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
          "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_",
          "xdigit": "0-9A-Fa-f"}
_PERL = {"d": "0-9", "s": "\\t\\n\\f\\r ", "w": "0-9A-Za-z_"}
_CONTROL = {"a": "\a", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\v"}
_REPEAT = re.compile(r"\{(\d+)(?:(,)(\d*))?\}")


class NotGoRegexp(ValueError):
    """Text Go's regexp parser refuses."""


def go_to_python(text: str) -> str:
    """``text`` as Go reads it, spelled for Python's ``re`` with ``re.ASCII`` (module invariants)."""
    out: list[str] = []
    i, after_repeat = 0, False
    while i < len(text):
        c = text[i]
        repeat = False
        if c == "\\":
            piece, i = _escape(text, i)
        elif c == "[":
            piece, i = _bracket(text, i)
        elif c == "$":
            piece, i = "\\Z", i + 1
        elif c in "*+?" or (c == "{" and _REPEAT.match(text, i)):
            m = _REPEAT.match(text, i) if c == "{" else None
            if c == "?" and after_repeat:  # Go's lazy repetition, as Python's
                piece, i = c, i + 1
            elif after_repeat:
                raise NotGoRegexp(f"invalid nested repetition operator in {text!r}")
            elif m is not None:
                if any(int(n) > 1000 for n in (m[1], m[3]) if n):
                    raise NotGoRegexp(f"invalid repeat count in {text!r}")
                piece, i = m[0], m.end()
            else:
                piece, i = c, i + 1
            repeat = True
        elif c == "{":
            piece, i = "\\{", i + 1
        else:
            piece, i = c, i + 1
        out.append(piece)
        after_repeat = repeat
    return "".join(out)


def _escape(text: str, i: int) -> tuple[str, int]:
    """The escape at ``text[i]`` (a backslash), outside a bracket; and where the text goes on."""
    if i + 1 >= len(text):
        raise NotGoRegexp("trailing backslash")
    c = text[i + 1]
    if c == "Q":
        end = text.find("\\E", i + 2)
        literal = text[i + 2:] if end < 0 else text[i + 2:end]
        return re.escape(literal), len(text) if end < 0 else end + 2
    if c in "AbBdDwW":
        return "\\" + c, i + 2
    if c in "pP":
        contents, negated, j = _unicode_class(text, i)
        return f"[{'^' if negated else ''}{contents}]", j
    if c == "z":
        return "\\Z", i + 2
    if c == "s":
        return f"[{_PERL['s']}]", i + 2
    if c == "S":
        return f"[^{_PERL['s']}]", i + 2
    char, j = _char_escape(text, i)
    return re.escape(char), j


def _char_escape(text: str, i: int) -> tuple[str, int]:
    """One character spelled by an escape Go knows (control, octal, hex, punctuation)."""
    c = text[i + 1]
    if c in _CONTROL:
        return _CONTROL[c], i + 2
    if c == "0" or ("1" <= c <= "7" and i + 2 < len(text) and "0" <= text[i + 2] <= "7"):
        m = re.compile("[0-7]{1,3}").match(text, i + 1)
        assert m is not None
        return chr(int(m[0], 8)), m.end()
    if c == "x":
        m = re.compile(r"\{([0-9A-Fa-f]+)\}|[0-9A-Fa-f]{2}").match(text, i + 2)
        if m is None or int(m[1] or m[0], 16) > 0x10FFFF:
            raise NotGoRegexp(f"invalid escape sequence in {text!r}")
        return chr(int(m[1] or m[0], 16)), m.end()
    if c in "pP":
        raise NotGoRegexp(f"invalid escape sequence \\{c} (a Unicode class cannot end a range)")
    if c.isascii() and not c.isalnum():
        return c, i + 2
    raise NotGoRegexp(f"invalid escape sequence \\{c}")


def _bracket(text: str, i: int) -> tuple[str, int]:
    """The bracket expression at ``text[i]`` (``[``), as a Python class (or, holding a negated
    class such as ``[:^alpha:]`` or ``\\S``, an alternation); and where the text goes on."""
    j = i + 1
    negated = text.startswith("^", j)
    j += negated
    sets: list[str] = []  # Python class contents included
    unsets: list[str] = []  # Python class contents whose complement is included
    first = True
    while True:
        if j >= len(text):
            raise NotGoRegexp(f"missing closing ] in {text!r}")
        c = text[j]
        if c == "]" and not first:
            j += 1
            break
        first = False
        if text.startswith("[:", j):
            end = text.find(":]", j + 2)
            name = text[j + 2:end] if end >= 0 else ""
            group = _POSIX.get(name.removeprefix("^"))
            if group is None:
                raise NotGoRegexp(f"invalid character class range in {text!r}")
            (unsets if name.startswith("^") else sets).append(group)
            j = end + 2
            continue
        if c == "\\" and j + 1 < len(text) and text[j + 1] in "pP":
            contents, minus, j = _unicode_class(text, j)
            (unsets if minus else sets).append(contents)
            continue
        if c == "\\" and j + 1 < len(text) and text[j + 1] in "dDsSwW":
            letter = text[j + 1]
            (unsets if letter.isupper() else sets).append(_PERL[letter.lower()])
            j += 2
            continue
        low, j = _class_char(text, j)
        if text.startswith("-", j) and j + 1 < len(text) and text[j + 1] != "]":
            high, j = _class_char(text, j + 1)
            if ord(high) < ord(low):
                raise NotGoRegexp(f"invalid character class range in {text!r}")
            sets.append(f"{_in_class(low)}-{_in_class(high)}")
        else:
            sets.append(_in_class(low))
    if not unsets:
        return f"[{'^' if negated else ''}{''.join(sets)}]", j
    alternatives = ([f"[{''.join(sets)}]"] if sets else []) + [f"[^{group}]" for group in unsets]
    either = "|".join(alternatives)
    return (f"(?:(?!{either})(?s:.))" if negated else f"(?:{either})"), j


def _unicode_class(text: str, i: int) -> tuple[str, bool, int]:
    """The Unicode class at ``text[i]`` (``\\p`` or ``\\P``, then one letter or ``{name}``, a
    leading ``^`` in the name negating it) as Python class contents, whether it is negated, and
    where the text goes on; ``NotGoRegexp`` for a name Go does not know."""
    from .._gounicode import class_ranges

    negated = text[i + 1] == "P"
    if text.startswith("{", i + 2):
        end = text.find("}", i + 3)
        if end < 0:
            raise NotGoRegexp(f"invalid character class range in {text!r}")
        name, j = text[i + 3:end], end + 1
    else:
        name, j = text[i + 2:i + 3], i + 3
    if name.startswith("^"):
        negated, name = not negated, name[1:]
    ranges = class_ranges(name)
    if ranges is None:
        raise NotGoRegexp(f"invalid character class range \\{text[i + 1]}{{{name}}}")
    contents = "".join(_in_class(chr(low)) if low == high else f"{_in_class(chr(low))}-{_in_class(chr(high))}"
                       for low, high in ranges)
    return contents, negated, j


def _class_char(text: str, j: int) -> tuple[str, int]:
    if text[j] == "\\":
        if j + 1 >= len(text):
            raise NotGoRegexp("trailing backslash")
        return _char_escape(text, j)
    return text[j], j + 1


def _in_class(char: str) -> str:
    """A character spelled for inside a Python class (no set-operation warnings: ``[``, ``&``...)."""
    if char in "\\]^-[&~|":
        return "\\" + char
    return char if char.isprintable() else f"\\U{ord(char):08x}"
