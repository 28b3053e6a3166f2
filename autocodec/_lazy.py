"""Lazy package attributes: a package's ``__getattr__`` that imports a submodule on first use.

Invariant: an attribute is imported once; the value is then stored in the package's globals, so
later lookups never reach ``__getattr__`` again.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_attributes(package: str, table: dict[str, str]) -> Callable[[str], Any]:
    """``name -> value`` for ``package``'s ``__getattr__``: ``table`` maps each lazy name to the
    submodule (relative to ``package``) that defines it; other names raise ``AttributeError``."""

    def load(name: str) -> Any:
        where = table.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return load
