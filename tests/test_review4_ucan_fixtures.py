"""Review 4: the working group's UCAN 1.0 fixtures (../shared/ucan) through the executor's request
path, and the policy selectors where the spec leaves a kind unnamed.

- Every invocation fixture (7 valid, 13 invalid) sent as a container through
  ``_remote.vouched_container`` (the path ``POST /ipvm/invoke`` and ``/ipvm/revoke`` now take:
  only tokens vouched for from the executor are decoded, the rest are refused from their heads)
  gets the fixture's answer, with the fixture's subject as the executor: the same 20 of 20 as
  ``validate_invocation`` on decoded tokens (``test_ucan.py``).
- Slices (``.[a:b]``): the delegation spec's selector table names "collection slices" (lists) and
  its "Selecting on Bytes" section bytes; it names no behaviour for text. The working group's
  Go implementation (ucan-wg/go-ucan, ``pkg/policy/selector/selector.go``, which cites that spec
  section) slices text by Unicode code points with the same clamping as lists, and indexes
  neither text nor maps; the fixtures hold no slice. Kept as go-ucan does (docs/ucan-policy.md).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from autocodec.config import DEFAULT_LIMITS
from autocodec.ipvm._remote import encode_container, vouched_container
from autocodec.verify.ucan import ABSENT, UcanError, parse_token, select, validate_invocation
from tests.conftest import SHARED

UCAN = SHARED / "ucan"


def _cases() -> list[dict[str, Any]]:
    if not UCAN.is_dir():
        return []
    data = json.loads((UCAN / "invocation.json").read_text())
    return [*data["valid"], *data["invalid"]]


CASES = _cases()


def _bytes(entry: dict[str, Any]) -> bytes:
    text = entry["/"]["bytes"]
    return base64.b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.skipif(not CASES, reason=f"UCAN fixtures not found at {UCAN}")
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_invocation_fixture_through_the_executors_request_path(case: dict[str, Any]) -> None:
    invocation = parse_token(_bytes(case["invocation"]))
    proofs = [parse_token(_bytes(p)) for p in case["proofs"]]
    executor, now = str(invocation.sub), case["time"]

    def explain(inv: Any, dlgs: list[Any]) -> None:
        validate_invocation(inv, dlgs, now, executor=executor)

    expected = case.get("error", {}).get("name")
    try:
        inv, chain, _ = vouched_container(encode_container([invocation, *proofs]), DEFAULT_LIMITS.remote, executor,
                                          explain, command=invocation.cmd)
        validate_invocation(inv, chain, now, executor=executor)
    except UcanError as exc:
        assert exc.name == expected, exc.message
    else:
        assert expected is None


def test_fixture_counts() -> None:
    if not CASES:
        pytest.skip("no fixtures")
    assert len(CASES) == 20 and sum("error" in c for c in CASES) == 13


@pytest.mark.parametrize(("selector", "value", "expected"), [
    (".[1:]", "héllo", "éllo"),          # code points, as go-ucan's []rune
    (".[-2:]", "héllo", "lo"),
    (".[3:1]", "abc", ""),               # backward: empty, as go-ucan
    (".[-10:2]", "abc", "ab"),           # clamped
    (".[1:3]", b"\x01\x02\x03\x04", b"\x02\x03"),
    (".[1:3]", [1, 2, 3, 4], [2, 3]),
    (".[1]", b"\x01\x02", 2),            # bytes index to an integer (the spec's 0x8c = 140)
    (".[1]", "ab", ABSENT),              # text is not indexed
    (".[0:1]", {"a": 1}, ABSENT),        # nor a map sliced
    (".[0:1]?", {"a": 1}, None),
])
def test_selector_kinds_as_go_ucan(selector: str, value: Any, expected: Any) -> None:
    assert select(selector, value) == expected if expected is not ABSENT else select(selector, value) is ABSENT
