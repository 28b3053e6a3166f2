"""The C helpers that read untrusted bytes (``autocodec/builtin/_cscan.c``: the DAG-CBOR fast
path, batched records, DAG-PB, the nesting scans), built with AddressSanitizer and
UndefinedBehaviorSanitizer and driven with the differential checks plus mutated inputs in a
child process: any out-of-bounds read, use after free or undefined behaviour aborts it.

Skipped with the reason when the compiler has no sanitizer runtime.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ._sanitized import sanitized_cscan
from .conftest import REPO

_DRIVER = r"""
import importlib.util, random, struct, sys
spec = importlib.util.spec_from_file_location("autocodec.builtin._cscan", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["autocodec.builtin._cscan"] = module  # the sanitized build, before anyone imports the plain one
spec.loader.exec_module(module)
sys.path.insert(0, sys.argv[2])
from autocodec.builtin import _native
assert _native._cscan is module and _native.cbor_decode is module.cbor_decode
from tests._dagcbor_agree import agree, fixture_blocks, random_value
from autocodec.builtin import _dagcbor
from autocodec.cid import CID
rnd = random.Random(int(sys.argv[3]))
seeds = fixture_blocks() + [_dagcbor._encode(random_value(rnd), CID, False) for _ in range(200)]
accepted = 0
for _ in range(int(sys.argv[4])):
    data = bytearray(rnd.choice(seeds))
    for _ in range(rnd.randrange(1, 4)):
        if not data:
            break
        pos, action = rnd.randrange(len(data)), rnd.randrange(4)
        if action == 0:
            data[pos] = rnd.randrange(256)
        elif action == 1:
            del data[pos:pos + rnd.randrange(1, 8)]
        elif action == 2:
            data[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 4)))
        else:
            data[pos] ^= 1 << rnd.randrange(8)
    data = bytes(data)
    accepted += agree(data) == "fast"
    frame = b"".join(struct.pack("<II", rnd.choice([0, 0, 1, 9]), len(x)) + x for x in (data, rnd.choice(seeds)))
    module.decode_records(frame[:rnd.randrange(len(frame) + 1)] if rnd.random() < 0.3 else frame, 2,
                          rnd.choice([0, 16, 1024]))
    try:
        module.pb_decode(data)
    except ValueError:
        pass
    module.cbor_scan(data, 64, 10_000, True)
    module.json_depth(data, 64)
print("ok", accepted)
"""


@pytest.mark.slow  # compiles the C helpers and runs a child process under the sanitizers
def test_c_helpers_under_address_and_undefined_behaviour_sanitizers(tmp_path: Path) -> None:
    built, env = sanitized_cscan(tmp_path)
    proc = subprocess.run([sys.executable, "-c", _DRIVER, str(built), str(REPO), "5", "40000"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.startswith("ok"), (proc.stdout[-2000:], proc.stderr[-4000:])
    assert int(proc.stdout.split()[1]) > 1000  # mutants the fast path accepted (and cbrrr agreed on)
