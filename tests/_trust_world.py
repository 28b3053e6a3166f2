"""A home that trusts one module of every kind the revocation tests need, built for real.

A publisher home signs a set (``revocable``) listing bencode (codec 0x63), keccak-256 (hasher
0x1b), ipld-select (task), chunker-fixed (chunker) and bip340 (crypto, secp256k1-pub); a user home pins its bundle, allow-lists the dag-cbor codec
module by CID (for self-describing blocks) and stores one block of each: a bencode block, a
keccak-256 raw block and an envelope block decoded by the dag-cbor module. Modules come from wasm-src/,
keys are real Ed25519 keys, the bundle is a real CAR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autocodec import CID, builtin
from autocodec.registry import Runtime, add_manifest, export_set, init_set, pin_add, publish_module, publish_set
from autocodec.registry._selfdescribing import ENVELOPE_CODEC, wrap
from autocodec.verify import KeyRing

REPO = Path(__file__).resolve().parents[1]
WASM = REPO / "wasm-src"
SET_NAME = "revocable"
TASK = "ipld-select"
CHUNKER = "chunker-fixed"
KECCAK_BLOCK = b"revocation reaches every path\n"
BENCODE_BLOCK = b"d3:agei36e4:name3:Bobe"
ENVELOPE_VALUE = {"revoked": False, "n": [1, 2, 3]}


@dataclass(frozen=True)
class TrustWorld:
    user_home: Path
    publisher_did: str
    codec_module: CID
    hasher_module: CID
    task_module: CID
    chunker_module: CID
    crypto_module: CID
    envelope_module: CID
    codec_cid: CID
    keccak_cid: CID
    envelope_cid: CID


def build(tmp: Path) -> TrustWorld:
    """Publish the set, pin it in a fresh user home and store the blocks; returns what was made."""
    bundle = tmp / "revocable.car"
    with Runtime(tmp / "publisher", default_set=False) as pub:
        key = KeyRing(pub.home.keys_dir).generate("pub")
        init_set(pub, SET_NAME, [key], ["pub"])
        modules = {}
        for name in ("bencode", "keccak-256", TASK, CHUNKER, "bip340"):
            published = publish_module(pub, WASM / name / f"{name}.wasm", key)
            add_manifest(pub, SET_NAME, published.manifest_cid)
            modules[name] = published.module_cid
        publish_set(pub, SET_NAME, [key])
        export_set(pub, SET_NAME, bundle)
    user_home = tmp / "user"
    with Runtime(user_home, default_set=False) as user:
        pin_add(user, str(bundle))
        codec_cid = user.put(BENCODE_BLOCK, "bencode")
        keccak_cid = user.put(KECCAK_BLOCK, "raw", "keccak-256")
        envelope_module = user.put((WASM / "dag-cbor" / "dag-cbor.wasm").read_bytes(), "raw")
        user.trust.allow(str(envelope_module))
        envelope_cid = user.put(wrap(envelope_module, builtin.encode(ENVELOPE_VALUE, "dag-cbor")), ENVELOPE_CODEC)
    return TrustWorld(user_home, key.did, modules["bencode"], modules["keccak-256"], modules[TASK],
                      modules[CHUNKER], modules["bip340"], envelope_module, codec_cid, keccak_cid, envelope_cid)
