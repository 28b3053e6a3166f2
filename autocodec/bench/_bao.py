"""Group ``bao`` (issue 23): large content moved verified, in a fresh process.

One child process makes a file (1 GiB; 8 MiB with ``small_inputs``), then:
``bao.encode``     its outboard (Wasm encoder + host flip), file to file, vs the ``blake3``
                   package hashing the same bytes (Rust, one thread) — target <= 2x;
``bao.verify``     the content checked against that outboard (every chunk and parent) — <= 2x;
``bao.add``        keeps it as a BLAKE3 CID with its outboard (``BlobStore.add``: the encoding
                   plus a copy of the content into the home) — <= 2x;
``bao.fetch``      fetches ``/bao/{cid}`` from ``autocodec serve``'s app (aiohttp on loopback,
                   in the same process) and verifies every chunk (``bao.fetch``) — <= 2x blake3;
``bao.rss``        the process's peak RSS (VmHWM) over all of it, server included — < 100 MiB;
``bao.corrupt-90`` the stored content flipped at 90%: the fetch must fail at exactly that
                   chunk (a wrong chunk or no failure is an error) — time to the refusal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ._core import BenchConfig, Figure, Measurement, Target

_CHILD = r"""
import asyncio, json, random, sys, threading, time, urllib.request
sys.path.insert(0, {root!r})
from pathlib import Path
import blake3
from aiohttp import web
from autocodec import bao
from autocodec.bench._data import module_bytes
from autocodec.registry import Runtime
from autocodec.serve._app import make_app

tmp, mib = Path({tmp!r}), {mib}
src = tmp / "content.bin"
with open(src, "wb") as f:
    for i in range(mib):
        f.write(random.Random(i).randbytes(1 << 20))
rt = Runtime(tmp / "home")
v = bao.Verifier(rt.sandbox.load(module_bytes("bao")))
out = {{}}
t = time.perf_counter_ns()
h = blake3.blake3()
with open(src, "rb") as f:
    while piece := f.read(1 << 20):
        h.update(piece)
out["native_ns"] = time.perf_counter_ns() - t
t = time.perf_counter_ns()
with open(src, "rb") as f, open(tmp / "alone.obao", "w+b") as ob:
    assert bao.encode(v, f, ob, outboard=True) == h.digest()
out["encode_ns"] = time.perf_counter_ns() - t
t = time.perf_counter_ns()
with open(src, "rb") as f, open(tmp / "alone.obao", "rb") as ob:
    assert bao.decode(v, h.digest(), f, lambda b: None, outboard=ob) == mib << 20
out["verify_ns"] = time.perf_counter_ns() - t
(tmp / "alone.obao").unlink()
store = bao.BlobStore(rt.home.root / "bao")
t = time.perf_counter_ns()
with open(src, "rb") as f:
    cid = store.add(v, f)
out["add_ns"] = time.perf_counter_ns() - t
assert cid.digest == h.digest()
src.unlink()
loop = asyncio.new_event_loop()
runner = web.AppRunner(make_app(rt))
loop.run_until_complete(runner.setup())
site = web.TCPSite(runner, "127.0.0.1", 0)
loop.run_until_complete(site.start())
port = runner.addresses[0][1]
threading.Thread(target=loop.run_forever, daemon=True).start()
url = f"http://127.0.0.1:{{port}}/bao/{{cid}}"

class Sink:
    n = 0
    def write(self, b):
        self.n += len(b)

sink = Sink()
t = time.perf_counter_ns()
with urllib.request.urlopen(url, timeout=120) as resp:
    bao.fetch(v, cid, resp, sink.write)
out["fetch_ns"] = time.perf_counter_ns() - t
assert sink.n == mib << 20
data_path = store.paths(cid)[0]
at = int((mib << 20) * 0.9)
with open(data_path, "r+b") as f:
    f.seek(at)
    b = f.read(1)
    f.seek(at)
    f.write(bytes([b[0] ^ 1]))
sink = Sink()
t = time.perf_counter_ns()
try:
    with urllib.request.urlopen(url, timeout=120) as resp:
        bao.fetch(v, cid, resp, sink.write)
    out["corrupt_error"] = "the corrupt content was accepted"
except bao.VerificationFailed as exc:
    want = at // 1024
    ok = f"chunk {{want}} " in exc.message and sink.n == want * 1024
    out["corrupt_error"] = None if ok else f"failed elsewhere: {{exc.message}} after {{sink.n}} bytes"
out["corrupt_ns"] = time.perf_counter_ns() - t
with open("/proc/self/status") as status:
    out["rss_kib"] = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps(out))
"""

EXPECTED_IDS = ("bao.encode", "bao.verify", "bao.add", "bao.fetch", "bao.rss", "bao.corrupt-90")


def run(config: BenchConfig) -> list[Figure]:
    mib = 8 if config.small_inputs else 1024
    size = f"{mib} MiB" if mib < 1024 else "1 GiB"
    native = "blake3 (py)"
    two = Target(native, 2.0, "<= 2x the blake3 package hashing it")
    encode = Figure("bao.encode", "bao", f"{size}: outboard encoding (file to file)", ours_label="wasm",
                    bytes_per_op=mib << 20, target=two)
    verify = Figure("bao.verify", "bao", f"{size}: verify content against its outboard", ours_label="wasm",
                    bytes_per_op=mib << 20, target=two)
    add = Figure("bao.add", "bao", f"{size}: add as a BLAKE3 CID (encode + a copy of the content)", ours_label="wasm",
                 bytes_per_op=mib << 20, target=two)
    fetch = Figure("bao.fetch", "bao", f"{size}: serve /bao/CID and fetch + verify it over HTTP (one process)",
                   ours_label="wasm", bytes_per_op=mib << 20, target=two)
    rss = Figure("bao.rss", "bao", f"{size}: peak RSS of make, add, serve, fetch, verify (one process)", unit="KiB",
                 target=Target("bound", None, "< 100 MiB", max_ns=100 * 1024))
    corrupt = Figure("bao.corrupt-90", "bao", f"{size}: content corrupted at 90%, refused at that chunk",
                     target=Target("bound", None, "refused at the corrupt chunk within 60 s", max_ns=60e9))
    figures = [encode, verify, add, fetch, rss, corrupt]
    root = Path(__file__).resolve().parents[2]
    try:
        with tempfile.TemporaryDirectory(prefix="autocodec-bench-bao-") as tmp:
            code = _CHILD.format(root=str(root), tmp=tmp, mib=mib)
            env = {**os.environ, "AUTOCODEC_HOME": str(Path(tmp) / "home")}
            proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=1800)
            if proc.returncode != 0:
                raise RuntimeError(f"exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-400:]}")
            doc = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
        for fig in figures:
            fig.error = str(exc)
        return figures
    for fig, key in ((encode, "encode_ns"), (verify, "verify_ns"), (add, "add_ns"), (fetch, "fetch_ns")):
        fig.ours = Measurement.of([float(doc[key])])
        fig.peers[native] = Measurement.of([float(doc["native_ns"])])
        fig.note = "one run in a fresh process"
    rss.ours = Measurement.of([float(doc["rss_kib"])])
    rss.peers["bound"] = Measurement.of([1.0])
    corrupt.ours = Measurement.of([float(doc["corrupt_ns"])])
    corrupt.peers["bound"] = Measurement.of([1.0])
    corrupt.error = doc["corrupt_error"]
    return figures
