"""The attack suite's world: a set publisher and a hostile network, with real Ed25519 keys.

Shared by the attack, verify and registry tests (in the spirit of python-tuf's repository
simulator): ``World`` signs roots, indexes and manifests with deterministic test keys and
serves every block through ``fetch(cid)`` over a dict, which a test may tamper with freely.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from autocodec import CID
from autocodec.builtin import decode, encode
from autocodec.errors import FetchError
from autocodec.verify import (
    Delegation,
    Index,
    IndexEntry,
    Manifest,
    Role,
    Root,
    SigningKey,
    TrustedState,
    VerifiedSet,
    module_blocks,
    module_cid,
    pae,
    sign,
    trust_anchor,
    verify_set,
)
from autocodec.verify._canonical import document_cid

REPO = Path(__file__).resolve().parents[1]
NOW = 1_800_000_000
DAY = 86_400
YEAR = 365 * DAY


def _module_bytes() -> bytes:
    """A real committed extension module (any), or the smallest valid Wasm module."""
    for path in sorted(REPO.glob("wasm-src/*/*.wasm")):
        return path.read_bytes()
    return b"\x00asm\x01\x00\x00\x00"


def key(name: str) -> SigningKey:
    """A deterministic test key per name."""
    return SigningKey.from_seed(hashlib.sha256(b"autocodec-test-key:" + name.encode()).digest())


class World:
    """A set publisher and a hostile network: blocks by CID, signed with real keys."""

    def __init__(self) -> None:
        self.blocks: dict[CID, bytes] = {}
        self.root_keys = [key("root-a"), key("root-b"), key("root-c")]
        self.index_keys = [key("index-a"), key("index-b"), key("index-c")]
        self.publisher = key("publisher")
        self.module = _module_bytes()
        self.roots: list[tuple[CID, Root]] = []
        self.root_cid, _ = self.make_root(1)
        self.anchor = self.root_cid

    # --- the network ---------------------------------------------------------------------

    def put(self, cid: CID, data: bytes) -> CID:
        self.blocks[cid] = data
        return cid

    def fetch(self, cid: CID) -> bytes:
        try:
            return self.blocks[cid]
        except KeyError:
            raise FetchError(f"no block {cid}") from None

    # --- documents -----------------------------------------------------------------------

    def make_root(self, version: int, *, root_keys: list[SigningKey] | None = None, threshold: int = 2,
                  index_keys: list[SigningKey] | None = None, index_threshold: int = 2,
                  delegations: tuple[Delegation, ...] = (), expires: int = NOW + YEAR,
                  previous: CID | None = None, signers: Iterable[SigningKey] | None = None,
                  set_name: str = "test-set") -> tuple[CID, Root]:
        root_keys = root_keys or self.root_keys
        index_keys = index_keys or self.index_keys
        if previous is None and version > 1:
            previous = self.roots[-1][0]
        root = Root(set_name, version, expires, Role(tuple(k.did for k in root_keys), threshold),
                    Role(tuple(k.did for k in index_keys), index_threshold), delegations, previous)
        if signers is None:
            old = self.roots[-1][1] if self.roots and version > 1 else None
            signers = list(root_keys[:threshold])
            if old is not None:
                signers += [k for k in self.root_keys_of(old)[: old.root.threshold] if k.did not in {s.did for s in signers}]
        cid, data = sign(root, signers)
        self.put(cid, data)
        self.roots.append((cid, root))
        return cid, root

    def root_keys_of(self, root: Root) -> list[SigningKey]:
        by_did = {k.did: k for k in self.all_keys()}
        return [by_did[d] for d in root.root.keys]

    def all_keys(self) -> list[SigningKey]:
        return [*self.root_keys, *self.index_keys, self.publisher, *(key(f"extra-{i}") for i in range(6)),
                key("delegate"), key("rogue")]

    def manifest(self, *, kind: str = "codec", codes: tuple[int, ...] = (0x300001,), name: str = "test-codec",
                 publisher: SigningKey | None = None, signers: Iterable[SigningKey] | None = None,
                 module: bytes | None = None, expires: int | None = None, abi: int = 1,
                 version: str = "1.0.0", module_cid_override: CID | None = None,
                 size: int | None = None, vectors: CID | None = None) -> CID:
        publisher = publisher or self.publisher
        wasm = self.module if module is None else module
        m = Manifest(kind=kind, name=name, codes=codes, module=module_cid_override or module_cid(wasm),
                     size=len(wasm) if size is None else size, version=version, publisher=publisher.did,
                     issued=NOW - DAY, abi=abi, expires=expires, source=None,
                     build={"toolchain": "zig", "version": "0.17.1"}, vectors=vectors, supersedes=None)
        cid, data = sign(m, [publisher] if signers is None else signers)
        for block_cid, block in module_blocks(wasm).blocks:  # one raw block, or over 1 MiB its file DAG
            self.put(block_cid, block)
        return self.put(cid, data)

    def index(self, version: int, entries: Iterable[tuple[str, int | str, CID]] = (), *,
              root: CID | None = None, role: str = "index", expires: int = NOW + 30 * DAY,
              delegations: dict[str, CID] | None = None, signers: Iterable[SigningKey] | None = None,
              set_name: str = "test-set") -> CID:
        idx = Index(set_name, role, version, expires, root or self.roots[-1][0],
                    tuple(IndexEntry(k, c, m) for k, c, m in entries), delegations or {})
        cid, data = sign(idx, self.index_keys[:2] if signers is None else signers)
        return self.put(cid, data)

    def state(self) -> TrustedState:
        return trust_anchor(self.blocks[self.anchor], cid=self.anchor)

    def verify(self, index_cid: CID, state: TrustedState | None = None, now: int = NOW) -> VerifiedSet:
        return verify_set(state or self.state(), index_cid, self.fetch, now=now)



def resign_envelope(data: bytes, keys: Iterable[SigningKey], *, ptype: str | None = None,
                     payload: bytes | None = None) -> tuple[CID, bytes]:
    """Rebuild an envelope around an (altered) payload, signed as given."""
    env = decode(data, "dag-cbor")
    body = env["payload"] if payload is None else payload
    t = env["payloadType"] if ptype is None else ptype
    sigs = [{"keyid": k.did, "sig": k.sign(pae(t, body))} for k in keys]
    out = encode({"payloadType": t, "payload": body, "signatures": sigs}, "dag-cbor")
    return document_cid(out), out
