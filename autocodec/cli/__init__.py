"""The ``autocodec`` command line.

Invariants:
- Each command group lives in its own ``cmd_<group>.py`` module exposing
  ``register(subparsers)``; modules are discovered, so adding a command touches one file.
  Command modules import heavy wings lazily, inside their handlers, to keep start-up fast.
- Exit status: 0 success; 1 an ``AutocodecError`` or a usage error (one line on stderr, no
  traceback; Kubo 0.43.1 exits 1 for both); killed by SIGINT or SIGTERM after one line when
  interrupted; killed by SIGPIPE (as Kubo) when stdout's reader went away.
- Command output goes to stdout; messages, progress and logs go to stderr.
"""

from __future__ import annotations

from ._app import main

__all__ = ["main"]
