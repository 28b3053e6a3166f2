"""User settings from ``$AUTOCODEC_HOME/config.toml`` (sources and refresh), overridable per call.

Example::

    [sources]
    node = "/ip4/127.0.0.1/tcp/5001"        # an IPFS node's RPC API (Kubo or js-ipfs)
    gateways = ["http://127.0.0.1:8080"]    # trustless HTTP gateways
    order = ["node", "gateway"]             # after the local store, which always comes first

    [refresh]
    interval_s = 300                        # how often `serve` refreshes pinned sets

Invariant: a missing file means defaults; a malformed one is a ``ConfigError`` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError


@dataclass(frozen=True)
class Settings:
    node: str | None = None
    gateways: tuple[str, ...] = ()
    order: tuple[str, ...] = ("node", "gateway")
    refresh_interval_s: float = 300.0
    extra: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Settings":
        if not path.exists():
            return cls()
        import tomllib  # here, not at the top: a home without a config file never needs it

        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        sources = doc.get("sources", {})
        refresh = doc.get("refresh", {})
        node = sources.get("node")
        gateways = sources.get("gateways", [])
        order = sources.get("order", ["node", "gateway"])
        interval = refresh.get("interval_s", 300)
        if node is not None and not isinstance(node, str):
            raise ConfigError(f"{path}: sources.node must be a string")
        if not isinstance(gateways, list) or not all(isinstance(g, str) for g in gateways):
            raise ConfigError(f"{path}: sources.gateways must be a list of URLs")
        if not isinstance(order, list) or not set(order) <= {"node", "gateway"}:
            raise ConfigError(f"{path}: sources.order may only name 'node' and 'gateway'")
        if not isinstance(interval, (int, float)) or interval <= 0:
            raise ConfigError(f"{path}: refresh.interval_s must be a positive number")
        return cls(node, tuple(gateways), tuple(order), float(interval))

    def with_overrides(self, *, node: str | None = None, gateways: tuple[str, ...] | list[str] | None = None) -> "Settings":
        return replace(
            self,
            node=node if node is not None else self.node,
            gateways=tuple(gateways) if gateways else self.gateways,
        )
