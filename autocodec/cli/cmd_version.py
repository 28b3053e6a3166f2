"""``autocodec version``: this program's version in the shapes of Kubo 0.43.1's ``ipfs version``.

Invariants:
- the values are autocodec's own, never Kubo's: ``Version`` is the package version, ``Repo`` the
  block store's schema version this code writes (Kubo's is its repo format version), ``System``
  ``GOARCH/GOOS`` spelled as Go spells them (``amd64/linux``), ``Commit`` empty (no build commit
  is recorded, as in Kubo's release builds) and ``Golang`` empty (no Go here); the Python
  version is ``Python``;
- text: ``--all`` wins over ``--repo``, which wins over ``--number``, as in Kubo; ``--enc=json``
  is always the whole object, whatever the other options say, as in Kubo;
- nothing reads or creates the home.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._kubo import add_enc_option, bool_flag

EPILOG = """examples:
  autocodec version              # autocodec version 0.1.0
  autocodec version --number     # 0.1.0
  autocodec version --all        # version, store schema, system and Python
  autocodec version --enc=json   # Kubo's {"Version", "Commit", "Repo", "System", "Golang"} and "Python"
"""

_GO_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386",
            "i686": "386", "x86": "386", "armv7l": "arm", "armv6l": "arm", "ppc64le": "ppc64le",
            "s390x": "s390x", "riscv64": "riscv64"}
"""``platform.machine()`` to Go's ``GOARCH`` (others are shown lower-case as they are)."""


def register(sub: Any) -> None:
    p = sub.add_parser("version", help="this program's version, as `ipfs version` shows Kubo's",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    bool_flag(p, "-n", "number", False, "only the version number")
    bool_flag(p, None, "commit", False, "add the build commit (none is recorded: adds nothing)")
    bool_flag(p, None, "repo", False, "only the block store's schema version")
    bool_flag(p, None, "all", False, "version, store schema, system and Python version")
    add_enc_option(p, 'Kubo\'s {"Version", "Commit", "Repo", "System", "Golang"}, then "Python"')
    p.set_defaults(func=run)


def go_system() -> str:
    """``GOARCH/GOOS`` of this machine, as Kubo's ``System version`` spells it."""
    import platform
    import sys

    machine = platform.machine().lower()
    goos = "windows" if sys.platform == "win32" else sys.platform.rstrip("0123456789")
    return f"{_GO_ARCH.get(machine, machine)}/{goos}"


def version_info(everything: bool = True) -> dict[str, str]:
    """The JSON object: Kubo's five keys in its order, then ``Python``; with ``everything``
    false only ``Version`` and ``Commit`` (the store and the platform are not imported: start-up)."""
    from .. import __version__

    if not everything:
        return {"Version": __version__, "Commit": ""}
    import platform

    from ..store._blockstore import SCHEMA

    return {"Version": __version__, "Commit": "", "Repo": str(SCHEMA.version), "System": go_system(),
            "Golang": "", "Python": platform.python_version()}


def version_text(info: dict[str, str], args: argparse.Namespace) -> str:
    """The text ``ipfs version`` prints for these options, with this program's values."""
    commit = f"-{info['Commit']}" if args.commit and info["Commit"] else ""
    if args.all:
        return (f"Autocodec version: {info['Version']}{commit}\nRepo version: {info['Repo']}\n"
                f"System version: {info['System']}\nPython version: {info['Python']}\n")
    if args.repo:
        return info["Repo"] + "\n"
    if args.number:
        return info["Version"] + commit + "\n"
    return f"autocodec version {info['Version']}{commit}\n"


def run(args: argparse.Namespace) -> int:
    from ._io import write_stdout
    from ._kubo import go_json

    info = version_info(args.enc == "json" or args.all or args.repo)
    write_stdout((go_json(info) if args.enc == "json" else version_text(info, args)).encode())
    return 0
