"""Write ``vectors.json`` for the dag-jose module from the IPLD spec's fixtures (fixtures/dag-jose,
from ipld/ipld specs/codecs/dag-jose/fixtures), with the decoded form the spec prints for each
(its DAG-JSON "datamodel" fixtures, which tests/test_mod_jose.py also checks against the npm
reference), plus malformed blocks and values.  Run: ``python wasm-src/dag-jose/make_vectors.py``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from autocodec import CID
from autocodec.builtin import decode, encode

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "fixtures" / "dag-jose" / "fixtures.json"
JWS_FIELDS = ("protected", "signature")
JWE_FIELDS = ("aad", "ciphertext", "iv", "protected", "tag")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def expected(block: bytes) -> dict[str, Any]:
    """The decoded JOSE of the spec, written from the wire form with Python's own base64."""
    wire = decode(block, "dag-cbor")
    if "payload" in wire:
        jws: dict[str, Any] = {"payload": b64url(wire["payload"]), "link": CID(wire["payload"])}
        if "signatures" in wire:  # optional, as in Kubo (go-dag-jose)
            jws["signatures"] = [{**({"header": s["header"]} if "header" in s else {}),
                                  **{k: b64url(s[k]) for k in JWS_FIELDS if k in s}} for s in wire["signatures"]]
        return jws
    out: dict[str, Any] = {k: b64url(wire[k]) for k in JWE_FIELDS if k in wire}
    if "recipients" in wire:
        out["recipients"] = [
            {**({"header": r["header"]} if "header" in r else {}),
             **({"encrypted_key": b64url(r["encrypted_key"])} if "encrypted_key" in r else {})}
            for r in wire["recipients"]
        ]
    if "unprotected" in wire:
        out["unprotected"] = wire["unprotected"]
    return out


def fixtures() -> list[dict[str, Any]]:
    return [{**f, "bytes": bytes.fromhex(f["hex"])} for f in json.loads(FIXTURES.read_text())]


def main() -> None:
    cases: list[dict[str, Any]] = []
    fx = {f["name"]: f["bytes"] for f in fixtures()}
    for block in fx.values():
        cases.append({"decode": block, "expect": expected(block)})
    jws = decode(fx["jws"], "dag-cbor")
    jwe = decode(fx["jwe-symmetric"], "dag-cbor")
    # Kubo 0.43.1 (go-dag-jose) decodes these, showing only the fields present: a JWS without
    # signatures, a JWE with only a ciphertext (or without its iv, protected or tag).
    for partial in (
        {"payload": jws["payload"]},
        {"ciphertext": jwe["ciphertext"]},
        {k: v for k, v in jwe.items() if k != "tag"},
        {k: v for k, v in jwe.items() if k not in ("iv", "protected")},
    ):
        block = encode(partial, "dag-cbor")
        cases.append({"decode": block, "expect": expected(block)})
    for bad in (
        b"",
        b"\xa0",
        fx["jws"][:-1],
        fx["jws"] + b"\x00",
        encode([1], "dag-cbor"),
        encode({**jws, "extra": 1}, "dag-cbor"),
        encode({**jws, **jwe}, "dag-cbor"),
        encode({"signatures": jws["signatures"]}, "dag-cbor"),
        encode({**jws, "payload": "text"}, "dag-cbor"),
        encode({**jws, "signatures": [{"protected": b"x"}]}, "dag-cbor"),
        encode({**jws, "signatures": [{**jws["signatures"][0], "header": None}]}, "dag-cbor"),
        encode({k: v for k, v in jwe.items() if k != "ciphertext"}, "dag-cbor"),
        encode({**jwe, "recipients": {}}, "dag-cbor"),
        encode({**jwe, "iv": "x"}, "dag-cbor"),
    ):
        cases.append({"decode": bad, "error": True})
    good = expected(fx["jws"])
    good_jwe = expected(fx["jwe-asymmetric"])
    for value in (
        {},
        {**good, "link": CID.parse("bafkqaaa")},
        {**good, "payload": good["payload"] + "="},
        {**good, "payload": good["payload"][:-1] + "1"},
        {**good, "extra": 1},
        {k: v for k, v in good.items() if k != "link"},
        {**good_jwe, "iv": "!!!!"},
        {k: v for k, v in good_jwe.items() if k != "ciphertext"},
        [good],
    ):
        cases.append({"encode": value, "error": True})
    doc = {"kind": "codec", "cases": cases}
    (HERE / "vectors.json").write_bytes(encode(doc, "dag-json") + b"\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
