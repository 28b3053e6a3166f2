"""Fuzz targets for the signed documents other parties send: UCAN tokens and chains, UCAN
selectors and policies, IPVM invocations and receipts, and key files.

Each parse function takes the fuzzer's bytes and runs what a receiver runs on them (the
signature checks included), with fixed keys and a fixed clock, so a failure replays.
"""

from __future__ import annotations

from typing import Any

from .. import builtin
from ..errors import AutocodecError

_NOW = 1_800_000_000
_ISSUER_SEED = bytes(range(32))
_AUDIENCE_SEED = bytes(range(32, 64))
_CHAIN_SEPARATOR = b"\xff\xfe\xfd"  # splits one input into the items of a chain
_ARGS: dict[str, Any] = {"a": [1, 2, {"b": "text"}], "n": 7, "s": "hello world", "l": None,
                         "c": builtin.cid_for(b"fuzz", "raw"), "bytes": b"\x00\x01"}


def _keys() -> tuple[Any, Any]:
    from ..verify._keyring import SigningKey

    return SigningKey.from_seed(_ISSUER_SEED), SigningKey.from_seed(_AUDIENCE_SEED)


def ucan_token(data: bytes) -> Any:
    """One token as a receiver reads it: its head (``peek``), the whole token, its time and
    policy checks, and an invocation's validation against no proofs."""
    from ..verify import ucan
    from ..verify.ucan._envelope import peek
    from ..verify.ucan._validate import checked_token_policy

    try:
        peek(data)
    except AutocodecError:
        pass
    token = ucan.parse_token(data)
    if token.kind == "dlg":
        ucan.validate_delegation(token, _NOW)
        checked_token_policy(token)
    elif token.kind == "inv":
        ucan.validate_invocation(token, [], _NOW)
    return token.cid


def ucan_chain(data: bytes) -> Any:
    """Items (the input cut at ``_CHAIN_SEPARATOR``) as gossip reads them: vouched for from
    the fixed issuer, then each invocation among them validated with the others as proofs."""
    from ..verify import ucan
    from ..verify.ucan._envelope import parse_vouched

    issuer, _ = _keys()
    tokens, _envelopes = parse_vouched(data.split(_CHAIN_SEPARATOR), issuer.did)
    found = [token for token in tokens if token is not None]
    for token in found:
        if token.kind == "inv":
            try:
                ucan.validate_invocation(token, [t for t in found if t.kind == "dlg"], _NOW)
            except AutocodecError:
                pass
    return len(found)


def ucan_policy(data: bytes) -> Any:
    """A policy (DAG-CBOR) checked, then run against fixed arguments; a selector (the bytes as
    text) parsed and applied to them."""
    from ..verify import ucan

    try:
        steps = ucan.parse_selector(data.decode("utf-8", "replace"))
        ucan.select(steps, _ARGS)
    except AutocodecError:
        pass
    policy = builtin.decode(data, "dag-cbor")
    ucan.check_policy(policy)
    return ucan.matches(policy, _ARGS)


def ucan_seeds() -> tuple[bytes, ...]:
    from ..verify import ucan

    issuer, audience = _keys()
    policy = [["==", ".n", 7], ["like", ".s", "hello*"], ["all", ".a", ["!=", ".", None]],
              ["or", [["any", ".a", [">", ".", 1]], ["not", ["==", ".l", 1]]]]]
    root = ucan.delegate(issuer, audience.did, "/fuzz", now=_NOW - 60, policy=policy, expires_in=3600)
    inv = ucan.invoke(audience, issuer.did, "/fuzz/run", _ARGS, now=_NOW - 30, proofs=[root])
    return root.data, inv.data, root.data + _CHAIN_SEPARATOR + inv.data


def policy_seeds() -> tuple[bytes, ...]:
    policies: list[Any] = [
        [["==", ".n", 7], ["<=", ".a[0]", 3], ["like", ".s", "*wor\\*ld"]],
        [["and", [["any", ".a", ["==", ".b", "text"]], ["not", ["==", ".x?", None]]]]],
        [["all", ".a[1:]", ["!=", ".", 0]], ["==", ".[\"bytes\"]", b"\x00\x01"]],
    ]
    return (*(builtin.encode(p, "dag-cbor") for p in policies), b".a[-1:].b?", b'.["n"]')


def invocation(data: bytes) -> Any:
    """An invocation block as an executor reads one it is sent."""
    from ..ipvm import Invocation

    found = Invocation.decode(data)
    return found.awaits


def receipt(data: bytes) -> Any:
    """A receipt block as ``verify`` reads it: parsed and its signature checked."""
    from ..ipvm import Receipt

    return Receipt.verify_block(data)


def ipvm_seeds() -> tuple[bytes, ...]:
    from ..ipvm import AWAIT_OK, Invocation, Receipt

    issuer, _ = _keys()
    module = builtin.cid_for(b"\x00asm\x01\x00\x00\x00", "raw")
    first = Invocation(module, "add", [1, 2.5, "x", {"k": [None, True]}], issuer=issuer.did)
    then = Invocation(module, "next", [{AWAIT_OK: first.cid}, b"\x00"])
    _, ok = Receipt(first.cid, Receipt.ok_out({"v": [1, 2]}), 42, "bafkqaaa", issuer.did).sign(issuer)
    _, failed = Receipt(then.cid, Receipt.error_out("fuel", "out of fuel"), 7, "m", issuer.did).sign(issuer)
    return first.encode(), then.encode(), ok, failed


def key_file(data: bytes) -> Any:
    """A key file as ``key import`` reads it, in each format."""
    from ..verify._keyformats import FORMATS, import_key

    found = []
    for fmt in FORMATS:
        try:
            found.append(import_key(data, fmt).did)
        except AutocodecError:
            pass
    if not found:
        import_key(data)  # the refusal of the default format is the answer
    return found


def key_seeds() -> tuple[bytes, ...]:
    from ..verify._keyformats import FORMATS, export_key

    issuer, _ = _keys()
    return tuple(export_key(issuer, fmt) for fmt in FORMATS)


def ipvm_container(data: bytes) -> Any:
    """A pushed job's UCAN container as an executor reads it before running anything: the
    tokens vouched for from the executor (the fixed issuer), the chain validated, the task read."""
    from ..config import DEFAULT_LIMITS
    from ..ipvm._remote import COMMAND, task_of, vouched_container
    from ..verify import ucan

    executor, _ = _keys()

    def explain(invocation: Any, proofs: list[Any]) -> None:
        ucan.validate_invocation(invocation, proofs, _NOW, executor=executor.did)

    invocation, proofs, shipped = vouched_container(data, DEFAULT_LIMITS.remote, executor.did, explain, command=COMMAND)
    ucan.validate_invocation(invocation, proofs, _NOW, executor=executor.did)
    return task_of(invocation.payload["args"], DEFAULT_LIMITS.ipvm), len(shipped)


def container_seeds() -> tuple[bytes, ...]:
    from ..ipvm import Invocation
    from ..ipvm._remote import COMMAND, encode_container, task_args
    from ..verify import ucan

    executor, invoker = _keys()
    module = builtin.cid_for(b"\x00asm\x01\x00\x00\x00", "raw")
    grant = ucan.delegate(executor, invoker.did, "/wasm", now=_NOW - 60, policy=[["==", ".function", "add"]])
    task = Invocation(module, "add", [1, 2])
    token = ucan.invoke(invoker, executor.did, COMMAND, task_args(task), now=_NOW - 30, proofs=[grant],
                        audience=executor.did)
    blocks = [(module, b"\x00asm\x01\x00\x00\x00")]
    return encode_container([token, grant]), encode_container([token, grant], blocks), encode_container([token])


def ucan_signed(data: bytes) -> Any:
    """Tokens made of fuzzed payloads, signed for real, so the checks past the signature run on
    them: the input is DAG-CBOR ``{"d": fields, "i": fields}``, each map laid over a valid
    delegation's (from the fixed issuer) and invocation's (from the fixed audience) payload, both
    sealed with their keys (the invocation's ``prf`` names the delegation unless ``i`` sets it),
    then the invocation validated with the delegation for the issuer as executor."""
    from ..errors import InvalidInput
    from ..verify import ucan

    value = builtin.decode(data, "dag-cbor")
    if not isinstance(value, dict) or not all(isinstance(value.get(k, {}), dict) for k in ("d", "i")):
        raise InvalidInput("a ucan-signed input is a map of d and i, each a map")
    issuer, audience = _keys()
    base_dlg, base_inv = _signed_bases()
    dlg = ucan.seal(issuer, ucan.DELEGATION_TAG, {**base_dlg.payload, **value.get("d", {})})
    inv_fields = {**base_inv.payload, "prf": [dlg.cid], **value.get("i", {})}
    inv = ucan.seal(audience, ucan.INVOCATION_TAG, inv_fields)
    return ucan.validate_invocation(inv, [dlg], _NOW, executor=issuer.did)


def _signed_bases() -> tuple[Any, Any]:
    from ..verify import ucan

    issuer, audience = _keys()
    root = ucan.delegate(issuer, audience.did, "/fuzz", now=_NOW - 60, policy=[["==", ".n", 7]], expires_in=3600)
    inv = ucan.invoke(audience, issuer.did, "/fuzz/run", _ARGS, now=_NOW - 30, proofs=[root], audience=issuer.did)
    return root, inv


def signed_seeds() -> tuple[bytes, ...]:
    cases: list[dict[str, Any]] = [
        {},
        {"d": {"pol": [["all", ".a", ["or", [["==", ".", 1], ["like", ".b", "t*t"]]]], ["!=", ".l", 0]]}},
        {"d": {"cmd": "/", "nbf": _NOW - 1}, "i": {"cmd": "/fuzz", "args": {"n": 7, "x": [[[]]]}}},
        {"i": {"exp": None, "meta": {"k": b"v"}, "nonce": b"\x00" * 12}},
        {"d": {"sub": None}, "i": {"prf": []}},
    ]
    return tuple(builtin.encode(case, "dag-cbor") for case in cases)

