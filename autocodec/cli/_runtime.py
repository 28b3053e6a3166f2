"""Building the ``Runtime`` a command runs on, from the common options.

Invariant: every command that resolves formats goes through one ``Runtime`` built here, so
builtins, pinned sets, ``--module`` files and ``--node``/``--gateway`` sources behave the
same in every command.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._options import nonempty

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Limits
    from ..home import Home


def home_limits(home: "Home | None" = None) -> "Limits":
    """The limits a ``Runtime`` of ``home`` (default: the current one) has: its ``config.toml``
    over the defaults. Every cap a command applies before it has a runtime comes from here, so
    raising one in ``config.toml`` (as the errors' hints say) raises it everywhere."""
    from ..home import Home
    from ..settings import Settings

    return Settings.load((home or Home.resolve()).config_path).apply_limits()


def add_source_options(parser: argparse.ArgumentParser, *, modules: bool = True) -> None:
    parser.add_argument("--node", metavar="ADDR", type=nonempty("a node's address"), help="an IPFS node's RPC API (multiaddr or URL) to fetch from")
    parser.add_argument("--gateway", metavar="URL", action="append", default=[],
                        help="a trustless HTTP gateway to fetch from (repeatable)")
    if modules:
        parser.add_argument("--module", metavar="FILE", action="append", default=[], dest="modules",
                            help="serve the codes a local Wasm module declares (you vouch for it; repeatable)")


def runtime_from_args(args: argparse.Namespace) -> Any:
    from ..registry import Runtime

    return Runtime(node=getattr(args, "node", None), gateways=getattr(args, "gateway", None) or (),
                   modules=getattr(args, "modules", None) or ())


def add_passphrase_env(parser: Any) -> None:
    """``--passphrase-env VAR``: where an encrypted signing key's passphrase is (``load_keys``)."""
    parser.add_argument("--passphrase-env", metavar="VAR", type=nonempty("an environment variable's name"),
                        help="the key's passphrase is in environment variable VAR")


def load_keys(names: list[str], passphrase_env: str | None) -> list[Any]:
    """The signing keys ``names`` of the home; ``KeyNotFound`` without creating a home that has
    no keys folder (making one only to say it holds no keys left an empty home behind)."""
    from ..errors import KeyNotFound
    from ..home import Home
    from ..verify import KeyRing
    from .cmd_key import passphrase_from_env

    home = Home.resolve()
    if names and not home.keys_dir.is_dir():
        raise KeyNotFound(f"no key named {names[0]!r}: {home.root} holds no keys",
                          hint="create the home with `autocodec init` and a key with `autocodec key gen NAME`, "
                               "or point --home or $AUTOCODEC_HOME at the home that has the key")
    ring = KeyRing(home.init().keys_dir)
    passphrase = passphrase_from_env(passphrase_env)
    return [ring.load(name, passphrase) for name in names]
