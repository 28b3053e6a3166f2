"""Module version order for the registry: ``verify._semver``'s (one definition, which the trust
store's module-downgrade rule uses too)."""

from __future__ import annotations

from ..verify._semver import is_lower, precedence

__all__ = ["is_lower", "precedence"]
