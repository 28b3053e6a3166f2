"""The one error hierarchy of autocodec.

Invariants:
- Every error autocodec raises on purpose is an ``AutocodecError``; anything else escaping
  a public function is a bug.
- Classes split by *cause* (not found, invalid input, untrusted, sandbox limit, ...), so a
  caller catches the cause it can act on: the registry catches ``UnknownCodec`` and
  ``UnknownHash`` to resolve an extension, the gateway maps causes to HTTP status codes.
- Each class carries a default ``hint`` saying what to do next; the CLI prints
  ``autocodec: <message> (<hint>)`` on one line and exits 1.
"""

from __future__ import annotations

from typing import NamedTuple


class ModuleRef(NamedTuple):
    """The extension module an error came from: its name and version (its own metadata), its
    CID, and the pinned set that served it when the caller knows it. (A NamedTuple, not a
    dataclass: this module loads with every command, ``dataclasses`` with few.)"""

    name: str
    version: str
    cid: str
    set_name: str | None = None

    def __str__(self) -> str:
        served = f", set {self.set_name!r}" if self.set_name else ""
        return f"module {self.name} {self.version} ({self.cid}{served})"


class AutocodecError(Exception):
    """Root of every deliberate autocodec error.

    ``module`` names the extension module that raised it (set by the loader as the error
    leaves a module call, never on success); ``message`` stays the error's own words (IPVM
    receipts record it), ``told`` leads it with the module for people to read."""

    hint: str = "see `autocodec --help`"
    module: ModuleRef | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__

    @property
    def told(self) -> str:
        """The message, led by the module it came from when one did (``module``)."""
        return f"{self.module}: {self.message}" if self.module is not None else self.message

    def from_module(self, module: ModuleRef) -> None:
        """Name ``module`` as where this error came from, unless an inner call named one already."""
        if self.module is None:
            self.module = module

    def one_line(self) -> str:
        """The message (led by its module, ``told``) and hint on one line, as the CLI prints it."""
        text = " ".join(self.told.split())
        return f"{text} ({self.hint})" if self.hint else text


# --- not found -------------------------------------------------------------------------


class NotFound(AutocodecError):
    hint = "check the identifier, or fetch it first"


class BlockNotFound(NotFound):
    hint = "put or import the block, or configure a node or gateway to fetch it from"


class NameNotFound(NotFound):
    """No IPNS record of a name where it was looked up: the node's routing found none, the
    gateway had none, or the node is offline and holds none."""

    hint = ("check the name; its publisher may not have published it yet or its record may have expired, "
            "or ask an online node or another gateway")


class KeyNotFound(NotFound):
    hint = "list keys with `autocodec key list`, or create one with `autocodec key gen NAME`"


class SetNotFound(NotFound):
    hint = "list pinned sets with `autocodec pin ls`"


class PathNotFound(NotFound):
    """A path segment that names nothing in the node it was looked up in."""

    hint = "check the path; decode the last block it reached to see its fields and link names"


class ModuleNotFound(NotFound):
    hint = "check the module CID, or pin an extension set that provides it"


# --- unsupported formats (caught by the registry to resolve an extension) ---------------


class UnsupportedFormat(AutocodecError):
    hint = "pin an extension set that provides it (`autocodec pin add`)"


class _UnknownCode(UnsupportedFormat):
    """A table code with no builtin and no extension: ``code`` keeps it (a number, or the text
    that named none) for the registry to resolve; the default message shows a number in hex."""

    _noun = "code"

    def __init__(self, code: int | str, message: str | None = None, **kw: object) -> None:
        self.code = code
        shown = f"0x{code:x}" if isinstance(code, int) and code >= 0 else repr(code)
        super().__init__(message or f"unknown {self._noun} {shown}", **kw)  # type: ignore[arg-type]


class UnknownCodec(_UnknownCode):
    """No builtin codec and no extension for this multicodec code."""

    _noun = "codec"


class UnknownHash(_UnknownCode):
    """No builtin hasher and no extension for this multihash code."""

    _noun = "multihash"


class DigestLengthUnsupported(UnsupportedFormat):
    """A digest longer than the hash's own output, from a hasher that cannot make one (no
    extendable output: a Wasm hasher without ``ac_hash_xof``, or a fixed-size builtin)."""

    hint = ("use a CID with the hash's own digest length, or pin an extension set whose hasher "
            "makes longer digests (extendable output)")


class UnknownChunker(UnsupportedFormat):
    hint = "use size-N, fastcdc-MIN-AVG-MAX or buzhash"


class UnknownKeyType(UnsupportedFormat):
    hint = "pin an extension set with a crypto module for this key type"


# --- invalid input ----------------------------------------------------------------------


class InvalidInput(AutocodecError):
    hint = "check the input"


class InvalidCID(InvalidInput):
    hint = "give a CID in a multibase such as base32 (b...), base36 (k...), base58btc (z... or Qm...) or base16 (f...)"


class InvalidPath(InvalidInput):
    """A path that is not ``[/ipfs/|/ipld/]CID[/segment...]``."""

    hint = "write a path as CID/segment/... or /ipfs/CID/segment/... (or /ipld/CID/... for plain IPLD pathing)"


class InvalidBlock(InvalidInput):
    """Bytes that are not a valid block of the codec (malformed, hostile or over a limit)."""

    hint = ("these bytes are not a valid block of the codec their CID names, or are over a size limit: "
            "get the block again from a source you trust, or check what produced it")


class EncodeError(InvalidInput):
    """A value that cannot be encoded with the codec (wrong shape, non-string key, NaN...)."""

    hint = "the value does not fit the codec's data model"


class InvalidCar(InvalidInput):
    """A CAR file that is malformed, truncated or over a limit."""

    hint = "the CAR file is malformed or truncated; blocks read before the error were verified and kept"


class VersionTaken(InvalidInput):
    """A publisher key already signed other module bytes under this module name and version."""

    hint = "give the changed module a new version (module.json's \"version\") and publish it again; nothing was stored"


class InvalidDocument(InvalidInput):
    """A manifest, extension set, receipt or invocation that is malformed."""

    hint = "the document is malformed; ask its publisher for a valid one"


class VectorsTooCostly(InvalidDocument):
    """A module's test vectors ask for more work or time than one run may take
    (``TrustLimits.max_vectors_work``, ``vectors_deadline_s``, ``max_vector_checks``)."""

    hint = ("ask the module's publisher for fewer or smaller vectors; if they are legitimately this large, "
            "raise max_vectors_work or vectors_deadline_s under [limits.trust] in config.toml")


class VectorsTooLarge(InvalidDocument):
    """A module's test vectors document over ``TrustLimits.max_vectors_bytes``, as a file to
    publish or test (refused from its size, before it is read whole) or as the DAG-CBOR block a
    manifest names (refused before it is decoded or stored). Nothing was stored."""

    hint = ("keep fewer or smaller vectors (a vectors document is one block, fetched under the same cap), or raise "
            "max_vectors_bytes under [limits.trust] in config.toml")


class WrongDocument(InvalidInput):
    """A CID names a block of another kind than the one asked for: a raw block, or a set's root
    (its id) or index, or a manifest, where another of these is expected. Nothing was changed."""

    hint = "give the CID of the kind of document asked for"


# --- integrity ------------------------------------------------------------------------------


class IntegrityError(AutocodecError):
    hint = "the data does not match its identifier; fetch it again from a trusted source"


class HashMismatch(IntegrityError):
    """Bytes whose multihash does not match the CID they were given under."""


class WeakDigest(IntegrityError):
    """A CID whose digest is too short for bytes from elsewhere to be checked against it (under
    20 bytes, Kubo's minimum): anyone could make other bytes with that digest."""

    hint = "put the block into the local store yourself, or ask for it by a CID with a longer digest"


class DigestTooLong(IntegrityError):
    """A CID whose digest is over 128 bytes (boxo verifcid's maximum): Kubo refuses it whatever
    the bytes, and so does autocodec."""

    hint = "ask for the block by a CID with a digest of at most 128 bytes"


class StoreCorrupt(IntegrityError):
    hint = "put, import or fetch the block again (a verified copy replaces the damaged row)"


# --- trust ----------------------------------------------------------------------------------


class Untrusted(AutocodecError):
    """Something did not verify back to what the user chose to trust."""

    hint = "only pinned extension sets and allow-listed publishers are trusted; see `autocodec trust ls`"
    entry: tuple[str, str, str] | None = None
    """``(set id, set name, manifest CID)`` of the pinned set's entry this refusal is about, when
    a resolution refused one (``TrustStore.resolve``); None otherwise."""


class SignatureError(Untrusted):
    hint = "the signature does not verify; the document was altered or signed by another key"


class ThresholdNotMet(Untrusted):
    hint = "not enough distinct trusted keys signed this document"


class RollbackError(Untrusted):
    hint = "a version older than one already seen was offered; refusing to go back"


class ModuleDowngrade(RollbackError):
    """A set version would list, for a code or name, an older version of the module it listed
    before, and its publisher did not mark that rollback as deliberate."""

    hint = ("a lower module version is how a mistaken or malicious rollback ships; only the set's publisher "
            "can mark one as deliberate")


class ExpiredError(Untrusted):
    hint = "the document has expired; ask its publisher for a fresh one (`autocodec pin update`)"


class RevokedError(Untrusted):
    hint = "the key or manifest was revoked; see `autocodec trust ls`"


class DelegationError(Untrusted):
    hint = "the key signed for codes outside the range delegated to it"


class CanaryFailed(Untrusted):
    """A verified new version failed its canary (vectors, or disagreement with the serving version)."""

    hint = "the current version keeps serving; ask the set's publisher to fix the new one"


class NotTrusted(Untrusted):
    """A module or key that is in no pinned set and not on the allow-list."""


class RootChainError(Untrusted):
    """A root that does not follow the trusted one: a version jump, a fork or a broken link."""

    hint = "root versions go up one at a time, each signed by a threshold of the old and the new root keys"


class CallerRefused(Untrusted):
    """A request ``autocodec serve`` takes from no one but its own machine's programs (the
    admin routes: loopback only, and never from a web page, which sends an ``Origin``)."""

    hint = "make the call from the server's machine with an HTTP client that sends no Origin header"


# --- sandbox --------------------------------------------------------------------------------


class SandboxError(AutocodecError):
    """A Wasm module was refused, or a call into it hit a limit or trapped."""

    hint = "the extension module misbehaved; the call was stopped and the process is unharmed"


class ModuleRejected(SandboxError):
    """Refused at load: invalid Wasm, imports, too large, wrong ABI."""

    hint = "the module does not satisfy autocodec ABI v1 (see docs/abi.md)"


class ModuleTooLarge(ModuleRejected):
    """A module over the module size cap: a matter of its size, not of the ABI."""

    hint = ("build it smaller (optimise for size, strip debug and name sections), or raise max_module_bytes "
            "under [limits.sandbox] (and [limits.trust] for a module fetched for a pinned set) in config.toml")


class CompileRefused(ModuleRejected):
    """The module could not be compiled within the compile bounds (time or memory)."""

    hint = "the module is too costly to compile; it is refused and remembered (clear the compiled cache to retry)"


class CompileBusy(SandboxError):
    """Every child compile slot (``SandboxLimits.concurrent_compiles``) stayed busy for the
    whole wait, or the child compile was starved of CPU by a busy machine (under a quarter of
    one CPU until ``compile_timeout_ms``): nothing is known about the module, the load may be
    tried again."""

    hint = ("other modules are being compiled; try again shortly, or raise concurrent_compiles under "
            "[limits.sandbox] in config.toml")


class FuelExhausted(SandboxError):
    hint = ("the call used its whole fuel budget; if the input is legitimately large, raise fuel under "
            "[limits.sandbox] in config.toml")


class DeadlineExceeded(SandboxError):
    hint = "the call ran past its wall-clock deadline"


class MemoryLimitExceeded(SandboxError):
    hint = "the module tried to grow memory or tables past the sandbox cap"


class OutputTooLarge(SandboxError):
    hint = "the module returned more than max_output_bytes under [limits.sandbox] in config.toml allows"


class GuestTrap(SandboxError):
    """The module trapped (unreachable, stack overflow, out-of-bounds access...)."""


class GuestFault(SandboxError):
    """The module broke the ABI: a pointer/length out of bounds, malformed output framing."""


class GuestError(InvalidBlock):
    """The module reported an error for its input (an ABI error code plus message).

    It is an ``InvalidBlock`` because for codecs it means the input is malformed.
    """

    def __init__(self, code: int, message: str, **kw: object) -> None:
        self.code = code
        super().__init__(message, **kw)  # type: ignore[arg-type]


# --- storage, network, configuration --------------------------------------------------------


class StoreError(AutocodecError):
    hint = "check the home folder ($AUTOCODEC_HOME) is writable and has free space"


class BlockNeeded(StoreError):
    """A block that a pinned extension set needs (a root, index, manifest, module or vectors):
    removing it would leave the set unable to load, canary or re-verify."""

    hint = "unpin the set first (`autocodec pin rm NAME`); a block removed anyway is fetched back by `autocodec pin repair`"


class StorageFull(StoreError):
    hint = ("free disk space and run it again: no block was left half-written (whole blocks written "
            "before the disk filled stay, and the next run reuses them)")


class FileSizeLimit(StoreError):
    """A write to the home's store passed this process's file size limit (``RLIMIT_FSIZE``,
    ``ulimit -f``): the disk may have room, but the store's file may not grow. The write was
    rolled back whole, as on a full disk."""

    hint = ("raise the file size limit (the shell's ulimit, RLIMIT_FSIZE) to unlimited and run it again: "
            "nothing stored was lost (a write cut short is rolled back whole)")


# --- outputs ---------------------------------------------------------------------------


class OutputError(AutocodecError):
    """An output the caller named (a file, a folder, standard output) could not be written: a
    full disk, a file size limit or quota, permissions, a read-only or failing file system.
    Nothing half-written is left under the output's name."""

    hint = "free space where the output goes (or raise the file size limit), or choose another output path"


class FetchError(AutocodecError):
    hint = "check the node or gateway address and that it is running"


class SourceUnavailable(FetchError):
    pass


class FetchTimeout(FetchError):
    hint = ("the source did not answer in time: try another source, or raise deadline_s or timeout_s under "
            "[limits.fetch] in config.toml")


class FetchTooLarge(FetchError):
    hint = "the source sent more than max_block_bytes (or max_car_bytes) under [limits.fetch] in config.toml allows"


class FetchBusy(FetchError):
    """Every network fetch slot of this process is taken; nothing was fetched."""

    hint = "retry shortly; blocks in the local store are still served"


class FetchCancelled(FetchError):
    """A fetch was ended from another thread: the operation it served is being stopped (a server
    shutting down, ``Runtime.close`` during a refresh). Nothing half-fetched was kept."""

    hint = "nothing to fix: the operation was stopped on purpose; run it again to finish it"


class NetworkOffline(FetchError):
    """The process was put offline (``autocodec.sources.go_offline``): no node, gateway, DNS
    resolver or peer is contacted; only the home's store and its kept records answer."""

    hint = "put the data in the home's store first, or run the operation where the network may be used"


class DnsError(FetchError):
    """A DNS lookup failed: no resolver answered in time, or its answer was malformed."""

    hint = "check the DNS resolvers (dns.resolvers in config.toml) and that they are reachable"


class DnsLinkError(NotFound):
    """A domain has no usable DNSLink: no TXT record at ``_dnslink.DOMAIN`` naming /ipfs/ or
    /ipns/ content, or more than one."""

    hint = "the domain's owner sets one TXT record dnslink=/ipfs/CID (or /ipns/NAME) at _dnslink.DOMAIN"


class NodeAccessDenied(FetchError):
    """An IPFS node's RPC API refused the request (HTTP 401 or 403): it asks for credentials
    (Kubo's ``API.Authorizations``) and none were given, the ones given are wrong, or they do not
    allow the RPC path asked for. The message names the node, never the credentials."""

    hint = ("give the node's credentials: USER:PASSWORD in its URL (http://USER:PASSWORD@HOST:PORT), or its "
            "AuthSecret (basic:USER:PASSWORD or bearer:TOKEN) in the AUTOCODEC_NODE_AUTH environment variable or, "
            "for the configured node, in config.toml's sources.node_auth")


class NotTrustless(FetchError):
    """A gateway answered, but not as the trustless gateway spec asks (raw block or CAR)."""

    hint = "use a trustless gateway (one that answers ?format=raw with application/vnd.ipld.raw), e.g. Kubo's"


class RateLimited(AutocodecError):
    """A request over its issuer's budget (jobs running or queued, fuel per minute); refused, not slowed."""

    hint = "retry later, or ask the executor's operator for higher limits"


class ConfigError(AutocodecError):
    hint = "check $AUTOCODEC_HOME/config.toml and the command's options"
