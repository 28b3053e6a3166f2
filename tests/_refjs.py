"""Run the JS reference codecs (tests/refjs/*.mjs) installed by tools/setup.d/32-refjs-btc-jose.sh.

``require_refjs()`` skips a test with the reason when node or the installed references are
missing, except under CI=true, where ``./dev setup`` installs them and their absence fails.
``run_reference(script, lines)`` feeds one request per line and returns one answer per line:
DAG-CBOR hex of the reference's decode, or ``"ERR <message>"``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFJS_DIR = REPO / ".cache" / "refjs-btc-jose"
SCRIPTS = REPO / "tests" / "refjs"


def refjs_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (REFJS_DIR / "node_modules" / "bitcoin-block").is_dir() or not (REFJS_DIR / "node_modules" / "dag-jose").is_dir():
        return f"reference codecs not installed in {REFJS_DIR} (run ./dev setup)"
    return None


def require_refjs() -> None:
    why = refjs_missing()
    if why is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the differential tests: {why}")
    pytest.skip(why)


def run_reference(script: str, lines: list[str]) -> list[str]:
    proc = subprocess.run(
        ["node", str(SCRIPTS / script)],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env={**os.environ, "REFJS_DIR": str(REFJS_DIR)},
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script} failed: {proc.stderr[-2000:]}")
    answers = proc.stdout.splitlines()
    if len(answers) != len(lines):
        raise RuntimeError(f"{script} answered {len(answers)} of {len(lines)} requests")
    return answers
