"""Errors of module scaffolding and building (under ``AutocodecError``)."""

from __future__ import annotations

from ..errors import AutocodecError


class ModuleBuildError(AutocodecError):
    """A module folder could not be scaffolded or built; the message names the file or step."""


class InvalidModuleSource(ModuleBuildError):
    """The module folder itself is wrong (module.json, missing or mixed sources): fix the folder."""


class ToolchainMissing(ModuleBuildError):
    """A pinned compiler is not installed here: run the project's setup (./dev setup)."""


class CompileFailed(ModuleBuildError):
    """The compiler refused the sources; its first lines are in the message."""
