"""Structured logging: one small structlog pipeline shared by every wing.

Invariants:
- Every record has an ``event`` and the wing that emitted it (``logger``); decisions also name
  the module CID, publisher, set and policy that decided (callers pass them as fields).
- Records go to stderr, never stdout (stdout carries command output). ``AUTOCODEC_LOG=json``
  switches to one JSON object per line; ``AUTOCODEC_LOG_LEVEL`` (default ``warning``) or
  ``configure(level=...)`` sets the threshold.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
_configured = False


def configure(level: str | None = None, json: bool | None = None) -> None:
    """(Re)build the pipeline; safe to call more than once."""
    global _configured
    level_name = (level or os.environ.get("AUTOCODEC_LOG_LEVEL") or "warning").lower()
    as_json = json if json is not None else os.environ.get("AUTOCODEC_LOG", "") == "json"
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.dict_tracebacks if as_json else structlog.dev.set_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level_name, logging.WARNING)),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=False,
    )
    _configured = True


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
    if not _configured:
        configure()
    return structlog.get_logger().bind(logger=wing)
