"""Receipts: a signed, content-addressed claim "executor X ran invocation I and got this".

Block (DAG-CBOR map; fields after UCAN Invocation receipts: ``ran``, ``out``, ``fx``,
``meta``, ``iss``, ``prf``)::

    {"ipvm/receipt@1": {"ran": <link: the invocation>,
                        "out": {"ok": VALUE} | {"error": {"kind": "FuelExhausted", "message": "..."}},
                        "fx": {"fork": []},
                        "meta": {"fuel": 123456, "module": "ipld-select@1.0.0"},
                        "iss": "did:key:z6Mk...",
                        "prf": []},
     "sig": <64-byte Ed25519 signature>}

Invariants:
- ``sig`` is Ed25519 by ``iss`` over the DSSE pre-authentication encoding of the canonical
  DAG-CBOR of the payload with payload type ``application/vnd.autocodec.ipvm-receipt+dag-cbor``
  (the envelope scheme of autocodec.verify, with its own type so a receipt signature is never
  valid as a manifest's, or the other way round).
- ``Receipt.verify_block`` accepts only canonical DAG-CBOR of exactly this shape whose
  signature verifies (strict: small-order keys, non-canonical ``S`` refused); anything else
  raises ``InvalidDocument`` or ``SignatureError``.
- Nothing in a receipt depends on the clock: Ed25519 is deterministic, so the same executor,
  invocation, result and fuel always give the same receipt CID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cid import CID
from ..errors import InvalidBlock, InvalidDocument, SignatureError

TAG = "ipvm/receipt@1"
PAYLOAD_TYPE = "application/vnd.autocodec.ipvm-receipt+dag-cbor"
_PAYLOAD_KEYS = {"ran", "out", "fx", "meta", "iss", "prf"}


@dataclass(frozen=True)
class Receipt:
    """The payload of a receipt (what the signature covers)."""

    ran: CID
    out: dict[str, Any]
    fuel: int
    module: str
    issuer: str

    @property
    def ok(self) -> bool:
        return "ok" in self.out

    @property
    def value(self) -> Any:
        """The ``ok`` result (``None`` for an error receipt)."""
        return self.out.get("ok")

    @property
    def error(self) -> tuple[str, str] | None:
        """``(kind, message)`` of an error receipt, else None."""
        err = self.out.get("error")
        return (err["kind"], err["message"]) if err is not None else None

    def payload(self) -> dict[str, Any]:
        return {"ran": self.ran, "out": self.out, "fx": {"fork": []},
                "meta": {"fuel": self.fuel, "module": self.module}, "iss": self.issuer, "prf": []}

    def sign(self, key: Any) -> tuple[CID, bytes]:
        """Sign with ``key`` (a ``SigningKey`` whose DID is ``issuer``); ``(cid, block)``."""
        from ..builtin import cid_for, encode

        if key.did != self.issuer:
            raise ValueError("the signing key is not the receipt's issuer")
        sig = key.sign(_message(self.payload()))
        block = encode({TAG: self.payload(), "sig": sig}, "dag-cbor")
        return cid_for(block, "dag-cbor"), block

    @staticmethod
    def ok_out(value: Any) -> dict[str, Any]:
        return {"ok": value}

    @staticmethod
    def error_out(kind: str, message: str) -> dict[str, Any]:
        return {"error": {"kind": kind, "message": message[:1000]}}

    @classmethod
    def from_payload(cls, value: Any) -> Receipt:
        if not isinstance(value, dict) or set(value) != _PAYLOAD_KEYS:
            raise InvalidDocument(f"a receipt payload is a map of {', '.join(sorted(_PAYLOAD_KEYS))}")
        ran, out, meta, iss = value["ran"], value["out"], value["meta"], value["iss"]
        if not isinstance(ran, CID):
            raise InvalidDocument("receipt ran must be a link to the invocation")
        if not isinstance(out, dict) or len(out) != 1 or not ({"ok"} == set(out) or _is_error(out)):
            raise InvalidDocument("receipt out must be {ok: value} or {error: {kind, message}}")
        if value["fx"] != {"fork": []} or value["prf"] != []:
            raise InvalidDocument("receipt fx must be {fork: []} and prf [] (tasks have no effects)")
        if (not isinstance(meta, dict) or set(meta) != {"fuel", "module"} or not isinstance(meta["fuel"], int)
                or isinstance(meta["fuel"], bool) or meta["fuel"] < 0 or not isinstance(meta["module"], str)):
            raise InvalidDocument("receipt meta must be {fuel: int >= 0, module: text}")
        if not isinstance(iss, str) or not iss.startswith("did:key:"):
            raise InvalidDocument("receipt iss must be a did:key")
        return cls(ran, out, meta["fuel"], meta["module"], iss)

    @classmethod
    def verify_block(cls, data: bytes) -> Receipt:
        """Parse a receipt block and check its signature; the verified payload."""
        from .._inputs import as_bytes
        from ..builtin import decode, encode
        from ..verify import InvalidKey, PublicKey

        data = as_bytes(data, "Receipt.verify_block")
        try:
            value = decode(data, "dag-cbor")
        except InvalidBlock as exc:
            raise InvalidDocument(f"a receipt must be DAG-CBOR: {exc.message}") from None
        if not isinstance(value, dict) or set(value) != {TAG, "sig"} or not isinstance(value["sig"], bytes):
            raise InvalidDocument(f"a receipt block is a map of {TAG!r} and sig (bytes)")
        if encode(value, "dag-cbor") != bytes(data):
            raise InvalidDocument("the receipt block is not canonical DAG-CBOR")
        receipt = cls.from_payload(value[TAG])
        try:
            good = PublicKey.from_did(receipt.issuer).verify(value["sig"], _message(value[TAG]))
        except InvalidKey as exc:
            raise SignatureError(f"receipt issuer {receipt.issuer[:80]} is not a usable key: {exc.message}") from None
        if not good:
            raise SignatureError(f"the receipt's signature does not verify for {receipt.issuer}")
        return receipt

    @classmethod
    def verify_stored(cls, runtime: Any, cid: CID) -> Receipt:
        """``verify_block`` of the block ``runtime`` has (or fetches) under ``cid``; a block that
        is no receipt, or whose signature fails, raises its error with the CID named; a CID of
        another codec is ``InvalidInput`` before any block is read (receipts are DAG-CBOR)."""
        if cid.codec != 0x71:
            from ..codes import codec_name
            from ..errors import InvalidInput

            raise InvalidInput(f"{cid} names a {codec_name(cid.codec)} block, not a receipt (receipts are DAG-CBOR)",
                               hint="give the CID of a job's receipt (`autocodec receipt ls` lists them)")
        data = runtime.get(cid)
        try:
            return cls.verify_block(data)
        except (InvalidDocument, SignatureError) as exc:
            raise type(exc)(f"receipt {cid}: {exc.message}", hint=exc.hint) from None


def _is_error(out: dict[str, Any]) -> bool:
    err = out.get("error")
    return (set(out) == {"error"} and isinstance(err, dict) and set(err) == {"kind", "message"}
            and isinstance(err["kind"], str) and isinstance(err["message"], str))


def _message(payload: dict[str, Any]) -> bytes:
    from ..builtin import encode
    from ..verify import pae

    return pae(PAYLOAD_TYPE, encode(payload, "dag-cbor"))
