"""Memory growth of a process that upgrades an extension set live (``serve.rss-per-upgrade``).

A child interpreter publishes ``upgrades + 1`` versions of the git-raw codec in one signed set
(each its own module bytes, so each upgrade loads, canaries and compiles a new module), pins
the first, then for each later version puts its bundle in place, refreshes (``Runtime.refresh``,
what ``serve``'s refresher and ``POST /admin/refresh`` run) and decodes git objects with the
codec now serving. It reports its RSS (``VmRSS``) after upgrade ``skip`` and after the last one.
The figure is the growth per upgrade between the two, in KiB: ``skip`` is past the point where
the sandbox's memo of loaded modules (``SandboxLimits.loaded_modules``, 64) is full, so what is
measured is growth that never stops. Target: under 50 KiB per upgrade (RSS is noisy: one sample of 80 upgrades).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ._core import BenchConfig, Figure, Measurement, Target

_LIMIT_KIB = 50
_PEER = "RSS when the measured upgrades start"

_CHILD = r"""
import hashlib, os, shutil, sys
from pathlib import Path
from autocodec import CID
from autocodec.bench._data import git_objects, module_bytes, module_vectors_json
from autocodec.registry import Runtime, add_manifest, export_set, init_set, pin_add, publish_module, publish_set
from autocodec.verify import KeyRing

tmp, upgrades, skip = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
wasm = module_bytes("git-raw")
vectors = tmp / "vectors.json"  # from wasm-src, or from the default set's manifest in a wheel
with Runtime(tmp / "publisher", default_set=False) as pub:
    vectors.write_bytes(module_vectors_json("git-raw", pub.limits))  # read as the publishing home reads them
    key = KeyRing(pub.home.keys_dir).generate("bench")
    init_set(pub, "bench", [key], ["bench"])
    for i in range(upgrades + 1):
        name = b"bench-version"
        body = bytes([len(name)]) + name + str(i).encode()
        path = tmp / f"v{i}.wasm"
        path.write_bytes(wasm + b"\x00" + bytes([len(body)]) + body)  # one more custom section: new bytes
        published = publish_module(pub, path, key, vectors=vectors, version=f"{i + 1}.0.0")
        add_manifest(pub, "bench", published.manifest_cid)
        publish_set(pub, "bench", [key])
        export_set(pub, "bench", tmp / f"bundle-{i}.car")
objects = [(CID.build(0x78, b"\x11\x14" + hashlib.sha1(raw).digest()), raw) for _, raw in git_objects()]

def rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    sys.exit("no VmRSS in /proc/self/status")

bundle = tmp / "bundle.car"
shutil.copy(tmp / "bundle-0.car", bundle)
with Runtime(tmp / "user", default_set=False) as rt:
    pin_add(rt, str(bundle))
    for cid, raw in objects:
        rt.store.put(cid, raw)
    start = rss_kib()
    for i in range(1, upgrades + 1):
        shutil.copy(tmp / f"bundle-{i}.car", tmp / "next.car")
        os.replace(tmp / "next.car", bundle)
        outcome = rt.refresh()
        if [o.status for o in outcome] != ["swapped"]:
            sys.exit(f"upgrade {i} was not swapped in: {outcome}")
        for cid, _ in objects:
            rt.decode(cid)
        if i == skip:
            start = rss_kib()
    print("autocodec-bench-upgrades", start, (rss_kib() - start) / (upgrades - skip))
"""


def _measure(upgrades: int, skip: int) -> tuple[float, float]:
    """``(RSS at upgrade skip, KiB of RSS growth per upgrade after it)`` from a child process."""
    with tempfile.TemporaryDirectory(prefix="autocodec-bench-upgrades-") as tmp:
        env = {**os.environ, "AUTOCODEC_HOME": str(Path(tmp) / "unused-home")}
        proc = subprocess.run([sys.executable, "-c", _CHILD, tmp, str(upgrades), str(skip)], env=env,
                              capture_output=True, timeout=1800)
    out, error = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"the upgrading child exited {proc.returncode}: {error.strip()[-300:]}")
    for line in out.splitlines():
        if line.startswith("autocodec-bench-upgrades "):
            _, start, per = line.split()
            return float(start), float(per)
    raise RuntimeError("the upgrading child reported nothing")


def run(config: BenchConfig) -> list[Figure]:
    fig = Figure("serve.rss-per-upgrade", "memory", f"RSS growth per live upgrade (after {config.upgrade_skip})",
                 unit="KiB", ours_label="growth per upgrade",
                 target=Target(_PEER, None, f"< {_LIMIT_KIB} KiB per upgrade", max_ns=_LIMIT_KIB),
                 note=f"{config.upgrades - config.upgrade_skip} upgrades of git-raw through Runtime.refresh, "
                      "after the compiled-module memo is full; one sample")
    try:
        start, per = _measure(config.upgrades, config.upgrade_skip)
        fig.ours = Measurement.of([per])
        fig.peers[_PEER] = Measurement.of([start])
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        fig.error = str(exc)
    return [fig]
