"""The parser of a command made of actions (``autocodec block put``, ``autocodec key gen``...).

Invariant: such a command keeps its action in ``<command>_command``, shows it as ``ACTION``
in its usage line, refuses a command line that names none (a usage error), and prints its
epilog as written (line breaks kept).
"""

from __future__ import annotations

import argparse
from typing import Any


def command_with_actions(sub: Any, name: str, help_text: str, epilog: str) -> Any:
    """Add command ``name`` to the top-level subparsers ``sub``; return the subparsers its actions go in."""
    parser = sub.add_parser(name, help=help_text, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest=f"{name}_command", metavar="ACTION")
    actions.required = True
    return actions
