"""Structured logging: one small structlog pipeline shared by every wing.

Invariants:
- Every record has an ``event`` and the wing that emitted it (``logger``); decisions also name
  the module CID, publisher, set and policy that decided (callers pass them as fields).
- Records go to stderr, never stdout (stdout carries command output). ``AUTOCODEC_LOG=json``
  switches to one JSON object per line; ``AUTOCODEC_LOG_LEVEL`` (default ``warning``) or
  ``configure(level=...)`` sets the threshold.
- structlog is imported only when a record at or above the threshold is emitted or
  ``configure`` is called: a command that logs nothing does not pay for it at start-up.
- A record's traceback (``exc_info``) shows frames, never their local variables, in both
  renderers: a local may be a passphrase, a key's bytes or a token (structlog's JSON tracebacks
  and its rich console tracebacks show locals by default).
- The library never configures logging: importing it or emitting a record changes no global
  state. Until the application calls ``configure`` (the CLI does), records at or above the
  threshold go through a private pipeline to stderr (like the standard library's last-resort
  handler); ``configure`` installs the structlog pipeline, and every logger, however early it
  was created, follows it from its next record on.
- A value of ``AUTOCODEC_LOG`` (``json``, ``console`` or unset) or ``AUTOCODEC_LOG_LEVEL``
  (``debug``, ``info``, ``warning``, ``error``, ``critical``, any case) that is not one of
  those is never silently taken for the default: the first time it is read, one warning line
  on stderr names the variable, the value and the accepted ones, and the default is used. It
  is a warning, not an error: the variables are read lazily, by whatever thread emits the
  first record, so raising there would fail an unrelated operation of the application over
  its logging (and Kubo, too, warns about a bad ``GOLOG_LOG_LEVEL`` and goes on). A bad
  ``level`` passed to ``configure`` is the caller's mistake: ``ConfigError``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
_configured = False
_version = 0
"""Bumped by every ``configure``: loggers drop what they bound under an older configuration."""
_fallback: Any = None
_FORMATS = ("", "console", "json")
_warned: set[tuple[str, str]] = set()
"""The (variable, value) pairs already warned about: each is said once per process."""


def _warn_once(variable: str, value: str, accepted: str, default: str) -> None:
    """One stderr line saying ``variable``'s ``value`` is not accepted and ``default`` is used."""
    if (variable, value) in _warned:
        return
    _warned.add((variable, value))
    _StderrLogger().msg(f"autocodec: warning: {variable}={value[:80]!r} is not one of {accepted}; "
                        f"using {default}")


def _env_level() -> str:
    """``$AUTOCODEC_LOG_LEVEL`` in lower case (``warning`` when unset); an unknown name warns once
    and means ``warning``."""
    raw = os.environ.get("AUTOCODEC_LOG_LEVEL") or "warning"
    name = raw.strip().lower()
    if name not in _LEVELS:
        _warn_once("AUTOCODEC_LOG_LEVEL", raw, ", ".join(_LEVELS), "warning")
        return "warning"
    return name


def _env_json() -> bool:
    """Whether ``$AUTOCODEC_LOG`` asks for JSON lines; an unknown value warns once and means console."""
    raw = os.environ.get("AUTOCODEC_LOG", "")
    name = raw.strip().lower()
    if name not in _FORMATS:
        _warn_once("AUTOCODEC_LOG", raw, "json, console", "console")
    return name == "json"


def configure(level: str | None = None, json: bool | None = None) -> None:
    """(Re)build the pipeline; safe to call more than once. For applications (the CLI), not
    for library code."""
    global _configured, _version
    import structlog

    if level is not None and (not isinstance(level, str) or level.lower() not in _LEVELS):
        from .errors import ConfigError

        raise ConfigError(f"{level!r} is not a log level", hint=f"use one of {', '.join(_LEVELS)}")
    level_name = level.lower() if level else _env_level()
    as_json = json if json is not None else _env_json()
    renderer: Any = structlog.processors.JSONRenderer(sort_keys=True) if as_json else _console()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _dict_tracebacks() if as_json else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level_name]),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=False,
    )
    _configured = True
    _version += 1


def _console() -> Any:
    """The console renderer, its tracebacks plain (rich's would show every frame's locals)."""
    import structlog

    return structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)


def _dict_tracebacks() -> Any:
    """``dict_tracebacks`` without the local variables of each frame (structlog shows them by default)."""
    import structlog
    from structlog.tracebacks import ExceptionDictTransformer

    return structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))


class _StderrLogger:
    """Writes each rendered record to whatever ``sys.stderr`` is *now* (not at configure time),
    so a replaced or closed stream (tests, daemons) never breaks logging."""

    def __init__(self, *args: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        try:
            stream = sys.stderr
            stream.write(message + "\n")
            stream.flush()
        except (ValueError, OSError, AttributeError):
            pass  # no usable stderr: drop the record rather than fail the caller

    log = debug = info = warning = warn = error = critical = exception = fatal = failure = err = msg


def get_logger(wing: str) -> Any:
    """A bound logger for one wing (``store``, ``loader``, ``verify``, ``registry``...)."""
    return _LazyLogger(wing)


_default_level: str | None = None


@contextmanager
def default_level(level: str | None) -> Iterator[None]:
    """While the block runs, the threshold of records before ``configure`` is ``level``
    (otherwise ``$AUTOCODEC_LOG_LEVEL``, else ``warning``). For applications: the CLI raises it
    so a failing command prints one line."""
    global _default_level, _fallback
    previous = _default_level
    _default_level, _fallback = level, None  # the fallback pipeline is rebuilt at the threshold
    try:
        yield
    finally:
        _default_level, _fallback = previous, None


def _threshold() -> int:
    if _default_level is not None and _default_level.lower() in _LEVELS:
        return _LEVELS[_default_level.lower()]
    return _LEVELS[_env_level()]


def _drop(*args: Any, **kw: Any) -> None:
    """A record below the threshold before logging was configured: nothing to do."""


def _unconfigured() -> Any:
    """The private pipeline used before the application configured logging (console lines on
    stderr at the environment's threshold); it leaves structlog's global configuration alone."""
    global _fallback
    if _fallback is None:
        import structlog

        _fallback = structlog.wrap_logger(
            _StderrLogger(),
            processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True),
                        structlog.dev.set_exc_info, _console()],
            wrapper_class=structlog.make_filtering_bound_logger(_threshold()),
            cache_logger_on_first_use=False,
        )
    return _fallback


class _LazyLogger:
    """Stands for ``structlog.get_logger().bind(logger=wing)`` until a record needs it."""

    __slots__ = ("_wing", "_bound", "_version")

    def __init__(self, wing: str) -> None:
        self._wing = wing
        self._bound: Any = None
        self._version = -1

    def __getattr__(self, name: str) -> Any:
        if not _configured:
            if _LEVELS.get(name, _LEVELS["critical"] + 1) < _threshold():
                return _drop
            return getattr(_unconfigured().bind(logger=self._wing), name)
        if self._bound is None or self._version != _version:
            import structlog

            self._bound = structlog.get_logger().bind(logger=self._wing)
            self._version = _version
        return getattr(self._bound, name)
