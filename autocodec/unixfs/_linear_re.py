"""A Python ``re`` expression matched in time linear in the text, as Go's RE2-style regexp does.

Python's ``re`` backtracks: an ``--ignore`` rule such as ``*.*.*.*.*.*.*.tmp`` (each ``*`` is
``[^/]*``) took 35 s on a name of 80 dots, ``(a+)+b`` doubles its time with each ``a``; Go's
regexp, which Kubo runs, is linear. ``LinearPattern`` compiles the expression Python parses
(``re._parser``) into a Thompson NFA and runs it as a lazily built DFA.

Invariants:
- ``LinearPattern(expr, flags).match(text)`` is ``re.compile(expr, flags).match(text) is not None``
  for the constructs ``_goregexp`` writes: literals, classes (``re.ASCII`` categories), ``.``,
  alternation, groups with inline flags, greedy and lazy repetition, ``^``, ``\\A``, ``$``, ``\\Z``,
  ``\\b``, ``\\B``, and a negative look-ahead of one character before a one-character item.
  Anything else (backreferences, other look-arounds, possessive repetition) is ``re.error``.
- With ``unicode_fold``, ``re.IGNORECASE`` folds as Go's ``(?i)`` does rather than as ``re.ASCII``:
  a literal matches its whole simple case-folding orbit (``_gounicode.orbit``: ``k`` also matches
  ``K`` and the Kelvin sign), a class holds a character when it holds any of its orbit, and a
  negated class or category (``[^..]``, ``\\W``) is the complement of that folded set.
- Work per text character is bounded by the NFA's size (at most ``MAX_STATES``, else ``re.error``,
  as Go refuses an expression past its size limit); the DFA cache holds at most ``MAX_CACHE``
  entries and is emptied when full, so memory stays bounded whatever the texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

MAX_STATES = 20_000
MAX_CACHE = 20_000
_WORD = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_CATEGORY: dict[Any, Callable[[str], bool]] = {
    C.CATEGORY_DIGIT: lambda ch: "0" <= ch <= "9",
    C.CATEGORY_NOT_DIGIT: lambda ch: not "0" <= ch <= "9",
    C.CATEGORY_SPACE: lambda ch: ch in " \t\n\r\f\v",
    C.CATEGORY_NOT_SPACE: lambda ch: ch not in " \t\n\r\f\v",
    C.CATEGORY_WORD: lambda ch: ch in _WORD,
    C.CATEGORY_NOT_WORD: lambda ch: ch not in _WORD,
}
Pred = Callable[[str], bool]
# NFA instructions: ("char", pred, next), ("split", a, b), ("at", kind, next), ("match",)
_Instr = tuple[Any, ...]
# at start, at end, previous is a word character, next is one, previous is a newline, next is one,
# next is a newline that ends the text
_Context = tuple[bool, bool, bool, bool, bool, bool, bool]
_NOWHERE = (False, False, False, False, False)  # the context's fields a simple expression never asks
_ASSERTIONS = frozenset((C.AT_BEGINNING, C.AT_BEGINNING_STRING, C.AT_END, C.AT_END_STRING, C.AT_BOUNDARY,
                         C.AT_NON_BOUNDARY))


class LinearPattern:
    """A compiled expression whose ``match`` is linear in the text (module invariants)."""

    def __init__(self, expr: str, flags: int = 0, *, unicode_fold: bool = False) -> None:
        parsed = _parser.parse(expr, flags)
        self._orbit: Callable[[str], str] | None = None
        if unicode_fold:
            from .._gounicode import orbit

            self._orbit = orbit
        self._prog: list[_Instr] = []
        self._prog.append(("match",))
        self._start = self._emit(list(parsed), parsed.state.flags, 0)
        self._closures: dict[tuple[frozenset[int], _Context], tuple[tuple[int, ...], bool]] = {}
        self._steps: dict[tuple[tuple[int, ...], str], frozenset[int]] = {}
        # only text-start and text-end assertions: inside the text every position is alike
        self._simple = all(instr[1][0] in (C.AT_BEGINNING_STRING, C.AT_END_STRING) or
                           (instr[1][0] is C.AT_BEGINNING and not instr[1][1])
                           for instr in self._prog if instr[0] == "at")
        self._fast: dict[tuple[tuple[int, ...], str], tuple[tuple[int, ...], bool, frozenset[int]]] = {}

    # -- compiling (continuation style: each item is emitted in front of the state ``nxt``) --

    def _add(self, instr: _Instr) -> int:
        if len(self._prog) >= MAX_STATES:
            raise re.error("expression too large")
        self._prog.append(instr)
        return len(self._prog) - 1

    def _emit(self, items: list[Any], flags: int, nxt: int) -> int:
        index = len(items) - 1
        while index >= 0:
            op, av = items[index]
            if index >= 1 and items[index - 1][0] is C.ASSERT_NOT:  # (?!x) before one character
                ahead = items[index - 1][1]
                after, barred = self._pred(op, av, flags), self._pred_seq(list(ahead[1]), flags)
                if ahead[0] != 1 or after is None or barred is None:
                    raise re.error("unsupported look-ahead")
                nxt = self._add(("char", _both(after, barred), nxt))
                index -= 2
                continue
            nxt = self._item(op, av, flags, nxt)
            index -= 1
        return nxt

    def _item(self, op: Any, av: Any, flags: int, nxt: int) -> int:
        pred = self._pred(op, av, flags)
        if pred is not None:
            return self._add(("char", pred, nxt))
        if op is C.SUBPATTERN:
            return self._emit(list(av[3]), (flags | av[1]) & ~av[2], nxt)
        if op is C.BRANCH:
            starts = [self._emit(list(alt), flags, nxt) for alt in av[1]]
            head = starts[-1]
            for start in reversed(starts[:-1]):
                head = self._add(("split", start, head))
            return head
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            low, high, body = av
            greedy = op is C.MAX_REPEAT
            if high == C.MAXREPEAT:
                loop = self._add(("split", 0, 0))  # patched below: (body, nxt) or (nxt, body)
                first = self._emit(list(body), flags, loop)
                self._prog[loop] = ("split", first, nxt) if greedy else ("split", nxt, first)
                nxt = loop
            else:
                for _ in range(high - low):
                    first = self._emit(list(body), flags, nxt)
                    nxt = self._add(("split", first, nxt) if greedy else ("split", nxt, first))
            for _ in range(low):
                nxt = self._emit(list(body), flags, nxt)
            return nxt
        if op is C.AT and av in _ASSERTIONS:
            return self._add(("at", (av, bool(flags & re.MULTILINE)), nxt))
        raise re.error(f"unsupported in a linear-time pattern: {op}")

    def _pred(self, op: Any, av: Any, flags: int) -> Pred | None:
        """The character test of a one-character item, or None for any other item."""
        fold = bool(flags & re.IGNORECASE)
        orbit = self._orbit if fold else None
        if op is C.LITERAL:
            return _literal(chr(av), fold) if orbit is None else _in_orbit(orbit(chr(av)))
        if op is C.NOT_LITERAL:
            return _not_literal(chr(av), fold) if orbit is None else _negated(_in_orbit(orbit(chr(av))))
        if op is C.ANY:
            return (lambda ch: True) if flags & re.DOTALL else (lambda ch: ch != "\n")
        if op is C.IN:
            if self._orbit is None:
                return _in(av, fold)
            return _in_folded(av, orbit if orbit is not None else _itself)
        if op is C.SUBPATTERN and len(av[3]) == 1:
            inner_op, inner_av = list(av[3])[0]
            return self._pred(inner_op, inner_av, (flags | av[1]) & ~av[2])
        if op is C.BRANCH:
            preds = [self._pred_seq(list(alt), flags) for alt in av[1]]
            if any(p is None for p in preds):
                return None
            tests = [p for p in preds if p is not None]
            return lambda ch: any(test(ch) for test in tests)
        return None

    def _pred_seq(self, items: list[Any], flags: int) -> Pred | None:
        return self._pred(items[0][0], items[0][1], flags) if len(items) == 1 else None

    # -- matching --

    def match(self, text: str) -> bool:
        """Whether the expression matches at the start of ``text`` (as ``re.match``)."""
        if self._simple:
            return self._match_simple(text)
        state: frozenset[int] = frozenset((self._start,))
        size = len(text)
        prev = ""
        for pos in range(size + 1):
            ch = text[pos] if pos < size else ""
            context = (pos == 0, pos == size, prev in _WORD if prev else False, ch in _WORD if ch else False,
                       prev == "\n", ch == "\n", ch == "\n" and pos == size - 1)
            closed, matched = self._closure(state, context)
            if matched:
                return True
            if pos == size or not closed:
                return False
            key = (closed, ch)
            following = self._steps.get(key)
            if following is None:
                following = frozenset(self._prog[pc][2] for pc in closed if self._prog[pc][1](ch))
                self._remember(self._steps, key, following)
            state, prev = following, ch
        return False

    def _match_simple(self, text: str) -> bool:
        """``match`` for an expression whose only assertions are the text's start and end: one
        cached step per character (a step's closure is taken away from both ends; a match found
        there holds anywhere, as no assertion of the expression is true there)."""
        closed, matched = self._closure(frozenset((self._start,)), (True, not text, *_NOWHERE))
        if matched:
            return True
        raw: frozenset[int] = frozenset()
        fast = self._fast
        for ch in text:
            if not closed:
                return False
            entry = fast.get((closed, ch))
            if entry is None:
                raw = frozenset(self._prog[pc][2] for pc in closed if self._prog[pc][1](ch))
                entry = (*self._closure(raw, (False, False, *_NOWHERE)), raw)
                self._remember(fast, (closed, ch), entry)
            closed, matched, raw = entry
            if matched:
                return True
        return bool(text) and self._closure(raw, (False, True, *_NOWHERE))[1]

    def _closure(self, state: frozenset[int], context: _Context) -> tuple[tuple[int, ...], bool]:
        """The character-consuming states reachable from ``state`` without input, and whether
        the match state is reachable."""
        key = (state, context)
        found = self._closures.get(key)
        if found is not None:
            return found
        seen: set[int] = set()
        chars: list[int] = []
        matched = False
        stack = list(state)
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            instr = self._prog[pc]
            kind = instr[0]
            if kind == "match":
                matched = True
            elif kind == "char":
                chars.append(pc)
            elif kind == "split":
                stack.extend((instr[1], instr[2]))
            elif _holds(instr[1], context):
                stack.append(instr[2])
        found = (tuple(sorted(chars)), matched)
        self._remember(self._closures, key, found)
        return found

    @staticmethod
    def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
        if len(cache) >= MAX_CACHE:
            cache.clear()
        cache[key] = value


def _holds(assertion: tuple[Any, bool], context: _Context) -> bool:
    kind, multiline = assertion
    at_start, at_end, prev_word, next_word, prev_newline, next_newline, final_newline = context
    if kind is C.AT_BEGINNING_STRING:
        return at_start
    if kind is C.AT_BEGINNING:
        return at_start or (multiline and prev_newline)
    if kind is C.AT_END_STRING:
        return at_end
    if kind is C.AT_END:
        return at_end or (next_newline if multiline else final_newline)
    if kind is C.AT_BOUNDARY:
        return prev_word != next_word
    return prev_word == next_word  # AT_NON_BOUNDARY, the last of _ASSERTIONS


def _ascii_lower(ch: str) -> str:
    return ch.lower() if "A" <= ch <= "Z" else ch


def _swap(ch: str) -> str:
    """The other ASCII case of a letter (``re.ASCII`` folds only those); other characters as they are."""
    return ch.swapcase() if ch.isascii() and ch.isalpha() else ch


def _literal(char: str, fold: bool = False) -> Pred:
    if fold:
        low = _ascii_lower(char)
        return lambda ch: _ascii_lower(ch) == low
    return lambda ch: ch == char


def _not_literal(char: str, fold: bool = False) -> Pred:
    same = _literal(char, fold)
    return lambda ch: not same(ch)


def _range(low: str, high: str) -> Pred:
    return lambda ch: low <= ch <= high


def _both(first: Pred, barred: Pred) -> Pred:
    return lambda ch: first(ch) and not barred(ch)


def _in(items: list[tuple[Any, Any]], fold: bool = False) -> Pred:
    """A character class (``re.ASCII`` categories)."""
    negate = False
    tests: list[Pred] = []
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            tests.append(_literal(chr(av)))
        elif op is C.RANGE:
            tests.append(_range(chr(av[0]), chr(av[1])))
        elif op is C.CATEGORY and av in _CATEGORY:
            tests.append(_CATEGORY[av])
        else:
            raise re.error(f"unsupported in a class: {op}")

    def inside(ch: str) -> bool:
        return any(test(ch) for test in tests) or (fold and any(test(_swap(ch)) for test in tests))

    return (lambda ch: not inside(ch)) if negate else inside


def _itself(ch: str) -> str:
    return ch


def _in_orbit(chars: str) -> Pred:
    members = frozenset(chars)
    return lambda ch: ch in members


def _negated(pred: Pred) -> Pred:
    return lambda ch: not pred(ch)


def _none_folded(positive: Pred, orbit: Callable[[str], str]) -> Pred:
    return lambda ch: not any(positive(o) for o in orbit(ch))


_POSITIVE = {C.CATEGORY_NOT_DIGIT: C.CATEGORY_DIGIT, C.CATEGORY_NOT_SPACE: C.CATEGORY_SPACE,
             C.CATEGORY_NOT_WORD: C.CATEGORY_WORD}


def _in_folded(items: list[tuple[Any, Any]], orbit: Callable[[str], str]) -> Pred:
    """A character class under Go's ``(?i)``: each item holds a character when it holds one of
    its orbit; a negated category (``\\W``) or class is the complement of the folded set, as Go
    folds before it negates. Ranges are searched by bisection (a Unicode class has hundreds)."""
    import bisect

    negate = False
    lows: list[int] = []
    highs: list[int] = []
    spans: list[tuple[int, int]] = []
    tests: list[Pred] = []
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            spans.append((av, av))
        elif op is C.RANGE:
            spans.append((av[0], av[1]))
        elif op is C.CATEGORY and av in _POSITIVE:
            tests.append(_none_folded(_CATEGORY[_POSITIVE[av]], orbit))
        elif op is C.CATEGORY and av in _CATEGORY:
            tests.append(_CATEGORY[av])
        else:
            raise re.error(f"unsupported in a class: {op}")
    for low, high in sorted(spans):
        if highs and low <= highs[-1] + 1:
            highs[-1] = max(highs[-1], high)
        else:
            lows.append(low)
            highs.append(high)

    def held(ch: str) -> bool:
        code = ord(ch)
        at = bisect.bisect_right(lows, code) - 1
        return (at >= 0 and code <= highs[at]) or any(test(ch) for test in tests)

    def inside(ch: str) -> bool:
        return any(held(o) for o in orbit(ch))

    return (lambda ch: not inside(ch)) if negate else inside
