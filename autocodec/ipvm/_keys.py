"""The executor's signing key: ``executor`` in the home's key ring, made on first use.

Invariant: a home always signs receipts with the same key unless the user names another
(``--key NAME``); only the default name is generated automatically, a named key must exist.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import ConfigError, KeyNotFound

EXECUTOR_KEY = "executor"


def executor_key(home: Any, name: str | None = None, passphrase: bytes | None = None) -> Any:
    """The ``SigningKey`` receipts are signed with (generated if it is the default and missing)."""
    from .._inputs import of_type
    from ..home import Home
    from ..verify import KeyRing

    of_type(home, Home, "executor_key's home")
    of_type(name, str, "executor_key's name")

    name = name or EXECUTOR_KEY
    ring = KeyRing(home.keys_dir)
    try:
        return ring.load(name, passphrase)
    except KeyNotFound:
        if name != EXECUTOR_KEY:
            raise
    try:
        return ring.generate(name, passphrase)
    except ConfigError:  # another process created it just now
        time.sleep(0.05)
        return ring.load(name, passphrase)
