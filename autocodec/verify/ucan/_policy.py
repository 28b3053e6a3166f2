"""The UCAN 1.0 policy language: jq-like selectors and the statements a delegation's ``pol`` holds.

Spec: ucan-wg/delegation, "Policy" (selectors ``.``, ``.key``, ``.["key"]``, ``.[i]`` with
negative indices, ``.[a:b]`` slices, ``?`` optional; statements ``==``, ``!=``, ``<``, ``<=``,
``>``, ``>=``, ``like``, ``not``, ``and``, ``or``, ``all``, ``any``).

Invariants:
- ``check_policy`` refuses a malformed policy (unknown operator, wrong arity, bad selector,
  an inequality with a value that is not a number, nesting deeper than ``MAX_DEPTH``) before
  anything is evaluated. ``[]`` (collection values) is not supported: ``all``/``any`` say it.
- Evaluation is total and bounded: a selector that does not resolve (missing key, index out of
  range, wrong kind) selects ``ABSENT``, which the spec keeps apart from null ("fail to
  resolve": ``.to[99]`` fails, ``.to[99]?`` is null), and makes its statement false; after a
  step marked ``?`` a miss selects null instead (and stops there, as the spec says);
  ``like`` is a glob (``*`` any run, ``\\*`` a literal star), never a regex nor a backtracking
  matcher: the runs between stars are found in order with ``str.find``, so its cost is about
  the length of the text and the pattern, whatever the pattern.
- Equality is IPLD data-model equality with one numeric rule: an integer equals a float of
  the same value (``1 == 1.0``); booleans equal only booleans. Ordering compares numbers only.
- ``and []`` and ``or []`` are true; ``all`` over an empty collection is true, ``any`` false.
- Evaluation is also bounded in work: every statement applied (each element a quantifier
  visits counts), every pair of nested values ``==``/``!=`` compares, and every
  ``ITEMS_PER_STEP`` elements a slice copies or characters a ``like`` scans spend one step of
  an ``EvalBudget`` (``MAX_STEPS`` per invocation, shared by every policy of its chain); a
  policy that needs more does not hold (``MatchError``), so a large policy over large
  arguments cannot keep the validator busy for minutes.
"""

from __future__ import annotations

import enum
import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..._inputs import need_text, whole_number
from ...cid import CID
from ...errors import InvalidInput
from ._errors import InvalidToken, MatchError

MAX_DEPTH = 32
"""Deepest nesting of statements accepted in one policy."""

MAX_STEPS = 1_000_000
"""Steps one validation may take (about a second of CPU); see ``EvalBudget``."""

ITEMS_PER_STEP = 256
"""A slice spends one step for every this many elements (or bytes, or characters) it copies, a
``like`` for every this many characters of its text: about what applying a statement costs."""

POLICY_HINT = ('write the policy as a list of UCAN 1.0 statements [operator, selector, value...], '
               'e.g. [["==", ".function", "decode"]]')
"""The hint of every malformed-policy error: the policy is the caller's to correct."""

_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}


class Absent(enum.Enum):
    """The type of ``ABSENT``: one member, so it is a singleton that survives copy and pickle."""

    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent.ABSENT
"""What ``select`` gives for a selector that does not resolve (no such key, an index out of
range, a step into the wrong kind). Never null: a key holding null resolves (to ``None``).
Test with ``is ABSENT``."""


def _malformed(message: str) -> InvalidToken:
    """The error for a malformed policy or selector, with the hint that says how to write one."""
    return InvalidToken(message, hint=POLICY_HINT)


class EvalBudget:
    """Steps left for evaluating policies; ``spend`` raises ``MatchError`` when none are left."""

    def __init__(self, steps: int = MAX_STEPS) -> None:
        self.steps = whole_number(steps, "EvalBudget's steps")

    def spend(self, steps: int = 1) -> None:
        self.steps -= steps
        if self.steps < 0:
            raise MatchError("the delegations' policies need more than their evaluation budget "
                             f"({MAX_STEPS} steps: statements applied, values compared, slices copied) "
                             "for these arguments")


@dataclass(frozen=True)
class _Step:
    kind: str  # "key", "index", "slice"
    key: str = ""
    index: int = 0
    start: int | None = None
    stop: int | None = None
    optional: bool = False


def parse_selector(text: str) -> tuple[_Step, ...]:
    """Parse a selector; raises ``InvalidToken`` for a malformed one.

    ``.name`` takes a name starting with an ASCII letter or ``_`` (then ASCII letters, digits,
    ``_``; any other key is written ``.["key"]``); an index or slice bound is an optional ``-`` and
    ASCII digits;
    ``.["any key"]`` a JSON string (escapes decoded, ``]`` allowed inside); a run of ``?`` is
    one optional mark (the spec: repeated optionals are a single one).
    """
    if not isinstance(text, str) or not text.startswith(".") or len(text) > 1024:
        raise _malformed(f"policy selector {brief(text, 60)!r} is malformed (selectors start with '.')")
    if text.rstrip("?") == ".":
        return ()
    steps: list[_Step] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == "." and i + 1 < n and text[i + 1] != "[":
            j = i + 1
            if text[j] in "0123456789":
                raise _malformed(f"policy selector {text[:60]!r}: a field name cannot start with a digit "
                                   '(write .["1"] for the key "1", .[1] for an index)')
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            if j == i + 1:
                raise _malformed(f"policy selector {text[:60]!r} has an empty field name")
            step = _Step("key", key=text[i + 1:j])
            i = j
        elif text[i] == "[" or text.startswith(".[", i):
            i += 1 if text[i] == "[" else 2
            step, i = _bracket(text, i)
        else:
            raise _malformed(f"policy selector {text[:60]!r} is malformed at {i}")
        if i < n and text[i] == "?":
            step = _Step(step.kind, step.key, step.index, step.start, step.stop, optional=True)
            while i < n and text[i] == "?":
                i += 1
        steps.append(step)
    return tuple(steps)


def _bracket(text: str, i: int) -> tuple[_Step, int]:
    """The step of the bracket whose body starts at ``text[i]``, and the index after its ``]``."""
    if text.startswith('"', i):
        j = i + 1
        while j < len(text) and text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        if j >= len(text) or not text.startswith("]", j + 1):
            raise _malformed(f"policy selector {text[:60]!r} has an unclosed quoted key")
        try:
            key = json.loads(text[i:j + 1])
        except ValueError:
            raise _malformed(f"policy selector {text[:60]!r} has a malformed quoted key") from None
        return _Step("key", key=key), j + 2
    close = text.find("]", i)
    if close < 0:
        raise _malformed(f"policy selector {text[:60]!r} has an unclosed '['")
    body = text[i:close]
    try:
        if ":" in body:
            a, _, b = body.partition(":")
            step = _Step("slice", start=_integer(a) if a else None, stop=_integer(b) if b else None)
        else:
            step = _Step("index", index=_integer(body))
    except ValueError:
        raise _malformed(f"policy selector {text[:60]!r} has a malformed bracket [{body[:20]}] "
                           "(an index, a slice a:b or a quoted key; [] is not supported, use all/any)") from None
    return step, close + 1


def _integer(text: str) -> int:
    """An index or slice bound as the selector grammar writes it: an optional ``-`` and ASCII
    digits. ``int`` alone also took ``1_0``, `` 1``, ``+1`` and other scripts' digits, selectors
    other implementations refuse; ``ValueError`` for those."""
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(text)
    return int(text)


def select(steps: str | Sequence[_Step], value: Any) -> Any:
    """The value a selector (its text, or the steps ``parse_selector`` gives) selects in
    ``value``; ``ABSENT`` when it does not resolve, ``None`` when a step marked ``?`` missed
    (UCAN 1.0 delegation spec, "Selectors": a non-optional miss fails to resolve, an optional
    one is null). ``InvalidToken`` for malformed text, ``InvalidInput`` for steps of another type."""
    if isinstance(steps, str):
        return _select(_parsed(steps), value)
    if not (isinstance(steps, (tuple, list)) and all(type(step) is _Step for step in steps)):
        raise InvalidInput(f"select takes a selector (its text, or parse_selector's steps), "
                           f"not {type(steps).__name__}")
    return _select(steps, value)


def _select(steps: Sequence[_Step], value: Any, budget: EvalBudget | None = None) -> Any:
    for step in steps:
        value = _apply(step, value)
        if step.kind == "slice" and budget is not None and value is not ABSENT:
            budget.spend(len(value) // ITEMS_PER_STEP)
        if value is ABSENT:
            return None if step.optional else ABSENT
    return value


def _apply(step: _Step, value: Any) -> Any:
    if step.kind == "key":
        return value.get(step.key, ABSENT) if isinstance(value, dict) else ABSENT
    if not isinstance(value, (list, str, bytes)):
        return ABSENT
    if step.kind == "index":
        if isinstance(value, str):
            return ABSENT
        i = step.index + len(value) if step.index < 0 else step.index
        return value[i] if 0 <= i < len(value) else ABSENT
    return value[step.start:step.stop]


def count_statements(policy: Any, most: int) -> int:
    """The statements of ``policy``, nested ones included, counted up to ``most + 1`` and no
    further: the count costs at most ``most`` steps whatever the policy's size. Parts that are not
    statements count as one each (``check_policy`` refuses them)."""
    todo = list(policy[:most + 1]) if isinstance(policy, list) else []
    count = 0
    while todo and count <= most:
        st = todo.pop()
        count += 1
        if not (isinstance(st, list) and st and isinstance(st[0], str)):
            continue
        if st[0] == "not" and len(st) == 2:
            todo.append(st[1])
        elif st[0] in ("and", "or") and len(st) == 2 and isinstance(st[1], list):
            todo.extend(st[1][:most + 1 - count])
        elif st[0] in ("all", "any") and len(st) == 3:
            todo.append(st[2])
    return min(count, most + 1)


def check_policy(policy: Any) -> None:
    """Raise ``InvalidToken`` unless ``policy`` is a list of well-formed statements."""
    _checked(policy)


@dataclass(frozen=True)
class CheckedPolicy:
    """A policy ``check_policy`` accepted, with each of its selectors parsed: ``failing_statement``
    takes it to evaluate one policy against many arguments (the jobs a pipeline awaits) without
    checking it again each time. Make it with ``checked_policy``; the policy is not changed after."""

    statements: tuple[Any, ...]
    selectors: Mapping[str, tuple[_Step, ...]]


def checked_policy(policy: Any) -> CheckedPolicy:
    """``policy`` checked once (``InvalidToken`` as ``check_policy``) for repeated evaluation."""
    selectors = _checked(policy)  # refuses anything but a list of well-formed statements
    return CheckedPolicy(tuple(policy), selectors)


def _checked(policy: Any) -> dict[str, tuple[_Step, ...]]:
    """``check_policy``, and the steps of each selector the policy holds (each parsed once:
    evaluation looks them up rather than parsing a selector again for every element)."""
    if not isinstance(policy, list):
        raise _malformed("policy is not a list of statements")
    selectors: dict[str, tuple[_Step, ...]] = {}
    for statement in policy:
        _check(statement, 1, selectors)
    return selectors


def _parse_into(text: Any, selectors: dict[str, tuple[_Step, ...]]) -> None:
    if not (isinstance(text, str) and text in selectors):
        selectors[text] = parse_selector(text)


def _check(st: Any, depth: int, selectors: dict[str, tuple[_Step, ...]]) -> None:
    if depth > MAX_DEPTH:
        raise _malformed(f"policy nests deeper than {MAX_DEPTH}")
    if not isinstance(st, list) or not st or not isinstance(st[0], str):
        raise _malformed(f"policy statement {brief(st, 60)} is not [operator, ...]")
    op = st[0]
    if op in _COMPARISONS or op == "like":
        if len(st) != 3:
            raise _malformed(f"policy '{op}' takes a selector and a value")
        _parse_into(st[1], selectors)
        if op == "like" and not isinstance(st[2], str):
            raise _malformed("policy 'like' takes a string pattern")
        if op in ("<", "<=", ">", ">=") and not _is_number(st[2]):
            raise _malformed(f"policy '{op}' compares with a number, not {brief(st[2], 40)!r}")
    elif op == "not":
        if len(st) != 2:
            raise _malformed("policy 'not' takes one statement")
        _check(st[1], depth + 1, selectors)
    elif op in ("and", "or"):
        if len(st) != 2 or not isinstance(st[1], list):
            raise _malformed(f"policy '{op}' takes a list of statements")
        for inner in st[1]:
            _check(inner, depth + 1, selectors)
    elif op in ("all", "any"):
        if len(st) != 3:
            raise _malformed(f"policy '{op}' takes a selector and a statement")
        _parse_into(st[1], selectors)
        _check(st[2], depth + 1, selectors)
    else:
        raise _malformed(f"unknown policy operator {op[:20]!r}")


def matches(policy: list[Any], args: Any, budget: EvalBudget | None = None) -> bool:
    """True when every statement of ``policy`` holds for ``args`` within ``budget`` (raises as
    ``failing_statement`` for a malformed policy or a budget of another type)."""
    try:
        return failing_statement(policy, args, budget) is None
    except MatchError:
        return False


def failing_statement(policy: list[Any] | CheckedPolicy, args: Any, budget: EvalBudget | None = None) -> Any | None:
    """The first statement of ``policy`` (a list, or a ``CheckedPolicy``) that does not hold, or
    None (``MatchError`` past ``budget``). ``InvalidToken`` for a malformed policy
    (``check_policy``), ``InvalidInput`` for a budget that is no ``EvalBudget``."""
    if not isinstance(policy, CheckedPolicy):
        policy = checked_policy(policy)
    if budget is None:
        budget = EvalBudget()
    elif not isinstance(budget, EvalBudget):
        raise InvalidInput(f"a policy's budget is an EvalBudget, not {type(budget).__name__}")
    for st in policy.statements:
        if not _eval(st, args, budget, policy.selectors):
            return st
    return None


def _eval(st: Sequence[Any], value: Any, budget: EvalBudget, selectors: Mapping[str, tuple[_Step, ...]]) -> bool:
    budget.spend()
    op = st[0]
    if op == "not":
        return not _eval(st[1], value, budget, selectors)
    if op == "and":
        return all(_eval(inner, value, budget, selectors) for inner in st[1])
    if op == "or":
        return not st[1] or any(_eval(inner, value, budget, selectors) for inner in st[1])
    selected = _select(selectors[st[1]], value, budget)
    if op == "!=":  # the spec: equivalent to ["not", ["==", selector, value]], so true on a miss
        return selected is ABSENT or not equal(selected, st[2], budget)
    if selected is ABSENT:
        return False
    if op in ("all", "any"):
        if not isinstance(selected, (dict, list)):
            return False
        items = selected.values() if isinstance(selected, dict) else selected  # visited lazily: any stops early
        results = (_eval(st[2], item, budget, selectors) for item in items)
        return all(results) if op == "all" else any(results)
    if op == "==":
        return equal(selected, st[2], budget)
    if op == "like":
        if not isinstance(selected, str):
            return False
        budget.spend(len(selected) // ITEMS_PER_STEP)
        return _glob_match(st[2], selected)
    if not (_is_number(selected) and _is_number(st[2])):
        return False
    a, b = selected, st[2]
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> tuple[_Step, ...]:
    return parse_selector(text)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v))


def equal(a: Any, b: Any, budget: EvalBudget | None = None) -> bool:
    """IPLD data-model equality, with integers equal to floats of the same value. Iterative:
    values nested as deep as DAG-CBOR allows compare without ``RecursionError``. With a
    ``budget``, each pair of values compared inside lists and maps spends a step."""
    pairs = [(a, b)]
    first = True
    while pairs:
        x, y = pairs.pop()
        if budget is not None and not first:
            budget.spend()
        first = False
        if isinstance(x, bool) or isinstance(y, bool):
            same = isinstance(x, bool) and isinstance(y, bool) and x == y
        elif _is_number(x) and _is_number(y):
            same = bool(x == y)
        elif isinstance(x, list) and isinstance(y, list):
            same = len(x) == len(y)
            pairs.extend(zip(x, y))
        elif isinstance(x, dict) and isinstance(y, dict):
            same = x.keys() == y.keys()
            if same:
                pairs.extend((x[k], y[k]) for k in x)
        elif isinstance(x, CID) or isinstance(y, CID):
            same = isinstance(x, CID) and isinstance(y, CID) and x == y
        else:
            same = type(x) is type(y) and bool(x == y)
        if not same:
            return False
    return True


BRIEF_DEPTH = 16
"""Deepest nesting ``brief`` renders; a deeper value is named, not printed."""


def brief(value: Any, limit: int = 120) -> str:
    """``value`` as text of at most ``limit`` characters, for messages. ``str`` of a hostile value
    nested near DAG-CBOR's 1024 levels raised ``RecursionError``; past ``BRIEF_DEPTH`` levels the
    value is described instead (the depth is measured iteratively, stopping at the bound)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > BRIEF_DEPTH:
                return f"<a {type(value).__name__} nested deeper than {BRIEF_DEPTH}>"[:limit]
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return str(value)[:limit]


def glob_match(pattern: str, text: str) -> bool:
    """Whole-string glob: ``*`` matches any run (also empty), ``\\*`` a literal star. About linear in both lengths.
    ``InvalidInput`` unless both are text."""
    return _glob_match(need_text(pattern, "glob_match's pattern"), need_text(text, "glob_match's text"))


def _glob_match(pattern: str, text: str) -> bool:
    # The literal runs between wildcards must appear in order: the first at the start, the last
    # at the end, each other one at its leftmost place after the previous (leftmost is never
    # worse for what follows), found with str.find: linear in practice, no backtracking.
    runs = _segments(pattern)
    if len(runs) == 1:
        return text == runs[0]
    first, *middle, last = runs
    if len(first) + len(last) > len(text) or not text.startswith(first) or not text.endswith(last):
        return False
    at, end = len(first), len(text) - len(last)
    for segment in middle:
        found = text.find(segment, at, end)
        if found < 0:
            return False
        at = found + len(segment)
    return True


def _segments(pattern: str) -> list[str]:
    """The literal runs of ``pattern`` between its wildcards (``\\*`` is a literal star in a run;
    any other character, a backslash too, is itself); one more run than wildcards."""
    runs: list[str] = []
    run: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("\\*", i):
            run.append("*")
            i += 2
        elif pattern[i] == "*":
            runs.append("".join(run))
            run = []
            i += 1
        else:
            run.append(pattern[i])
            i += 1
    runs.append("".join(run))
    return runs
