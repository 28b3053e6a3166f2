"""Adversarial audit of the Wasm codec modules on hostile and mutated input (tests/_s12_modules_inputs.py).

Every outcome must be the decoded model (and then encode gives the block back byte for byte) or a
typed error: never an untyped exception, a hang or unbounded memory. Fixed here (modules rebuilt,
default set regenerated): eth-tx and eth-tx-receipt (eth-common/dageth.h) printed a literal "%02x"
in the unknown-type message (ac_vformat has no width flags). Left, as a strict xfail (a deliberate
strictness documented in git-raw.ipldsch, for the maintainers to decide):
- git-raw: a tree entry mode that is not 1-7 octal digits ("99", "100648", "", "1006$4") is
  refused, where Kubo 0.43.1 decodes it to {"mode": "99", ...} and its dag put keeps the CID
  (measured; re-measured by the slow row).
dag-jose is fixed (rebuilt, default set regenerated): Kubo 0.43.1 decodes a JWS without signatures
and a JWE with only a ciphertext (iv, protected, tag optional, as in the spec's Encoded JWE);
the module refused them ("neither a JWS ... nor a JWE ...").
"""

from __future__ import annotations

from typing import Any

import pytest

from autocodec.builtin import encode as builtin_encode
from autocodec.cid import CID
from autocodec.errors import AutocodecError, GuestError
from autocodec.loader import Codec, Sandbox
from tests._s12_modules_inputs import CODEC_MODULES, HOSTILE, mutants
from tests.conftest import WASM_SRC


@pytest.fixture(scope="module")
def codecs() -> dict[str, Codec]:
    sandbox = Sandbox()
    return {name: sandbox.load((WASM_SRC / name / f"{name}.wasm").read_bytes()).codec() for name in CODEC_MODULES}


@pytest.mark.parametrize(("module", "label", "block", "reason"), HOSTILE, ids=[f"{m}: {lab}" for m, lab, _, _ in HOSTILE])
def test_hostile_block_is_a_typed_refusal(codecs: dict[str, Codec], module: str, label: str, block: bytes,
                                          reason: str) -> None:
    with pytest.raises(GuestError, match=reason):
        codecs[module].decode(block)


@pytest.mark.parametrize("module", CODEC_MODULES)
def test_mutated_blocks_decode_and_round_trip_or_are_refused_typed(codecs: dict[str, Codec], module: str) -> None:
    """Mutants of each module's vector blocks: an untyped exception fails the test by propagating."""
    codec = codecs[module]
    decoded = 0
    for block in mutants(module, 120, seed=0x512):
        try:
            value = codec.decode(block)
        except AutocodecError:
            continue
        decoded += 1
        assert codec.encode(value) == block, f"{module}: {block.hex()} does not round-trip"
        codec.links(block)
    assert decoded  # some mutants must stay valid, or only the refusals were exercised


@pytest.mark.parametrize(("module", "what"), [("eth-tx", "transaction"), ("eth-tx-receipt", "receipt")])
def test_eth_unknown_type_message_names_the_type_byte(codecs: dict[str, Codec], module: str, what: str) -> None:
    """eth-common/dageth.h wrote 'type 0x%02x' and ac_vformat has no width flags: the message read
    'type 0x%02x is not a known type' and never named the byte."""
    for block, shown in ((b"\x7f\xc0", "0x7f"), (b"\x05\xc0", "0x5")):
        with pytest.raises(GuestError, match=f"^{what}: type {shown} is not a known type"):
            codecs[module].decode(block)


def _tree(mode: bytes) -> bytes:
    body = mode + b" a\x00" + bytes(20)
    return b"tree %d\x00" % len(body) + body


KUBO_KEEPS_MODES = [b"99", b"100648", b"", b"1006$4"]
ZERO_SHA1 = CID.build(0x78, b"\x11\x14" + bytes(20))


@pytest.mark.xfail(strict=True, reason="git-raw refuses tree modes that are not 1-7 octal digits (git.c, "
                                       "git-raw.ipldsch 'stricter than the reference'); Kubo 0.43.1 decodes and "
                                       "round-trips them")
@pytest.mark.parametrize("mode", KUBO_KEEPS_MODES)
def test_git_tree_modes_kubo_keeps_decode_to_kubos_model(codecs: dict[str, Codec], mode: bytes) -> None:
    block = _tree(mode)
    value: Any = codecs["git-raw"].decode(block)
    assert value == {"a": {"hash": ZERO_SHA1, "mode": mode.decode()}}
    assert codecs["git-raw"].encode(value) == block


@pytest.mark.slow
def test_kubo_decodes_and_keeps_those_tree_modes(kubo_node: Any) -> None:
    """Re-measures the claim behind the xfail above on Kubo 0.43.1."""
    import hashlib
    import json

    from tests._git_kubo_compare import KeptAliveRpc, cid_of

    rpc = KeptAliveRpc(kubo_node.api_port)
    for mode in KUBO_KEEPS_MODES:
        block = _tree(mode)
        cid = cid_of(hashlib.sha1(block).hexdigest())
        rpc.put_many("block/put?cid-codec=git-raw&mhtype=sha1", [block])
        status, out = rpc.call(f"dag/get?arg={cid}&output-codec=dag-json")
        assert status == 200 and json.loads(out) == {
            "a": {"hash": {"/": str(ZERO_SHA1)}, "mode": mode.decode()}}, out
        put = rpc.put_many("dag/put?input-codec=git-raw&store-codec=git-raw&hash=sha1", [block])
        assert put[0]["Cid"]["/"] == str(cid)


# Wire forms Kubo 0.43.1 decodes (dag get of a block put with --cid-codec dag-jose), with its DAG-JSON answer
# (measured; the slow row re-measures them). Absent fields stay absent.
KUBO_JOSE: list[tuple[dict[str, Any], str]] = [
    ({"payload": b"\x01\x55\x00\x00"}, '{"link":{"/":"bafkqaaa"},"payload":"AVUAAA"}'),
    ({"ciphertext": b"c"}, '{"ciphertext":"Yw"}'),
    ({"ciphertext": b"", "aad": b"a"}, '{"aad":"YQ","ciphertext":""}'),
    ({"ciphertext": b"c", "iv": b""}, '{"ciphertext":"Yw","iv":""}'),
    ({"ciphertext": b"c", "recipients": []}, '{"ciphertext":"Yw","recipients":[]}'),
    ({"ciphertext": b"c", "iv": b"i" * 12, "protected": b"{}"}, '{"ciphertext":"Yw","iv":"aWlpaWlpaWlpaWlp","protected":"e30"}'),
    ({"ciphertext": b"c", "iv": b"i", "tag": b"t"}, '{"ciphertext":"Yw","iv":"aQ","tag":"dA"}'),
]
KUBO_JOSE_REFUSES = [{}, {"signatures": []}, {"iv": b"i", "tag": b"t"}]


@pytest.mark.parametrize(("wire", "kubo"), KUBO_JOSE, ids=[k for _, k in KUBO_JOSE])
def test_dag_jose_partial_forms_decode_as_kubo_and_round_trip(codecs: dict[str, Codec], wire: dict[str, Any],
                                                               kubo: str) -> None:
    block = builtin_encode(wire, "dag-cbor")
    value = codecs["dag-jose"].decode(block)
    assert builtin_encode(value, "dag-json").decode() == kubo
    assert codecs["dag-jose"].encode(value) == block


@pytest.mark.parametrize("wire", KUBO_JOSE_REFUSES, ids=str)
def test_dag_jose_forms_kubo_refuses_stay_refused(codecs: dict[str, Codec], wire: dict[str, Any]) -> None:
    with pytest.raises(GuestError, match="dag-jose: "):
        codecs["dag-jose"].decode(builtin_encode(wire, "dag-cbor"))


@pytest.mark.slow
def test_kubo_decodes_the_partial_dag_jose_forms(kubo_node: Any) -> None:
    """Re-measures KUBO_JOSE and KUBO_JOSE_REFUSES on Kubo 0.43.1."""
    import json

    from tests._git_kubo_compare import KeptAliveRpc, kubo_answer

    rpc = KeptAliveRpc(kubo_node.api_port)
    answers = []
    for wire in [w for w, _ in KUBO_JOSE] + KUBO_JOSE_REFUSES:
        put = rpc.put_many("block/put?cid-codec=dag-jose&mhtype=sha2-256", [builtin_encode(wire, "dag-cbor")])
        answers.append(kubo_answer(*rpc.call(f"dag/get?arg={put[0]['Key']}&output-codec=dag-json")))
    assert answers[: len(KUBO_JOSE)] == [json.loads(k) for _, k in KUBO_JOSE]
    assert all(set(a) == {"error"} for a in answers[len(KUBO_JOSE) :]), answers


_IN = "11" * 32 + "00000000" + "00" + "ffffffff"  # one input spending output 0 of 11..11, empty script
_OUT = "0000000000000000" + "00"
ODD_TXS = {  # the JS reference (@ipld/bitcoin's bitcoin-block) decodes the first four, refuses the last two
    "segwit marker, the one witness empty": "01000000" + "0001" + "01" + _IN + "01" + _OUT + "00" + "00000000",
    "segwit marker, both witnesses empty": "01000000" + "0001" + "02" + _IN + _IN + "01" + _OUT + "00" + "00" + "00000000",
    "coinbase, segwit marker, no witness": "01000000" + "0001" + "01" + "00" * 32 + "ffffffff" + "00" + "ffffffff" + "01"
                                           + _OUT + "00" + "00000000",
    "no outputs": "01000000" + "01" + _IN + "00" + "00000000",
    "flag 0x02": "01000000" + "0002" + "01" + _IN + "01" + _OUT + "00" + "00000000",
    "input count 1 as fd0100": "01000000" + "fd0100" + _IN + "01" + _OUT + "00000000",
}


def test_odd_bitcoin_transactions_agree_with_the_js_reference(codecs: dict[str, Codec]) -> None:
    """Bitcoin Core refuses a segwit marker whose witnesses are all empty ('Superfluous witness
    record'); the IPLD reference, which the module follows, decodes it: so does the module."""
    from tests._refjs import require_refjs, run_reference

    require_refjs()
    answers = run_reference("bitcoin_ref.mjs", [f"tx {h}" for h in ODD_TXS.values()])
    for (label, tx), answer in zip(ODD_TXS.items(), answers, strict=True):
        block = bytes.fromhex(tx)
        try:
            ours = builtin_encode(codecs["bitcoin-tx"].decode(block), "dag-cbor").hex()
        except GuestError:
            assert answer.startswith("ERR"), f"{label}: we refuse, the reference decodes"
            continue
        assert ours == answer, label
        assert codecs["bitcoin-tx"].encode(codecs["bitcoin-tx"].decode(block)) == block
    assert [a.startswith("ERR") for a in answers] == [False, False, False, False, True, True]
