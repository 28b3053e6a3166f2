"""Review 4 (second pass): ``--ignore`` rules are matched in linear time, as Go's regexp in Kubo.

Python's ``re`` backtracks: before this fix the plain gitignore rule ``*.*.*.*.*.*.*.tmp``
took 35 s on a name of 80 dots (measured; 255 dots would take far longer), ``(a+)+b`` 0.58 s
on 24 ``a`` and twice that per added ``a``. Go's regexp (Kubo's) is linear in the name.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from autocodec.unixfs._ignore import IgnoreRules, _compile_line
from autocodec.unixfs._linear_re import MAX_STATES, LinearPattern

HOSTILE = [
    ("*.*.*.*.*.*.*.*.*.tmp", "." * 255),
    ("(a+)+b", "a" * 255),
    ("(a|aa)*c", "a" * 255),
    ("*a*a*a*a*a*a*a*a*b", "a" * 255),
]


@pytest.mark.parametrize(("rule", "name"), HOSTILE)
def test_hostile_rule_is_linear(rule: str, name: str) -> None:
    """Each case ran for minutes or more on the old code (a backtracking ``re``); the child gets
    60 s, about a thousand times what the linear matcher needs on a loaded 2-core machine."""
    code = ("import sys\nfrom autocodec.unixfs._ignore import IgnoreRules\n"
            "rules = IgnoreRules([sys.argv[1]])\nassert rules\n"
            "print(rules.ignores(sys.argv[2]), rules.ignores(sys.argv[2] + '/x'))\n")
    try:
        done = subprocess.run([sys.executable, "-c", code, rule, name], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"--ignore={rule!r} did not decide a {len(name)}-character name in 60 s (backtracking)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("rule", ["*.tmp", "/a*/b", "**/x?y", "a/**/b", "[[:alpha:]]*[0-9]$", "\\bfoo\\B*",
                                  "(?i)README*", "(?s)a.b", "[^a-c\\d]x*", "a{2,3}b", "(ab|a)(c|bcd)",
                                  "[[:^alpha:]\\d]*", "(?m)^x", "\\Qa.b\\E*", "x\\z"])
def test_same_answers_as_python_re(rule: str) -> None:
    """The linear matcher answers as ``re`` does on the expression each rule compiles to."""
    compiled = _compile_line(rule)
    assert compiled is not None
    expr = compiled.pattern
    assert isinstance(expr, LinearPattern)
    reference = _reference(rule)
    chars = "abcdxyABRKz0_9./ \n-\ufffd"
    rng = random.Random(rule)
    names = ["".join(rng.choice(chars) for _ in range(rng.randint(0, 9))) for _ in range(3000)]
    names += ["a.tmp", "d/a.tmp", "ab/b", "q/x?y", "a/q/r/b", "abc9", "foo", "README.md", "a\nb", "aab", "abcd",
              "a.b", "x", "zx"]
    for name in names:
        assert expr.match(name) == bool(reference.match(name)), (rule, name)


def _reference(rule: str) -> re.Pattern[str]:
    """The expression ``_compile_line`` builds for ``rule``, compiled by Python's ``re``."""
    captured: list[str] = []
    import autocodec.unixfs._ignore as ignore_module

    real = ignore_module.LinearPattern

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, expr: str, flags: int = 0, **options: bool) -> None:
            captured.append(expr)
            super().__init__(expr, flags, **options)

    ignore_module.LinearPattern = Spy
    try:
        _compile_line(rule)
    finally:
        ignore_module.LinearPattern = real
    return re.compile(captured[0], re.ASCII)


def test_too_large_rule_is_dropped() -> None:
    """An expression past the NFA size bound is dropped (Go refuses one past its size limit)
    rather than built without bound."""
    with pytest.raises(re.error):
        LinearPattern("(?:abcdefghij){1000}(?:abcdefghij){1000}(?:abcdefghij){1000}", re.ASCII)
    assert MAX_STATES <= 20_000
    assert not IgnoreRules(["(abcdefghij){1000}(abcdefghij){1000}(abcdefghij){1000}"])


def test_rules_keep_their_meaning() -> None:
    rules = IgnoreRules(["*.tmp", "!keep.tmp", "(a+)+b"])
    assert rules.ignores("x.tmp") and not rules.ignores("keep.tmp") and rules.ignores("aaab")
    assert not rules.ignores("aaa") and not rules.ignores("x.tmpz")
