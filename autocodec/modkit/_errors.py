"""Errors of module scaffolding and building (under ``AutocodecError``)."""

from __future__ import annotations

from ..errors import AutocodecError


class ModuleBuildError(AutocodecError):
    """A module folder could not be scaffolded or built; the message names the file or step."""

    hint = "see docs/abi.md, 'Your first module'"


class InvalidModuleSource(ModuleBuildError):
    """The module folder itself is wrong (module.json, missing or mixed sources): fix the folder."""

    hint = "fix the module folder; `autocodec module new` shows a working one"


class ToolchainMissing(ModuleBuildError):
    """A pinned compiler or the SDK is not installed here."""

    hint = "run the project's setup (./dev setup) from autocodec's source tree"


class CompileFailed(ModuleBuildError):
    """The compiler refused the sources; the first error line (and where it is) is in the
    message, everything the compiler printed in ``output``."""

    hint = "fix the first error the compiler names and build again"

    def __init__(self, message: str, *, output: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.output = output
