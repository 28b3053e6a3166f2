"""``autocodec key gen|list|show``: Ed25519 signing keys (did:key) kept in the home folder."""

from __future__ import annotations

import argparse
import os
from typing import Any
from ._options import nonempty

EPILOG = """examples:
  autocodec key gen alice                              # prints did:key:z6Mk...
  PASS=s3cret autocodec key gen bob --passphrase-env PASS
  autocodec key list
"""


def register(sub: Any) -> None:
    p = sub.add_parser("key", help="manage Ed25519 signing keys (did:key)",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ksub = p.add_subparsers(dest="key_command", metavar="ACTION")
    ksub.required = True
    gen = ksub.add_parser("gen", help="create a new key (file mode 0600) and print its DID")
    gen.add_argument("name", help="key name (letters, digits, '.', '_', '-')")
    gen.add_argument("--passphrase-env", metavar="VAR", type=nonempty("an environment variable's name"),
                     help="encrypt the key with the passphrase in environment variable VAR")
    gen.set_defaults(func=run_gen)
    ls = ksub.add_parser("list", help="list keys and their DIDs")
    ls.set_defaults(func=run_list)
    show = ksub.add_parser("show", help="print a key's DID")
    show.add_argument("name")
    show.set_defaults(func=run_show)


_taken: dict[str, str] = {}
"""Passphrases this process already took out of its environment, by variable name."""


def passphrase_from_env(var: str | None) -> bytes | None:
    """The passphrase held in environment variable ``var`` (None if no variable was named).

    The variable is removed from this process's environment as it is read, so no child process
    started afterwards (the bounded compiler, bulk workers, build tools) inherits the passphrase;
    a later read in the same process (``main`` called again) gets the value taken, unless the
    variable was set anew."""
    from ..errors import ConfigError

    if var is None:
        return None
    value = os.environ.pop(var, None) or _taken.get(var)
    if not value:
        raise ConfigError(f"environment variable {var} is not set or empty", hint=f"export {var}=... first")
    _taken[var] = value
    return value.encode("utf-8")


def _ring() -> Any:
    from ..home import Home
    from ..verify import KeyRing

    return KeyRing(Home.resolve().init().keys_dir)


def run_gen(args: argparse.Namespace) -> int:
    from ._io import write_line

    key = _ring().generate(args.name, passphrase_from_env(args.passphrase_env))
    write_line(key.did)
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ._io import write_line

    for entry in _ring().list():
        suffix = "\t(encrypted)" if entry.encrypted else ""
        if entry.problem:
            suffix += f"\t(unusable: {entry.problem})"
        write_line(f"{entry.name}\t{entry.did}{suffix}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from ._io import write_line

    write_line(_ring().did(args.name))
    return 0
