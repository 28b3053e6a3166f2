"""User settings from ``$AUTOCODEC_HOME/config.toml`` (sources, refresh, limits), overridable per call.

Example::

    [sources]
    node = "/ip4/127.0.0.1/tcp/5001"        # an IPFS node's RPC API (Kubo or js-ipfs); a URL may carry
                                            # USER:PASSWORD@ (else $AUTOCODEC_NODE_AUTH; README.md)
    node_auth = "bearer:TOKEN"              # that node's Kubo AuthSecret (basic:USER:PASSWORD too);
                                            # sent to sources.node only, never kept in Settings
    gateways = ["http://127.0.0.1:8080"]    # trustless HTTP gateways
    order = ["node", "gateway"]             # after the local store, which always comes first

    [refresh]
    interval_s = 300                        # how often `serve` refreshes pinned sets

    [dns.resolvers]                         # DNSLink lookups, as Kubo's DNS.Resolvers
    "." = "https://cloudflare-dns.com/dns-query"   # DoH for every domain (default: the system's)
    "eth." = "https://dns.eth.limo/dns-query"      # Kubo's default for .eth, kept unless named
    "example." = "dns://192.0.2.53"                # plain DNS to one server (our extension)

    [limits.fetch]                          # any field of a group of ``config.Limits``
    deadline_s = 120                        # e.g. an online node that searches the network

Invariants: a missing file means defaults; a malformed one is a ``ConfigError`` naming the file
and the key. No mistake is ignored: a key or table this module does not know (at the top, in
``[sources]``, ``[refresh]``, ``[dns]``, ``[ipvm]`` or a ``[limits.<group>]``) is refused with the
nearest known name (``difflib``), else the known ones; a table given as a value is refused too.
A limit override names a real group and field, has the default's type (an integer, a number,
or true/false) and is positive (0 only where the field says 0 turns it off); the runtime's
limits are the defaults with the overrides applied (``apply_limits``), unless a caller passes
its own.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .config import DEFAULT_LIMITS, MAX_WAIT_MS, ZERO_MEANS, Limits
from .errors import ConfigError


@dataclass(frozen=True)
class Settings:
    node: str | None = None
    gateways: tuple[str, ...] = ()
    order: tuple[str, ...] = ("node", "gateway")
    refresh_interval_s: float = 300.0
    limits: dict[str, dict[str, int | float | bool]] = field(default_factory=dict)
    """``[limits.<group>]`` overrides of ``config.Limits``, checked on load (``apply_limits``)."""
    dns_resolvers: dict[str, str] = field(default_factory=dict)
    """``[dns.resolvers]``: FQDN ("." for every domain) to a DoH URL, ``dns://HOST[:PORT]`` or ""
    (the system's servers); Kubo's defaults fill in the domains it does not name."""

    def __post_init__(self) -> None:
        if self.node and ("@" in self.node or _NODE_AUTH_ENV in os.environ or _NODE_MODULE in sys.modules):
            # the user's node: a given or environment secret goes to it; a URL's USER:PASSWORD is
            # kept in the node sources' memory, never in what is shown or stored. With neither a
            # secret nor the node sources loaded yet, no secret can go to it: nothing is imported
            # (start-up of the commands that read config.toml for its limits only)
            from .sources import named_node

            object.__setattr__(self, "node", named_node(self.node))

    @classmethod
    def load(cls, path: Path) -> "Settings":
        if not path.exists():
            return cls()
        import tomllib  # here, not at the top: a home without a config file never needs it

        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        _known_keys(path, "", doc, _TABLES)
        sources = _table(path, doc, "sources")
        refresh = _table(path, doc, "refresh")
        _known_keys(path, "sources.", sources, ("node", "node_auth", "gateways", "order"))
        _known_keys(path, "refresh.", refresh, ("interval_s",))
        _known_keys(path, "ipvm.", _table(path, doc, "ipvm"), ("triggers", "peers"))
        node = sources.get("node")
        gateways = sources.get("gateways", [])
        order = sources.get("order", ["node", "gateway"])
        interval = refresh.get("interval_s", 300)
        if node is not None and not isinstance(node, str):
            raise ConfigError(f"{path}: sources.node must be a string")
        if "node_auth" in sources:
            _node_secret(path, node, sources["node_auth"])
        if not isinstance(gateways, list) or not all(isinstance(g, str) for g in gateways):
            raise ConfigError(f"{path}: sources.gateways must be a list of URLs")
        if not isinstance(order, list) or not set(order) <= {"node", "gateway"}:
            raise ConfigError(f"{path}: sources.order may only name 'node' and 'gateway'")
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0 < interval < math.inf:
            raise ConfigError(f"{path}: refresh.interval_s must be a positive number of seconds")
        return cls(node, tuple(gateways), tuple(order), float(interval), _limit_overrides(path, doc.get("limits", {})),
                   _dns_resolvers(path, doc.get("dns", {})))

    def apply_limits(self, base: Limits = DEFAULT_LIMITS) -> Limits:
        """``base`` with this file's ``[limits.<group>]`` overrides."""
        if not self.limits:
            return base
        return replace(base, **{group: replace(getattr(base, group), **values) for group, values in self.limits.items()})

    def with_overrides(self, *, node: str | None = None, gateways: tuple[str, ...] | list[str] | None = None) -> "Settings":
        return replace(
            self,
            node=node if node is not None else self.node,
            gateways=tuple(gateways) if gateways else self.gateways,
        )


def _node_secret(path: Path, node: str | None, secret: Any) -> None:
    """Register ``sources.node_auth`` (a Kubo ``AuthSecret``) for ``sources.node`` in the node
    sources' memory only (``named_node``): no ``Settings`` field, repr or message holds it."""
    if not isinstance(secret, str):
        raise ConfigError(f"{path}: sources.node_auth must be a string (a Kubo AuthSecret: basic:USER:PASSWORD "
                          "or bearer:TOKEN)")
    if not node:
        raise ConfigError(f"{path}: sources.node_auth is the secret of sources.node, and no node is set",
                          hint="set sources.node to the node's RPC address, or remove sources.node_auth")
    if "@" in node.partition("://")[2].split("/")[0]:
        raise ConfigError(f"{path}: sources.node carries credentials in its URL and sources.node_auth gives "
                          "another secret", hint="keep one of them (sources.node_auth keeps the secret out of the URL)")
    from .sources import named_node

    named_node(node, secret=secret, origin=f"the secret in {path.name}'s sources.node_auth")


_NODE_AUTH_ENV = "AUTOCODEC_NODE_AUTH"
"""``sources.AUTH_ENV``, named here so that reading it imports nothing."""
_NODE_MODULE = "autocodec.sources._node"
"""Loaded once a secret was given or taken (``give_secret``, ``take_env_secret``)."""

_TABLES = ("sources", "refresh", "limits", "dns", "ipvm")
"""The tables ``config.toml`` may hold (``[[ipvm.triggers]]`` is read by ``serve``, checked by
``ipvm.load_triggers``); any other key is a mistake, refused by name."""


def _nearest(key: str, known: "list[str] | tuple[str, ...]") -> str:
    """What to say about an unknown ``key``: the closest known name, else all of them."""
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"


def _known_keys(path: Path, prefix: str, table: dict[str, Any], known: "list[str] | tuple[str, ...]") -> None:
    """``ConfigError`` naming the first key of ``table`` that is not in ``known`` (a typo is never ignored)."""
    for key in table:
        if key not in known:
            raise ConfigError(f"{path}: {prefix}{key} is not a setting ({_nearest(key, known)})")


def _table(path: Path, doc: dict[str, Any], name: str) -> dict[str, Any]:
    """``doc[name]`` when it is a table (empty when absent); ``ConfigError`` when it is a value."""
    table = doc.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {name} must be a table ([{name}]), not a value")
    return table


def _dns_resolvers(path: Path, table: Any) -> dict[str, str]:
    """The ``[dns.resolvers]`` table: FQDN keys ("." or ending in "."), resolver values."""
    resolvers = table.get("resolvers", {}) if isinstance(table, dict) else None
    if not isinstance(resolvers, dict) or set(table) - {"resolvers"}:
        extra = sorted(set(table) - {"resolvers"}) if isinstance(table, dict) else []
        near = f": dns.{extra[0]} is not a setting ({_nearest(extra[0], ['resolvers'])})" if extra else ""
        raise ConfigError(f"{path}: dns holds one table, dns.resolvers (a domain to a resolver URL){near}")
    for domain, url in resolvers.items():
        if domain != "." and (not domain.endswith(".") or domain.startswith(".")):
            raise ConfigError(f"{path}: dns.resolvers key {domain!r} must be a fully qualified domain "
                              "ending in '.' (or '.' for every domain)")
        if not isinstance(url, str) or (url and not url.startswith(("https://", "http://", "dns://"))):
            raise ConfigError(f"{path}: dns.resolvers.{domain!r} must be an https:// (DNS over HTTPS) or "
                              "dns://HOST[:PORT] URL, or \"\" for the system's resolver")
    return dict(resolvers)


def _limit_overrides(path: Path, table: Any) -> dict[str, dict[str, int | float | bool]]:
    """The ``[limits.<group>]`` tables, each key checked against ``config.Limits``."""
    groups = [f.name for f in dataclasses.fields(Limits)]
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: limits holds [limits.<group>] tables, one of {', '.join(groups)}")
    out: dict[str, dict[str, int | float | bool]] = {}
    for group, values in table.items():
        if group not in groups:
            raise ConfigError(f"{path}: limits.{group} is not a group of limits ({_nearest(group, groups)})")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: limits holds [limits.<group>] tables: limits.{group} is a value")
        defaults = getattr(DEFAULT_LIMITS, group)
        fields = [f.name for f in dataclasses.fields(defaults)]
        for key, value in values.items():
            where = f"limits.{group}.{key}"
            if key not in fields:
                raise ConfigError(f"{path}: {where} is not a limit ({_nearest(key, fields)})")
            default = getattr(defaults, key)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"{path}: {where} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int if isinstance(default, int) else (int, float)):
                raise ConfigError(f"{path}: {where} must be {'an integer' if isinstance(default, int) else 'a number'}")
            elif not math.isfinite(value):  # TOML's nan and inf: no bound a clock or a count can keep
                raise ConfigError(f"{path}: {where} must be a finite number")
            elif value < 0 or (value == 0 and key not in ZERO_MEANS):  # config.Limits' own rule
                raise ConfigError(f"{path}: {where} must be {'0 or more' if key in ZERO_MEANS else 'positive'}")
            elif key.endswith(("_s", "_ms")) and value > MAX_WAIT_MS / (1 if key.endswith("_ms") else 1000):
                most = MAX_WAIT_MS if key.endswith("_ms") else MAX_WAIT_MS // 1000
                raise ConfigError(f"{path}: {where} must be at most {most} (about 24 days)")
            elif not isinstance(default, int):
                value = float(value)
            out.setdefault(group, {})[key] = value
    return out
