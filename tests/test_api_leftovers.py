"""Small defects the public-API sweeps left: each test here failed on the code before its fix.

UCAN selectors and policy hints, Bao streams closed in the middle of a call, BlobStore.add's
name in its errors, BlockStore.put_many's failed batch, Chunker.boundaries from two threads,
LoadedModule.close.
"""

from __future__ import annotations

import copy
import pickle
import time

import pytest

from autocodec.verify import SigningKey
from autocodec.verify.ucan import (
    DELEGATION_TAG,
    InvalidToken,
    check_policy,
    delegate,
    failing_statement,
    parse_selector,
    seal,
    select,
    validate_delegation,
)

# --- UCAN: what select gives for a selector that does not resolve ------------------------


def test_select_gives_the_public_absent_for_a_selector_that_does_not_resolve() -> None:
    # The spec (ucan-wg/delegation, "Selectors"): ".to[99]" fails to resolve, ".to[99]?" is
    # null. select gave a private object() for the first, which a caller could only compare
    # with by importing a private name.
    from autocodec.verify.ucan import ABSENT, Absent

    args = {"to": ["bob"], "cc": None}
    assert select(".to[99]", args) is ABSENT
    assert select(".missing", args) is ABSENT
    assert select(".to.key", args) is ABSENT  # a key step into a list: the wrong kind
    assert select(".to[99]?", args) is None
    assert select(".cc", args) is None  # a key holding null resolves: never ABSENT
    assert select(parse_selector(".to[0]"), args) == "bob"
    assert isinstance(ABSENT, Absent) and repr(ABSENT) == "ABSENT"
    assert copy.deepcopy(ABSENT) is ABSENT and pickle.loads(pickle.dumps(ABSENT)) is ABSENT


# --- UCAN: a malformed policy's hint is about the policy ----------------------------------


@pytest.mark.parametrize("policy", [
    "not a list",
    [["?!", ".a", 1]],
    [["==", "a", 1]],  # a selector without its leading dot
    [["<", ".fuel", "many"]],
])
def test_a_malformed_policy_on_its_own_gets_a_hint_about_the_policy(policy: object) -> None:
    # The hint was InvalidToken's: "give a UCAN 1.0 token: a DAG-CBOR envelope, ...", about
    # bytes nobody gave.
    for check in (check_policy, lambda p: failing_statement(p, {})):
        with pytest.raises(InvalidToken) as err:
            check(policy)
        assert "DAG-CBOR" not in err.value.hint and "policy" in err.value.hint, err.value.hint
        assert err.value.name == "InvalidToken"  # the UCAN error name the CLI and executor report


def test_a_malformed_selector_given_to_select_gets_the_policy_hint() -> None:
    with pytest.raises(InvalidToken) as err:
        select("to[0]", {})
    assert "DAG-CBOR" not in err.value.hint


def test_a_delegation_with_a_malformed_policy_names_the_delegation_and_asks_its_issuer() -> None:
    # Inside a token the policy is not the reader's to rewrite: the error names the
    # delegation and asks for a valid one (it said "give a DAG-CBOR envelope").
    key, now = SigningKey.generate(), int(time.time())
    good = delegate(key, SigningKey.generate().did, "/wasm", now=now)
    bad = seal(key, DELEGATION_TAG, {**good.payload, "pol": [["?!", ".a", 1]]})
    with pytest.raises(InvalidToken) as err:
        validate_delegation(bad, now)
    assert str(bad.cid) in err.value.message and "'?!'" in err.value.message
    assert "DAG-CBOR" not in err.value.hint and "delegat" in err.value.hint
