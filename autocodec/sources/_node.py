"""An IPFS node through the Kubo RPC API (``POST /api/v0/...``, docs.ipfs.tech/reference/kubo/rpc/).

Facts measured against Kubo 0.43.1 (the test node, ``tests/_kubo.py``) that shape this module:
- every RPC is a ``POST``; arguments go in ``arg=`` query parameters; an error is a non-2xx
  answer whose body is ``{"Message": ..., "Code": ..., "Type": "error"}``;
- ``block/get`` of a block an offline node lacks fails at once ("block was not found locally
  (offline)"); an online node searches the network, so every call carries the RPC's own
  ``timeout`` option (the time left of our deadline) and a server-side timeout on ``block/get``
  means "not found within the limit";
- ``dag/import`` decodes every block and refuses codecs Kubo lacks ("no decoder registered for
  multicodec code 144"), while ``block/put`` stores any block: the codec may be given by number
  (``cid-codec=0x3ac0de``), the hash only by name (``mhtype=keccak-256``), and it computes sha1,
  keccak-256, dbl-sha2-256, blake2b, blake3, sha3 (js-ipfs, the previous test node, refused
  sha1, keccak-256 and blake2b); blocks over 2 MiB need ``allow-big-block``;
- ``pin/add`` of a block whose codec Kubo cannot decode fails ("no decoder"), direct or not;
  ``block/put`` with ``pin=true`` pins any block (listed as a recursive pin) without decoding.

- ``API.Authorizations`` (Kubo docs/config.md; ``corehttp/commands.go``): with entries, every
  RPC (``version`` too) needs an ``Authorization`` header equal to one entry's ``AuthSecret``
  as ``config.ConvertAuthSecret`` turns it into a header (``basic:USER:PASSWORD`` is
  ``Basic base64(USER:PASSWORD)``, ``basic:B64`` is ``Basic B64``, ``bearer:TOKEN`` and a bare
  token are ``Bearer TOKEN``), and a path under one of its ``AllowedPaths`` prefixes, except
  ``/api/v0/version``, always allowed to valid credentials. Everything else is ``403`` with the
  same ``text/plain`` body ("Kubo RPC Access Denied: ..."), so a 403 with credentials is told
  apart by asking ``version`` with them: allowed means the path is not.

Credentials: the userinfo of a node URL (``http://USER:PASSWORD@HOST:PORT``, percent-decoded,
HTTP Basic), else the ``auth`` a caller gives, else those of an earlier URL for the same node
in this process (``public_node``), else, when the node is one the user named in this process
(``named_node``: ``sources.node`` or a Runtime's node, the CLI's ``--node``/``--to-node``/``--api``,
the node a pin is added through), the first of: the secret given for the named nodes
(``give_secret``: the CLI's ``--api-auth``), a Kubo ``AuthSecret`` in ``$AUTOCODEC_NODE_AUTH``,
the secret ``config.toml`` gives for that one node (``sources.node_auth``, registered through
``named_node(addr, secret=...)``). These secrets are the user's own nodes': they never go to a
node only a stored pin location names (a publisher's node a set was pinned from in another
process), as Kubo's ``--api-auth`` goes only to its one ``--api`` node. Kubo 0.43.1's CLI sends
``--api-auth`` to any address over plain HTTP too (measured: a node on a non-loopback address,
``http``, answered 200), and so does this module; ``http://`` carries the secret in clear.
They go in the ``Authorization`` header of requests to the node's own address only (``_http``
follows no redirect), are kept in this process's memory only, and never appear in a name,
message, log record or anything stored: the node is always shown as its multiaddr, or as its
URL without the userinfo. The environment variable is taken out of the environment when read
(no child process inherits it), as ``--passphrase-env`` passphrases are.

Invariants: every call ends within ``limits.deadline_s`` whatever the node does (``_http``),
answers are capped (blocks at ``max_block_bytes``, CARs at ``max_car_bytes``, JSON at
``max_answer_bytes``), failures are typed (``SourceUnavailable`` for an unreachable node, in
one short line; ``BlockNotFound`` when the node says it lacks the block; ``NodeAccessDenied``
when it refuses the credentials, or their absence, or the path).
"""

from __future__ import annotations

import base64
import json
import math
import os
import secrets
import threading
from collections.abc import Iterable, Sequence
from urllib.parse import quote, unquote_to_bytes, urlencode, urlsplit

from .._inputs import need_text, of_type
from ..cid import CID
from ..config import DEFAULT_LIMITS, FetchLimits
from ..errors import BlockNotFound, ConfigError, FetchError, NameNotFound, NodeAccessDenied
from ..log import get_logger
from ._base import with_retries
from ._car import check_car_root
from ._http import Answer, Deadline, exchange

log = get_logger("sources")

_HOST_PROTOS = ("ip4", "ip6", "dns", "dns4", "dns6")

AUTH_ENV = "AUTOCODEC_NODE_AUTH"
"""The environment variable that may hold a Kubo ``AuthSecret`` for nodes given without credentials."""

_lock = threading.Lock()
_remembered: dict[str, str] = {}
"""Node multiaddr to the ``Authorization`` value its URL carried, for this process only."""
_env_taken: str | None = None
"""The secret taken out of ``$AUTOCODEC_NODE_AUTH`` (a value set anew later wins)."""
_named: set[str] = set()
"""Multiaddrs of the nodes the user named in this process (``named_node``): the ones the
given, environment and configured secrets go to."""
_given: tuple[str, str] | None = None
"""The ``Authorization`` value of the secret given for the named nodes (``give_secret``), and
how a message names its origin."""
_configured: dict[str, tuple[str, str]] = {}
"""Node multiaddr to the ``Authorization`` value (and its origin) configuration gave that node."""


def named_node(addr: str, *, secret: str | None = None, origin: str = "the configured secret") -> str:
    """``public_node(addr)`` for a node the user names (configuration, a command's option, a
    Runtime's settings): the given or environment secret, if any, goes to it in this process.
    ``secret``: a Kubo ``AuthSecret`` for this node only (``ConfigError`` naming ``origin``,
    never the secret, when it is malformed), used when no other is given."""
    shown = public_node(addr)
    header = None if secret is None else auth_header(secret, origin=origin)
    try:
        where = node_address(shown)
    except ConfigError:
        return shown  # not a node address: NodeSource refuses it later, naming the shown form
    with _lock:
        _named.add(where)
        if header is not None:
            _configured[where] = (header, origin)
    return shown


def give_secret(secret: str | None, *, origin: str) -> None:
    """Send the Kubo ``AuthSecret`` ``secret`` to every node the user names in this process
    (before ``$AUTOCODEC_NODE_AUTH`` and configured secrets); ``origin`` names it in messages.
    ``ConfigError`` (naming ``origin``, not the secret) when it is malformed. None forgets a
    secret given before (a later command run in the same process gave none)."""
    global _given
    header = None if secret is None else auth_header(secret, origin=origin)
    with _lock:
        _given = None if header is None else (header, origin)


def public_node(addr: str) -> str:
    """``addr`` as it may be shown, logged or stored: a URL's userinfo removed. Credentials it
    carried are remembered (in memory) for the node's address, so a ``NodeSource`` made later in
    this process from the returned text still sends them; ``ConfigError`` if they are not
    ``USER:PASSWORD``."""
    shown = without_userinfo(need_text(addr, "a node address"))
    if shown != addr:
        try:
            where = node_address(shown)
        except ConfigError:
            return shown  # not a node address: NodeSource refuses it later, naming the shown form
        header = _url_credentials(addr)  # ConfigError, naming no secret: dropped, they read as "none given"
        if header is not None:
            with _lock:
                _remembered[where] = header
    return shown


def take_env_secret() -> str | None:
    """The ``AuthSecret`` in ``$AUTOCODEC_NODE_AUTH`` (taken out of the environment as it is read,
    so no child process inherits it; kept for later reads in this process), or None."""
    global _env_taken
    with _lock:
        value = os.environ.pop(AUTH_ENV, None)
        if value:
            _env_taken = value
        return _env_taken


def auth_header(secret: str, *, origin: str = "the secret given") -> str:
    """The ``Authorization`` value for a Kubo ``AuthSecret``, as Kubo's ``config.ConvertAuthSecret``
    makes it (``basic:USER:PASSWORD``, ``basic:BASE64``, ``bearer:TOKEN``, or a bare token)."""
    secret = need_text(secret, "a node secret").strip()
    kind, colon, value = secret.partition(":")
    if not secret or not all(" " <= ch <= "~" for ch in secret):
        raise ConfigError(f"{origin} is not a node secret: empty, or not printable ASCII",
                          hint="give it as Kubo's API.Authorizations AuthSecret: basic:USER:PASSWORD or bearer:TOKEN")
    if not colon:
        return f"Bearer {secret}"
    if kind == "basic":
        return "Basic " + (base64.b64encode(value.encode()).decode() if ":" in value else value)
    if kind == "bearer":
        return f"Bearer {value}"
    raise ConfigError(f"{origin} is not a node secret: its type (before the first ':') is neither basic nor bearer",
                      hint="give it as Kubo's API.Authorizations AuthSecret: basic:USER:PASSWORD or bearer:TOKEN")


def _secret_for(where: str) -> tuple[str | None, str]:
    """The ``Authorization`` value for the node at multiaddr ``where`` given without credentials
    (the module's Credentials order), and how messages name its origin."""
    with _lock:
        kept = _remembered.get(where)
        named = where in _named
        given = _given
        configured = _configured.get(where)
    if kept is not None:
        return kept, "the credentials in its URL"
    if not named:
        return None, "no credentials"
    if given is not None:
        return given
    env = take_env_secret()
    if env:
        return auth_header(env, origin=AUTH_ENV), f"the secret in {AUTH_ENV}"
    return configured if configured is not None else (None, "no credentials")


def without_userinfo(addr: str) -> str:
    """``addr`` without a URL's ``USER:PASSWORD@`` (the authority ends at the first / ? or #, as
    ``urlsplit`` reads it; a multiaddr has none)."""
    scheme, sep, rest = addr.partition("://")
    if not sep:
        scheme, rest = "", addr
    if rest.startswith("/"):
        return addr
    end = min([i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0] or [len(rest)])
    authority = rest[:end]
    if "@" not in authority:
        return addr
    return scheme + sep + authority.rpartition("@")[2] + rest[end:]


def _url_credentials(addr: str) -> str | None:
    """The ``Authorization`` value (HTTP Basic) of a node URL's ``USER:PASSWORD@``, or None."""
    if without_userinfo(addr) == addr:
        return None
    text = addr.strip()
    try:
        userinfo = urlsplit(text if "://" in text else f"http://{text}").netloc.rpartition("@")[0]
    except ValueError:
        userinfo = ""
    user, colon, password = userinfo.partition(":")
    if not colon or not user:
        raise ConfigError(f"the node URL {without_userinfo(addr)[:200]!r} carries credentials that are not "
                          "USER:PASSWORD", hint="write them as http://USER:PASSWORD@HOST:PORT (percent-encode "
                          f"':' '@' '/' in them), or put a bearer token in {AUTH_ENV}")
    pair = unquote_to_bytes(user) + b":" + unquote_to_bytes(password)  # the bytes, as Kubo compares them
    return "Basic " + base64.b64encode(pair).decode()


def node_address(addr: str) -> str:
    """A node's RPC address as a multiaddr, from a multiaddr or an http(s) URL."""
    addr = need_text(addr, "a node address").strip()
    if addr.startswith("/"):
        return addr if addr.rstrip("/").endswith(("/http", "/https")) else addr.rstrip("/") + "/http"
    try:
        parts = urlsplit(addr if "://" in addr else f"http://{addr}")
        port = parts.port
    except ValueError:
        parts, port = urlsplit(""), None
    if parts.scheme not in ("http", "https") or not parts.hostname or not port or not addr.isprintable():
        raise ConfigError(f"not a node address: {without_userinfo(addr)[:200]!r}",
                          hint="give a multiaddr like /ip4/127.0.0.1/tcp/5001 or a URL like http://127.0.0.1:5001")
    host = parts.hostname
    proto = "ip6" if ":" in host else ("ip4" if host.replace(".", "").isdigit() else "dns")
    return f"/{proto}/{host}/tcp/{port}/{parts.scheme}"


def node_url(addr: str) -> str:
    """The ``http(s)://host:port`` base URL of a node given as a multiaddr or URL."""
    multiaddr = node_address(addr)
    parts = multiaddr.strip("/").split("/")
    if (len(parts) != 5 or parts[0] not in _HOST_PROTOS or parts[2] != "tcp" or not parts[3].isdigit()
            or len(parts[3]) > 5 or parts[4] not in ("http", "https") or not 0 < int(parts[3]) < 65536
            or not parts[1] or not parts[1].isprintable() or any(c.isspace() or c in "?#@[]" for c in parts[1])):
        raise ConfigError(f"not a node address: {without_userinfo(addr)[:200]!r}",
                          hint="give a multiaddr like /ip4/127.0.0.1/tcp/5001 or a URL like http://127.0.0.1:5001")
    host = f"[{parts[1]}]" if parts[0] == "ip6" else parts[1]
    return f"{parts[4]}://{host}:{parts[3]}"


class NodeSource:
    """Blocks from (and to) an IPFS node's RPC API.

    ``auth``: a Kubo ``AuthSecret`` (``basic:USER:PASSWORD``, ``bearer:TOKEN``) for a node whose
    URL carries none; see the module's Credentials for the order they are looked for in."""

    def __init__(self, addr: str, *, limits: FetchLimits | None = None, auth: str | None = None) -> None:
        of_type(limits, FetchLimits, "NodeSource's limits")
        self.addr = node_address(addr)
        self.url = node_url(addr)
        self.name = f"node:{self.addr}"
        self.limits = limits or DEFAULT_LIMITS.fetch
        header = _url_credentials(addr)
        self._auth: str | None
        if header is not None:
            self._auth, self._auth_origin = header, "the credentials in its URL"
            with _lock:
                _remembered[self.addr] = header
        elif auth is not None:
            self._auth, self._auth_origin = auth_header(auth), "the secret given"
        else:
            self._auth, self._auth_origin = _secret_for(self.addr)

    def __repr__(self) -> str:
        return f"NodeSource({self.addr!r})"

    def _denied(self, path: str, status: int, deadline: Deadline) -> NodeAccessDenied:
        """The typed refusal of a 401/403: no credentials, wrong ones, or a path they do not allow
        (told apart by ``version``, which Kubo grants every valid secret)."""
        if self._auth is None:
            return NodeAccessDenied(f"the IPFS node at {self.addr} refused {path} (HTTP {status}): its RPC API asks "
                                    "for credentials, and none were given for this node (a secret goes only to the nodes "
                                    "named for the operation and to the configured node)")
        allowed = False
        if path != "version" and not deadline.expired():
            try:
                probe = exchange("POST", f"{self.url}/api/v0/version", what=f"{self.name} version", deadline=deadline,
                                 read_timeout=self.limits.timeout_s, cap=64 * 1024,
                                 headers={"Authorization": self._auth})
                allowed = 200 <= probe.status < 300
            except FetchError:
                pass
        if allowed:
            return NodeAccessDenied(
                f"the IPFS node at {self.addr} accepted {self._auth_origin} but refused /api/v0/{path} (HTTP {status}):"
                " the path is not among the AllowedPaths of those credentials",
                hint=f"ask the node's operator to allow /api/v0/{path} for these credentials (API.Authorizations "
                     "AllowedPaths), or give credentials that allow it")
        return NodeAccessDenied(f"the IPFS node at {self.addr} refused {self._auth_origin} (HTTP {status} for {path})",
                                hint="check the user and password or the token against the node's "
                                     "API.Authorizations; in a URL, percent-encode ':' '@' '/' in them")

    def _call(self, path: str, args: Sequence[str], opts: dict[str, str], deadline: Deadline, cap: int,
              body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        """One RPC attempt; a non-2xx answer, or a 2xx whose ``X-Stream-Error`` trailer says the
        node failed mid-answer, becomes a typed error."""
        query = [("arg", a) for a in args] + list(opts.items())
        # Kubo's own timeout: the time left, so an online node stops searching when we stop waiting
        query.append(("timeout", f"{max(1, math.floor(deadline.remaining()))}s"))
        url = f"{self.url}/api/v0/{path.strip('/')}?{urlencode(query, quote_via=quote)}"
        if self._auth is not None:
            headers = {**(headers or {}), "Authorization": self._auth}
        answer = exchange("POST", url, what=f"{self.name} {path.strip('/')}", deadline=deadline,
                          read_timeout=self.limits.timeout_s, cap=cap, body=body, headers=headers)
        if 200 <= answer.status < 300:
            stream_error = answer.trailers.get("x-stream-error", "")
            if not stream_error:
                return answer
            # Kubo's 200 whose body stopped short (go-ipfs-cmds' trailer; its client fails the command)
            raise self._failure(path, args, " ".join(stream_error.split()))
        if answer.status in (401, 403):
            raise self._denied(path.strip("/"), answer.status, deadline)
        raise self._failure(path, args, _error_text(answer.body) or f"HTTP {answer.status}")

    def _failure(self, path: str, args: Sequence[str], text: str) -> FetchError | BlockNotFound:
        """The typed error for the node's error ``text`` about ``path`` (a non-2xx answer's
        ``Message``, or a 200's ``X-Stream-Error`` trailer)."""
        lowered = text.lower()
        if "not found" in lowered or "could not find" in lowered or "deadline exceeded" in lowered:
            if path.strip("/") in ("block/get", "dag/export"):
                # Kubo's message repeats the CID after ": ipld:"; the caller names it already
                if "deadline exceeded" in lowered:  # an online node searched the network until our deadline
                    return BlockNotFound(f"{self.name} did not find it within the fetch deadline "
                                        f"({text.split(': ipld:')[0]})",
                                         hint="check that the node is connected to a peer that has it, or raise "
                                              "[limits.fetch] deadline_s in config.toml")
                return BlockNotFound(f"{self.name} does not have it ({text.split(': ipld:')[0]})")
            return BlockNotFound(f"{self.name} {path.strip('/')} {' '.join(args)[:200]}: {text}")
        return FetchError(f"the IPFS node at {self.addr} refused {path.strip('/')}: {text}")

    def _request(self, path: str, args: Sequence[str] = (), *, opts: dict[str, str] | None = None,
                 decoder: str | None = None, data: bytes | None = None,
                 headers: dict[str, str] | None = None) -> object:
        """One RPC call with retries, bounded by ``limits.deadline_s``; JSON decoded when ``decoder="json"``.

        A JSON answer that is a stream of objects (one per line) is returned as a list; an object
        of it that is an error (``"Type": "error"``) is the node's typed error, as for a non-2xx.
        """

        def attempt(deadline: Deadline) -> Answer:
            return self._call(path, args, dict(opts or {}), deadline, self.limits.max_answer_bytes, data, headers)

        answer = with_retries("", self.limits, attempt)
        if decoder != "json":
            return answer.body
        value = _json(answer.body, f"{self.name} {path.strip('/')}")
        # go-ipfs-cmds' client (Kubo's) takes any JSON value {"Type": "error", "Message": ...} of an
        # answer for the command's error, whatever the status: so does this one, never a value
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and item.get("Type") == "error" and isinstance(item.get("Message"), str):
                text = "".join(ch for ch in " ".join(item["Message"].split()) if ch.isprintable())[:300]
                raise self._failure(path, args, text or "an error without a message")
        return value

    def get(self, cid: CID) -> bytes:
        def attempt(deadline: Deadline) -> bytes:
            return self._call("block/get", (str(cid),), {}, deadline, self.limits.max_block_bytes).body

        return with_retries("", self.limits, attempt)

    def export_dag(self, root: CID) -> bytes:
        """The CAR of the DAG under ``root`` as the node holds it: whole (a node that failed mid-export
        is its error, not a short CAR; a linked block left out is ``InvalidCar``), naming ``root``
        alone, every block verified, only the DAG's blocks (``check_car_root``)."""

        def attempt(deadline: Deadline) -> bytes:
            return self._call("dag/export", (str(root),), {}, deadline, self.limits.max_car_bytes).body

        return check_car_root(with_retries("", self.limits, attempt), root, self.name)

    def put_blocks(self, blocks: Iterable[tuple[CID, bytes]], *, pin_root: CID | None = None,
                   pin_all: bool = False) -> int:
        """Put blocks on the node (any codec; any hash the node knows by name); returns how many.

        Blocks go up with ``block/put`` (one request per codec and hash, the codec by number so
        private codes work too), and each CID the node computes must equal the block's own.
        ``pin_root`` is pinned recursively (``pin/add``; when the node cannot decode its codec,
        through ``block/put``'s own ``pin``); ``pin_all`` pins every block recursively, each as
        its own root (``block/put``'s ``pin``). A published set or module is not put this way:
        test vectors link to blocks nobody publishes, and under a recursive pin Kubo's gc aborts
        on them; ``registry._tonode.put_pinned`` puts them with no pin, then pins each kind as it
        must be pinned.
        """
        groups: dict[tuple[int, int, int], list[tuple[CID, bytes]]] = {}
        for cid, data in blocks:
            groups.setdefault((cid.codec, cid.hash_code, len(cid.digest)), []).append((cid, data))
        sent: list[CID] = []
        for (codec, hash_code, length), group in groups.items():
            sent.extend(self._block_put(codec, hash_code, length, group, pin=pin_all))
        if pin_root is not None:
            try:
                self.pin(pin_root)
            except FetchError as exc:
                if "no decoder" not in exc.message:
                    raise
                # the node cannot walk this codec: `block/put` with `pin` pins it without decoding
                root = [(cid, data) for cid, data in (b for g in groups.values() for b in g) if cid == pin_root]
                if not root:
                    raise
                self._block_put(pin_root.codec, pin_root.hash_code, len(pin_root.digest), root[:1], pin=True)
        log.info("put blocks on node", node=self.addr, blocks=len(sent), pinned=str(pin_root) if pin_root else None)
        return len(sent)

    def _block_put(self, codec: int, hash_code: int, length: int, group: list[tuple[CID, bytes]], *,
                   pin: bool = False) -> list[CID]:
        from ..codes import hash_name
        from ..errors import UnknownHash

        try:
            name = hash_name(hash_code)
        except UnknownHash:
            raise FetchError(f"cannot put blocks hashed with 0x{hash_code:x} on {self.name}: the node names hashes "
                             "and this one has no name") from None
        body, content_type = _multipart([data for _cid, data in group])
        answer = self._request("block/put", opts={"cid-codec": f"0x{codec:x}", "mhtype": name, "mhlen": str(length),
                                                  "allow-big-block": "true", "pin": "true" if pin else "false"},
                               data=body, headers={"Content-Type": content_type}, decoder="json")
        keys = [item.get("Key") for item in (answer if isinstance(answer, list) else [answer]) if isinstance(item, dict)]
        if len(keys) != len(group):
            raise FetchError(f"{self.name} stored {len(keys)} of {len(group)} blocks")
        for key, (cid, _data) in zip(keys, group):
            got = _answer_cid(key, f"{self.name} block/put")
            if (got.codec, got.multihash) != (cid.codec, cid.multihash):
                raise FetchError(f"{self.name} addressed a block as {got}, not {cid} (hash {name})")
        return [cid for cid, _data in group]

    def pin(self, *roots: CID, recursive: bool = True) -> None:
        """Pin ``roots`` on the node (recursively unless told otherwise)."""
        self._request("pin/add", tuple(str(r) for r in roots), opts={"recursive": "true" if recursive else "false"},
                      decoder="json")

    def pins(self, kind: str = "recursive") -> set[CID]:
        """The node's pins of one kind (``recursive``, ``direct``, ``indirect`` or ``all``)."""
        answer = self._request("pin/ls", opts={"type": kind}, decoder="json")
        found: set[CID] = set()
        for item in answer if isinstance(answer, list) else [answer]:
            keys = item.get("Keys", {}) if isinstance(item, dict) else {}
            if not isinstance(keys, dict):
                raise FetchError(f"{self.name} pin/ls answered something that is not a pin list")
            for key in keys:
                found.add(_answer_cid(key, f"{self.name} pin/ls"))
        return found

    def _no_record(self, name: str, exc: BlockNotFound) -> NameNotFound:
        """A "not found" from an IPNS call: the node holds or found no record of ``name``."""
        said = exc.message.partition(f"{name}: ")[2][:200] or "not found"
        return NameNotFound(f"the IPFS node at {self.addr} found no IPNS record of {name} ({said})")

    def resolve_name(self, name: str) -> str:
        """The path an IPNS name points at on this node (``name/resolve``), e.g. ``/ipfs/bafy...``;
        ``NameNotFound`` when the node finds no record of it (Kubo, online or offline: "could not
        resolve name"; an offline node resolves only names it holds records of)."""
        try:
            answer = self._request("name/resolve", (name,), decoder="json")
        except BlockNotFound as exc:  # "not found" or a search that ran out of time: no record, not a block
            raise self._no_record(name, exc) from None
        except FetchError as exc:
            if type(exc) is not FetchError or "could not resolve name" not in exc.message:
                raise
            raise NameNotFound(f"the IPFS node at {self.addr} found no IPNS record of {name} (could not resolve name)",
                               hint="check the name; its publisher may not have published it yet or its record may "
                                    "have expired; an offline node resolves only the names it holds records of, so "
                                    "ask an online node or a gateway") from None
        items = answer if isinstance(answer, list) else [answer]
        first = items[0] if items and isinstance(items[0], dict) else {}
        return str(first.get("Path", ""))

    def ipns_record(self, name: str) -> bytes:
        """The IPNS record the node finds for ``name`` (``name/get``; unverified bytes). An
        offline node refuses (it resolves only names it holds records of)."""

        def attempt(deadline: Deadline) -> bytes:
            return self._call("name/get", (name,), {}, deadline, 10 * 1024).body

        try:
            return with_retries("", self.limits, attempt)
        except BlockNotFound as exc:  # Kubo: "routing: not found", or its search ran out of time
            raise self._no_record(name, exc) from None
        except FetchError as exc:
            if type(exc) is FetchError and "online mode" in exc.message:  # Kubo offline: no name/get at all
                exc.hint = "an offline node hands out no IPNS records: ask an online node or a gateway"
            raise

    def check(self) -> None:
        """Raise unless the node answers and takes these credentials (``version``, which Kubo
        grants every valid secret, whatever its ``AllowedPaths``)."""
        self._request("version", decoder="json")

    def key_names(self) -> set[str]:
        """Names of the node's IPNS keys (``key/list``). Kubo 0.43.1 answers one object,
        ``{"Keys": [{"Name": ..., "Id": ...}, ...]}``: ``Keys`` is always a list (made with
        ``make([]KeyOutput, 0, n)``, never null) and names ``self`` at least (measured: a fresh
        repo, no key generated). An answer of any other shape (an empty body, ``{}``, ``Keys``
        missing, null, 0 or not a list of named keys, several objects) is the node's fault
        (``FetchError``), never read as "no keys"."""
        answer = self._request("key/list", decoder="json")
        keys = answer.get("Keys") if isinstance(answer, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, dict) and isinstance(k.get("Name"), str)
                                                 for k in keys):
            raise FetchError(f"{self.name} key/list answered something that is not a key list")
        return {k["Name"] for k in keys}

    def key_gen(self, name: str) -> None:
        """Create an Ed25519 IPNS key named ``name`` on the node (``key/gen``)."""
        self._request("key/gen", (name,), opts={"type": "ed25519"}, decoder="json")

    def name_publish(self, path: str, key: str) -> str:
        """Point the IPNS name of ``key`` at ``path`` (``name/publish``); returns the name."""
        answer = self._request("name/publish", (path,), opts={"key": key, "allow-offline": "true", "resolve": "false"},
                               decoder="json")
        item = answer[0] if isinstance(answer, list) and answer else answer
        if not isinstance(item, dict) or not item.get("Name"):
            raise FetchError(f"{self.name} did not publish {path} under key {key!r}")
        return str(item["Name"])

    def name_put(self, name: str, record: bytes) -> None:
        """Store a signed IPNS record for ``name`` on the node (``name/put``, offline allowed);
        the node checks it (signature, size, sequence against the record it holds)."""
        body, content_type = _multipart([record])

        def attempt(deadline: Deadline) -> Answer:
            return self._call("name/put", (name,), {"allow-offline": "true"}, deadline, self.limits.max_answer_bytes,
                              body, {"Content-Type": content_type})

        with_retries("", self.limits, attempt)


def _multipart(payloads: Sequence[bytes]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with one file part per payload (what Kubo's ``block/put`` reads)."""
    boundary = secrets.token_hex(16)
    parts = []
    for i, payload in enumerate(payloads):
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"block{i}\"\r\n"
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + payload + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _answer_cid(key: object, what: str) -> CID:
    """A CID the node named in its answer; anything else is the node's fault, not the user's input."""
    from ..errors import InvalidCID

    try:
        if not isinstance(key, str):
            raise InvalidCID("not text")
        return CID.parse(key)
    except InvalidCID:
        raise FetchError(f"{what}: the node answered something that is not a CID: {str(key)[:80]!r}") from None


def _json(body: bytes, what: str) -> object:
    """A JSON answer (or a stream of JSON lines as a list); RecursionError: nesting deeper than
    the interpreter's stack, which a hostile answer reaches in a few KiB."""
    try:
        return json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        pass
    try:
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    except (ValueError, RecursionError):
        raise FetchError(f"{what}: the node answered something that is not JSON") from None


def _error_text(body: bytes) -> str:
    """Kubo's error ``Message`` (or the body's first line), printable and short."""
    try:
        message = json.loads(body).get("Message", "")
    except (ValueError, AttributeError, RecursionError):
        message = body[:300].decode("utf-8", "replace").strip().splitlines()[0] if body.strip() else ""
    return "".join(ch for ch in " ".join(str(message).split()) if ch.isprintable())[:300]
