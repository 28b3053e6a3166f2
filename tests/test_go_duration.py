"""Go durations (``--timeout``, ``name publish --lifetime``/``--ttl``) read as Go's
``time.ParseDuration`` reads them, refusals word for word: generated texts against Go's own
function (``tests/go-ref/duration``, built with the Go that builds Kubo here). Kubo-run cases
are in ``tests/test_cli_kubo_globals2.py``."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from autocodec._gotime import parse_duration
from tests._go_ref import build_stdlib_ref

PARTS = ["0", "1", "5", "00", "1.", "1.5", ".5", ".", "9223372036854775807", "9223372036854775808",
         "9223372036854775809", "2562047", "2562048", "2562047.788015", "0.0000000001",
         "123456789012345678901234567890", "1.99999999999999999999999", "1e3", "-", "+"]
UNITS = ["ns", "us", "\u00b5s", "\u03bcs", "ms", "s", "m", "h", "", "x", "H", "sec", "\u00e9", "\x01", '"', "\\"]
NAMED = ["", "0", "-0", "+0", "5", "x", "1h5", ".s", "1.h", "-9223372036854775808ns", "9223372036854775807ns",
         "9223372036854775808ns", "-9223372036854775809ns", "1\udcffs", "2562047h47m16.854775807s",
         "2562047h47m16.854775808s", "+-1s", "1h-1m", " 1s", "1s ",
         "9223372036854775808ns9223372036854775808ns.5ms"]  # Go's uint64 sum wraps to 0 (seed 7)


def texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    out = list(NAMED)
    for _ in range(count):
        parts = "".join(rng.choice(PARTS) + rng.choice(UNITS) for _ in range(rng.randint(1, 3)))
        out.append(rng.choice(["", "", "-", "+"]) + parts)
    return out


def differences(binary: Path, cases: list[str]) -> list[str]:
    lines = "".join(text.encode("utf-8", "surrogateescape").hex() + "\n" for text in cases)
    run = subprocess.run([str(binary)], input=lines.encode(), capture_output=True, check=True, timeout=120)
    theirs = run.stdout.decode().splitlines()
    assert len(theirs) == len(cases)
    wrong = []
    for text, go_said in zip(cases, theirs, strict=True):
        try:
            ours = str(parse_duration(text))
        except ValueError as exc:
            ours = f"ERR {exc}"
        if ours != go_said:
            wrong.append(f"{text!r}: go {go_said!r}, ours {ours!r}")
    return wrong


@pytest.mark.slow
def test_durations_read_as_go_reads_them(tmp_path: Path) -> None:
    cases = texts(0, 3000)
    wrong = differences(build_stdlib_ref("duration", tmp_path), cases)
    assert not wrong, f"{len(wrong)} of {len(cases)} differ:\n" + "\n".join(wrong[:8])


if __name__ == "__main__":  # a longer run: python -m tests.test_go_duration COUNT SEED
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        count, seed = int(sys.argv[1]), int(sys.argv[2])
        found = differences(build_stdlib_ref("duration", Path(tmp)), texts(seed, count))
        print(f"{count + len(NAMED)} texts, {len(found)} differences", *found[:20], sep="\n")
