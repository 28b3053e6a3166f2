"""Building modules as another machine would, for the reproducible-build tests: ``builder_env``
(an environment unlike the test process's: its own HOME and TMPDIR, time zone, locale,
SOURCE_DATE_EPOCH and user), ``run_as_builder`` (a command under it, with its own umask),
``COLD_CLI`` (the CLI with a cold compiler cache) and ``IGNORED`` (what a copy of the sources leaves out).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

IGNORED = shutil.ignore_patterns(".zig-cache", "__pycache__", "*.pyc")

# Runs the CLI with the module kit's compiler cache moved to argv[1] (a cold cache).
COLD_CLI = (
    "import sys\n"
    "from pathlib import Path\n"
    "import autocodec.modkit._sdk as sdk\n"
    "sdk.cache_dir = lambda lang: Path(sys.argv[1]) / lang\n"
    "from autocodec.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


def builder_env(base: Path, *, tz: str, lang: str, epoch: str, user: str) -> dict[str, str]:
    """A builder's environment unlike the test process's: its own HOME and TMPDIR (under ``base``)."""
    home, tmp = base / "høme dir", base / "tmp dir"
    home.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    env = {k: os.environ[k] for k in ("PATH", "PYTHONPATH", "RUSTUP_HOME", "CARGO_HOME") if k in os.environ}
    # rustup finds its toolchains under the real HOME unless told: keep them found.
    env.setdefault("RUSTUP_HOME", str(Path.home() / ".rustup"))
    env.setdefault("CARGO_HOME", str(Path.home() / ".cargo"))
    return {**env, "HOME": str(home), "TMPDIR": str(tmp), "TZ": tz, "LANG": lang, "LC_ALL": lang,
            "SOURCE_DATE_EPOCH": epoch, "USER": user, "LOGNAME": user, "AUTOCODEC_HOME": str(home / "ac")}


def run_as_builder(cmd: list[str], cwd: Path, env: dict[str, str], umask: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
                          preexec_fn=lambda: os.umask(umask))
