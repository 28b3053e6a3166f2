"""The signed documents: root, index and manifest (shapes in docs/trust.md).

Invariants:
- ``from_value`` accepts exactly the documented shape: unknown or missing fields, wrong
  types, out-of-range numbers, duplicate keys in a role, a threshold of 0 or above the number
  of keys, a code listed twice in one index are all ``InvalidDocument``.
- ``to_value`` is the inverse of ``from_value``; encoding it gives the canonical payload.
- Times are integer Unix seconds (UTC). Every DID is a valid, not-small-order Ed25519 did:key.
- Codes are keyed by ``(kind, code)`` for codecs, hashers and crypto and ``(kind, name)`` for
  chunkers and tasks, which have no multicodec code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..abi import MAX_CODES, NAME, VERSION, Kind
from ..cid import CID
from ..errors import InvalidDocument
from ._ed25519 import InvalidKey, PublicKey

SPEC = 1
ABI_VERSION = 1
CODED_KINDS: tuple[str, ...] = tuple(k.value for k in Kind if k.coded)
NAMED_KINDS: tuple[str, ...] = tuple(k.value for k in Kind if not k.coded)
MODULE_KINDS = CODED_KINDS + NAMED_KINDS
_MAX_CODE = (1 << 63) - 1
_MAX_TIME = (1 << 53)
RESERVED_ROLE_NAMES = frozenset({"root", "index"})
"""Names of the top roles; no delegation may take one (issue 16, item 5: role confusion)."""


def delegation_role(name: str) -> str:
    """The key under which a delegation's versions are stored: its own namespace, so a
    delegation's name can never reach a top role's version floor (``NAME`` has no ``/``)."""
    return f"delegation/{name}"

EntryKey = tuple[str, int | str]
"""``(kind, code)`` or ``(kind, name)``."""


# --- field validators ----------------------------------------------------------------------


def _fields(value: Any, what: str, required: set[str], optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidDocument(f"{what} must be a map")
    keys = set(value)
    if missing := required - keys:
        raise InvalidDocument(f"{what} lacks {', '.join(sorted(missing))}")
    if extra := keys - required - optional:
        raise InvalidDocument(f"{what} has unknown field(s) {', '.join(sorted(map(str, extra)))[:200]}")
    return value


def _int(value: Any, what: str, lo: int = 0, hi: int = _MAX_CODE) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise InvalidDocument(f"{what} must be an integer in [{lo}, {hi}]")
    return value


def _str(value: Any, what: str, pattern: re.Pattern[str] | None = None, max_len: int = 256) -> str:
    if not isinstance(value, str) or len(value) > max_len or (pattern and not pattern.fullmatch(value)):
        raise InvalidDocument(f"{what} must be a string{' matching ' + pattern.pattern if pattern else ''}")
    return value


def _cid(value: Any, what: str, *, optional: bool = False) -> CID | None:
    if value is None and optional:
        return None
    if not isinstance(value, CID):
        raise InvalidDocument(f"{what} must be a CID link")
    return value


def _did(value: Any, what: str) -> str:
    try:
        return PublicKey.from_did(value).did
    except InvalidKey as exc:
        raise InvalidDocument(f"{what}: {exc.message}") from None


def _time(value: Any, what: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    return _int(value, what, 0, _MAX_TIME)


def _kind(value: Any, what: str) -> str:
    if not isinstance(value, str) or value not in MODULE_KINDS:
        raise InvalidDocument(f"{what} must be one of {', '.join(MODULE_KINDS)}")
    return value


# --- roles ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Role:
    """A set of keys and how many of them must sign."""

    keys: tuple[str, ...]
    threshold: int

    def __post_init__(self) -> None:
        if len(set(self.keys)) != len(self.keys):
            raise InvalidDocument("a role lists the same key twice")
        if not 1 <= self.threshold <= len(self.keys):
            raise InvalidDocument(f"role threshold {self.threshold} is not in [1, {len(self.keys)}]")

    def to_value(self) -> dict[str, Any]:
        return {"keys": list(self.keys), "threshold": self.threshold}

    @classmethod
    def from_value(cls, value: Any, what: str, max_keys: int) -> Role:
        v = _fields(value, what, {"keys", "threshold"})
        if not isinstance(v["keys"], list) or not 0 < len(v["keys"]) <= max_keys:
            raise InvalidDocument(f"{what} keys must be a list of 1 to {max_keys} DIDs")
        keys = tuple(_did(k, f"{what} key") for k in v["keys"])
        return cls(keys, _int(v["threshold"], f"{what} threshold", 1, max_keys))


@dataclass(frozen=True, slots=True)
class Delegation:
    """A role trusted only for ``kinds`` and codes inside ``ranges`` (inclusive bounds)."""

    name: str
    role: Role
    kinds: tuple[str, ...]
    ranges: tuple[tuple[int, int], ...]

    def covers(self, kind: str, key: int | str) -> bool:
        if kind not in self.kinds or not isinstance(key, int):
            return False
        return any(lo <= key <= hi for lo, hi in self.ranges)

    def to_value(self) -> dict[str, Any]:
        return {"name": self.name, **self.role.to_value(), "kinds": list(self.kinds),
                "ranges": [[lo, hi] for lo, hi in self.ranges]}

    @classmethod
    def from_value(cls, value: Any, max_keys: int) -> Delegation:
        v = _fields(value, "delegation", {"name", "keys", "threshold", "kinds", "ranges"})
        name = _str(v["name"], "delegation name", NAME)
        if name in RESERVED_ROLE_NAMES:
            raise InvalidDocument(f"a delegation cannot be named {name!r}: that name is reserved for a top role")
        role = Role.from_value({"keys": v["keys"], "threshold": v["threshold"]}, f"delegation {name!r}", max_keys)
        if not isinstance(v["kinds"], list) or not v["kinds"]:
            raise InvalidDocument(f"delegation {name!r} kinds must be a non-empty list")
        kinds = tuple(_kind(k, f"delegation {name!r} kind") for k in v["kinds"])
        if any(k not in CODED_KINDS for k in kinds):
            raise InvalidDocument(f"delegation {name!r}: only {', '.join(CODED_KINDS)} have code ranges")
        if not isinstance(v["ranges"], list) or not 0 < len(v["ranges"]) <= 64:
            raise InvalidDocument(f"delegation {name!r} ranges must be a list of 1 to 64 [lo, hi] pairs")
        ranges = []
        for r in v["ranges"]:
            if not isinstance(r, list) or len(r) != 2:
                raise InvalidDocument(f"delegation {name!r} range must be [lo, hi]")
            lo, hi = _int(r[0], "range start"), _int(r[1], "range end")
            if lo > hi:
                raise InvalidDocument(f"delegation {name!r} range [{lo}, {hi}] is empty")
            ranges.append((lo, hi))
        return cls(name, role, kinds, tuple(ranges))


# --- root ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Root:
    """Who may sign what in one extension set; version N+1 names version N as ``previous``."""

    set: str
    version: int
    expires: int
    root: Role
    index: Role
    delegations: tuple[Delegation, ...] = ()
    previous: CID | None = None

    def to_value(self) -> dict[str, Any]:
        return {"type": "root", "spec": SPEC, "set": self.set, "version": self.version,
                "expires": self.expires, "previous": self.previous,
                "roles": {"root": self.root.to_value(), "index": self.index.to_value()},
                "delegations": [d.to_value() for d in self.delegations]}

    def delegation(self, name: str) -> Delegation | None:
        return next((d for d in self.delegations if d.name == name), None)

    @classmethod
    def from_value(cls, value: Any, *, max_keys: int, max_delegations: int) -> Root:
        v = _fields(value, "root", {"type", "spec", "set", "version", "expires", "previous", "roles", "delegations"})
        if v["type"] != "root" or v["spec"] != SPEC:
            raise InvalidDocument("not a root document of spec 1")
        version = _int(v["version"], "root version", 1)
        previous = _cid(v["previous"], "root previous", optional=True)
        if (previous is None) != (version == 1):
            raise InvalidDocument("root previous must be null exactly for version 1")
        roles = _fields(v["roles"], "root roles", {"root", "index"})
        if not isinstance(v["delegations"], list) or len(v["delegations"]) > max_delegations:
            raise InvalidDocument(f"root delegations must be a list of at most {max_delegations}")
        delegations = tuple(Delegation.from_value(d, max_keys) for d in v["delegations"])
        if len({d.name for d in delegations}) != len(delegations):
            raise InvalidDocument("root names a delegation twice")
        return cls(_str(v["set"], "set name", NAME), version, _time(v["expires"], "root expires"),  # type: ignore[arg-type]
                   Role.from_value(roles["root"], "root role", max_keys),
                   Role.from_value(roles["index"], "index role", max_keys), delegations, previous)


# --- index ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One listing of an index. ``downgrade``: the set's publisher marks the entry's module as
    deliberately older than a version the set listed before for this key (a rollback users
    accept on update); written only when true, so unmarked entries keep their bytes and CIDs."""

    kind: str
    key: int | str
    manifest: CID
    downgrade: bool = False

    def to_value(self) -> dict[str, Any]:
        field_name = "code" if self.kind in CODED_KINDS else "name"
        value: dict[str, Any] = {"kind": self.kind, field_name: self.key, "manifest": self.manifest}
        if self.downgrade:
            value["downgrade"] = True
        return value

    @classmethod
    def from_value(cls, value: Any) -> IndexEntry:
        if not isinstance(value, dict):
            raise InvalidDocument("index entry must be a map")
        kind = _kind(value.get("kind"), "index entry kind")
        marks = frozenset({"downgrade"})
        if kind in CODED_KINDS:
            v = _fields(value, "index entry", {"kind", "code", "manifest"}, marks)
            key: int | str = _int(v["code"], "index entry code")
        else:
            v = _fields(value, "index entry", {"kind", "name", "manifest"}, marks)
            key = _str(v["name"], "index entry name", NAME)
        if "downgrade" in v and v["downgrade"] is not True:  # absent means false: one encoding each
            raise InvalidDocument("index entry downgrade must be true when present")
        return cls(kind, key, _cid(v["manifest"], "index entry manifest"),  # type: ignore[arg-type]
                   "downgrade" in v)


@dataclass(frozen=True, slots=True)
class Index:
    """What a set offers: ``(kind, code|name) -> manifest`` for one role, under one root.

    The top index (``role == "index"``) also pins the envelope CID of each delegated index,
    so nothing from another version of the set can be mixed in.
    """

    set: str
    role: str
    version: int
    expires: int
    root: CID
    entries: tuple[IndexEntry, ...]
    delegations: dict[str, CID] = field(default_factory=dict)

    def to_value(self) -> dict[str, Any]:
        return {"type": "index", "spec": SPEC, "set": self.set, "role": self.role, "version": self.version,
                "expires": self.expires, "root": self.root,
                "entries": [e.to_value() for e in self.entries], "delegations": dict(self.delegations)}

    @classmethod
    def from_value(cls, value: Any, *, max_entries: int, max_delegations: int) -> Index:
        v = _fields(value, "index", {"type", "spec", "set", "role", "version", "expires", "root", "entries", "delegations"})
        if v["type"] != "index" or v["spec"] != SPEC:
            raise InvalidDocument("not an index document of spec 1")
        role = _str(v["role"], "index role", NAME)
        if not isinstance(v["entries"], list) or len(v["entries"]) > max_entries:
            raise InvalidDocument(f"index entries must be a list of at most {max_entries}")
        entries = tuple(IndexEntry.from_value(e) for e in v["entries"])
        seen: set[EntryKey] = set()
        for e in entries:
            if (e.kind, e.key) in seen:
                raise InvalidDocument(f"index lists {e.kind} {e.key!r} twice")
            seen.add((e.kind, e.key))
        dele = v["delegations"]
        if not isinstance(dele, dict) or len(dele) > max_delegations:
            raise InvalidDocument(f"index delegations must be a map of at most {max_delegations}")
        if dele and role != "index":
            raise InvalidDocument("only the top index may pin delegated indexes")
        delegations = {_str(k, "delegation name", NAME): _cid(c, "delegated index") for k, c in dele.items()}
        if RESERVED_ROLE_NAMES & delegations.keys():
            raise InvalidDocument("an index cannot pin a delegated index under a reserved role name (root, index)")
        return cls(_str(v["set"], "set name", NAME), role, _int(v["version"], "index version", 1),
                   _time(v["expires"], "index expires"), _cid(v["root"], "index root"),  # type: ignore[arg-type]
                   entries, delegations)  # type: ignore[arg-type]


# --- manifest ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Manifest:
    """One version of one module, as its publisher vouches for it."""

    kind: str
    name: str
    codes: tuple[int, ...]
    module: CID
    size: int
    version: str
    publisher: str
    issued: int
    abi: int = ABI_VERSION
    expires: int | None = None
    source: CID | None = None
    build: dict[str, str] | None = None
    vectors: CID | None = None
    supersedes: CID | None = None

    def provides(self, kind: str, key: int | str) -> bool:
        if kind != self.kind:
            return False
        return key in self.codes if kind in CODED_KINDS else key == self.name

    def to_value(self) -> dict[str, Any]:
        return {"type": "manifest", "spec": SPEC, "kind": self.kind, "name": self.name, "codes": list(self.codes),
                "module": self.module, "size": self.size, "abi": self.abi, "version": self.version,
                "publisher": self.publisher, "issued": self.issued, "expires": self.expires,
                "source": self.source, "build": self.build, "vectors": self.vectors, "supersedes": self.supersedes}

    @classmethod
    def from_value(cls, value: Any, *, max_module_bytes: int) -> Manifest:
        v = _fields(value, "manifest", {"type", "spec", "kind", "name", "codes", "module", "size", "abi", "version",
                                        "publisher", "issued", "expires", "source", "build", "vectors", "supersedes"})
        if v["type"] != "manifest" or v["spec"] != SPEC:
            raise InvalidDocument("not a manifest document of spec 1")
        kind = _kind(v["kind"], "manifest kind")
        if not isinstance(v["codes"], list) or len(v["codes"]) > MAX_CODES:
            raise InvalidDocument(f"manifest codes must be a list of at most {MAX_CODES} codes")
        codes = tuple(_int(c, "manifest code") for c in v["codes"])
        if len(set(codes)) != len(codes):
            raise InvalidDocument("manifest lists a code twice")
        if (kind in CODED_KINDS) != bool(codes):
            raise InvalidDocument(f"a {kind} manifest must {'list' if kind in CODED_KINDS else 'not list'} codes")
        build = v["build"]
        if build is not None:
            b = _fields(build, "manifest build", {"toolchain", "version"})
            build = {"toolchain": _str(b["toolchain"], "build toolchain"), "version": _str(b["version"], "build version")}
        return cls(kind=kind, name=_str(v["name"], "manifest name", NAME), codes=codes,
                   module=_cid(v["module"], "manifest module"),  # type: ignore[arg-type]
                   size=_int(v["size"], "manifest size", 1, max_module_bytes),
                   abi=_int(v["abi"], "manifest abi", 0, 1 << 31),
                   version=_str(v["version"], "manifest version", VERSION),
                   publisher=_did(v["publisher"], "manifest publisher"),
                   issued=_time(v["issued"], "manifest issued"),  # type: ignore[arg-type]
                   expires=_time(v["expires"], "manifest expires", optional=True),
                   source=_cid(v["source"], "manifest source", optional=True),
                   build=build, vectors=_cid(v["vectors"], "manifest vectors", optional=True),
                   supersedes=_cid(v["supersedes"], "manifest supersedes", optional=True))
