"""Group ``bao`` (issue 23): large content moved verified, each side in its own process.

A driver process makes a file (1 GiB; 8 MiB with ``small_inputs``), then, in interleaved rounds
(medians side by side), times:
``bao.encode``     its outboard (Wasm encoder + host flip), file to file;
``bao.verify``     the content checked against that outboard (every chunk and parent);
both next to the ``blake3`` package hashing the same file with its default (``max_threads=1``:
one thread, AVX2 where the CPU has it), the target's peer — target <= 2x — and, for contrast,
with ``max_threads=AUTO`` (every core). Ours runs on every CPU the process may use (the tree
cut into tiles, ``autocodec.bao._tiles``; one CPU runs one stream); and next to them the
same with chunk groups of 16 KiB (``group_log=4``, Iroh's bao-tree format: an outboard 1/16
the size) as a peer, "ours, 16 KiB groups". Also per round:
``bao.kernel``     the root hash on one thread (one stream: the module's hashing kernel alone)
                   next to the ``blake3`` crate built without AVX2 and AVX-512
                   (``tools/blake3-4lanes``, made by the setup: SSE4.1's 4 lanes of 128 bits,
                   the width Wasm SIMD128 gives a module) hashing the same file with a
                   page-aligned buffer — target <= 1.5x — and the package (one thread): how
                   near its ceiling the kernel is, apart from the vector width.
Then, in rounds of its own:
``bao.add``        keeps it as a BLAKE3 CID (``BlobStore.add``: the combined encoding, each
                   tile written at its place) — <= 2x (a stretch: it also writes 1 GiB); next
                   to it "write only", as many bytes written to a new file alone; each round
                   runs both, each first in turn, each timed part after ``os.sync()`` (no
                   write-back of an earlier part's file lands in it) and timed to the file's
                   close, not to its write-back (what the user waits for);
and starts a real ``autocodec serve`` process over that home. A fresh client process per round:
``bao.fetch``      ``GET /bao/{cid}`` (the server sends the stored encoding) and verifies every
                   chunk as it arrives (``bao.fetch``, zero-copy) — <= 2x the blake3 package
                   hashing the file; timed from the request to the last verified byte; next
                   to it the same download read into a page-aligned buffer unchecked ("download only": what
                   the loopback transfer alone costs on this machine);
``bao.rss``        peak RSS (VmHWM) of the driver (make, encode, verify, add) — < 100 MiB;
``bao.rss-server`` of the serve process after every fetch — < 100 MiB;
``bao.rss-client`` of the largest fetching client — < 100 MiB;
``bao.corrupt-90`` the stored content flipped at 90%: the fetch must fail at exactly that
                   chunk having written exactly the chunks before it — time to the refusal.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ._core import BenchConfig, Figure, Measurement, Target

_CLIENT = r"""
import json, mmap, sys, time, urllib.request
sys.path.insert(0, {root!r})
from autocodec import bao
from autocodec.bench._data import module_bytes
from autocodec.cid import CID
from autocodec.loader import Sandbox
url, cid = sys.argv[1], CID.parse(sys.argv[2])
v = bao.Verifier(Sandbox().load(module_bytes("bao")))
class Sink:
    n = 0
    def write(self, b):
        self.n += len(b)
sink = Sink()
error = None
t = time.perf_counter_ns()
c = time.process_time_ns()
if sys.argv[3:] == ["raw"]:  # the transfer alone: the same response read into a buffer, unchecked
    room = mmap.mmap(-1, 1 << 20)  # page-aligned: 16 bytes off a 64-byte boundary, the kernel copied ~4x slower here
    with urllib.request.urlopen(url, timeout=600) as resp:
        while got := resp.readinto(room):
            sink.n += got
else:
    try:
        with urllib.request.urlopen(url, timeout=600) as resp:
            bao.fetch(v, cid, resp, sink.write)
    except bao.VerificationFailed as exc:
        error = exc.message
ns = time.perf_counter_ns() - t
cpu_ns = time.process_time_ns() - c
with open("/proc/self/status") as status:
    rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({{"ns": ns, "cpu_ns": cpu_ns, "n": sink.n, "error": error, "rss_kib": rss}}))
"""

_DRIVER = r"""
import json, os, random, socket, subprocess, sys, time, urllib.request
sys.path.insert(0, {root!r})
from pathlib import Path
import blake3
from autocodec import bao
from autocodec.bench._cpu import cpu_ns as cpu, tree_cpu_ns
from autocodec.bench._data import module_bytes
from autocodec.loader import Sandbox

tmp, mib, rounds = Path({tmp!r}), {mib}, {rounds}
src = tmp / "content.bin"
with open(src, "wb") as f:
    for i in range(mib):
        f.write(random.Random(i).randbytes(1 << 20))
os.sync()  # settled: no write-back of the made file lands in a timed part (nor of a part's file below)
v = bao.Verifier(Sandbox().load(module_bytes("bao")))
out = {{"native_ns": [], "native_all_ns": [], "encode_ns": [], "verify_ns": [], "fetch_ns": [], "raw_ns": [], "client_rss_kib": [],
        "encode_g4_ns": [], "verify_g4_ns": [], "kernel_ns": [], "lanes4_ns": [], "lanes4_error": None}}
lanes4 = {lanes4!r}

class OneStream:  # the file without its descriptor: bao_hash takes the one-stream path, one thread
    def __init__(self, f):
        self.readinto, self.read = f.readinto, f.read

def kernel():
    with open(src, "rb", buffering=0) as f:
        return bao.bao_hash(v, OneStream(f))

def four_lanes():
    proc = subprocess.run([lanes4, str(src), "1"], capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"exited {{proc.returncode}}: {{proc.stderr.strip()[-200:]}}")
    got = json.loads(proc.stdout)
    if bytes.fromhex(got["root"]) != root:
        raise RuntimeError("its root hash differs from the blake3 package's")
    return got["ns"][0]

def native():
    h = blake3.blake3()  # max_threads=1, the package's default
    with open(src, "rb") as f:
        while piece := f.read(1 << 20):
            h.update(piece)
    return h.digest()

def native_all():
    h = blake3.blake3(max_threads=blake3.blake3.AUTO)  # every core, for contrast
    with open(src, "rb") as f:
        while piece := f.read(1 << 20):
            h.update(piece)
    return h.digest()

root = native()
for _ in range(rounds):
    t = time.perf_counter_ns(); c = cpu(); native()
    out["native_ns"].append(time.perf_counter_ns() - t); out.setdefault("native_cpu", []).append(cpu() - c)
    t = time.perf_counter_ns(); c = cpu(); native_all()
    out["native_all_ns"].append(time.perf_counter_ns() - t); out.setdefault("native_all_cpu", []).append(cpu() - c)
    t = time.perf_counter_ns(); c = cpu()
    with open(src, "rb") as f, open(tmp / "alone.obao", "w+b") as ob:
        assert bao.encode(v, f, ob, outboard=True) == root
    out["encode_ns"].append(time.perf_counter_ns() - t); out.setdefault("encode_cpu", []).append(cpu() - c)
    t = time.perf_counter_ns(); c = cpu()
    with open(src, "rb") as f, open(tmp / "alone.obao", "rb") as ob:
        assert bao.decode(v, root, f, lambda b: None, outboard=ob) == mib << 20
    out["verify_ns"].append(time.perf_counter_ns() - t); out.setdefault("verify_cpu", []).append(cpu() - c)
    t = time.perf_counter_ns(); c = cpu()  # the same with chunk groups of 16 KiB (Iroh's format)
    with open(src, "rb") as f, open(tmp / "alone.obao4", "w+b") as ob:
        assert bao.encode(v, f, ob, outboard=True, group_log=4) == root
    out["encode_g4_ns"].append(time.perf_counter_ns() - t); out.setdefault("encode_g4_cpu", []).append(cpu() - c)
    t = time.perf_counter_ns(); c = cpu()
    with open(src, "rb") as f, open(tmp / "alone.obao4", "rb") as ob:
        assert bao.decode(v, root, f, lambda b: None, outboard=ob, group_log=4) == mib << 20
    out["verify_g4_ns"].append(time.perf_counter_ns() - t); out.setdefault("verify_g4_cpu", []).append(cpu() - c)
    t = time.perf_counter_ns(); c = cpu()
    assert kernel() == root
    out["kernel_ns"].append(time.perf_counter_ns() - t); out.setdefault("kernel_cpu", []).append(cpu() - c)
    if lanes4 and out["lanes4_error"] is None:
        try:
            out["lanes4_ns"].append(four_lanes())  # timed inside the tool: its start-up is not counted
        except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
            out["lanes4_error"] = str(exc)
(tmp / "alone.obao").unlink()
(tmp / "alone.obao4").unlink()
store = bao.BlobStore(tmp / "home" / "bao")
store.root.mkdir(parents=True, exist_ok=True)
piece = random.Random(-1).randbytes(1 << 20)
out["write_ns"], out["add_ns"] = [], []

def write_only():  # what writing that many bytes alone costs here (the add's floor)
    t = time.perf_counter_ns(); c = cpu()
    with open(store.root / "write-only.part", "wb") as f:
        for _ in range(mib + mib // 16):  # the combined encoding: content + 1/16 parents
            f.write(piece)
    out["write_ns"].append(time.perf_counter_ns() - t); out.setdefault("write_cpu", []).append(cpu() - c)
    (store.root / "write-only.part").unlink()

def add():
    t = time.perf_counter_ns(); c = cpu()
    with open(src, "rb") as f:
        got = store.add(v, f)
    out["add_ns"].append(time.perf_counter_ns() - t); out.setdefault("add_cpu", []).append(cpu() - c)
    assert got.digest == root
    return got

for i in range(rounds):  # each side first in turn, each after os.sync(); all but the last add removed again
    for part in ("write", "add") if i % 2 == 0 else ("add", "write"):
        os.sync()
        if part == "write":
            write_only()
        else:
            cid = add()
            if i < rounds - 1:
                store.path(cid).unlink()
src.unlink()
os.sync()  # the kept blob written back before the fetch rounds, not during them
with open("/proc/self/status") as status:
    out["rss_kib"] = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
env = {{**os.environ, "AUTOCODEC_HOME": str(tmp / "home")}}
server = subprocess.Popen([sys.executable, "-m", "autocodec", "serve", "--port", str(port)], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    base = f"http://127.0.0.1:{{port}}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                break
        except OSError:
            time.sleep(0.1)
    url = f"{{base}}/bao/{{cid}}"

    def client(*extra):
        proc = subprocess.run([sys.executable, "-c", {client!r}, url, str(cid), *extra], capture_output=True,
                              timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.decode(errors="replace")[-400:])
        return json.loads(proc.stdout.decode().strip().splitlines()[-1])

    for _ in range(rounds):  # CPU: the client's own over its timed part plus the server's over the whole call
        s0 = tree_cpu_ns(server.pid)
        got = client()
        assert got["error"] is None and got["n"] == mib << 20, got
        out["fetch_ns"].append(got["ns"])
        out.setdefault("fetch_cpu", []).append(got["cpu_ns"] + tree_cpu_ns(server.pid) - s0)
        out["client_rss_kib"].append(got["rss_kib"])
        s0 = tree_cpu_ns(server.pid)
        raw = client("raw")
        out["raw_ns"].append(raw["ns"])
        out.setdefault("raw_cpu", []).append(raw["cpu_ns"] + tree_cpu_ns(server.pid) - s0)
    at = int((mib << 20) * 0.9)
    pos = store.content_offset(cid, at)
    with open(store.path(cid), "r+b") as f:
        f.seek(pos)
        b = f.read(1)
        f.seek(pos)
        f.write(bytes([b[0] ^ 1]))
    got = client()
    want = at // 1024
    if got["error"] is None:
        out["corrupt_error"] = "the corrupt content was accepted"
    elif f"chunk {{want}} " not in got["error"] or got["n"] != want * 1024:
        out["corrupt_error"] = f"failed elsewhere: {{got['error']}} after {{got['n']}} bytes"
    else:
        out["corrupt_error"] = None
    out["corrupt_ns"] = got["ns"]
    with open(f"/proc/{{server.pid}}/status") as status:
        out["server_rss_kib"] = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
finally:
    server.terminate()
    server.wait(timeout=30)
print(json.dumps(out))
"""

EXPECTED_IDS = ("bao.encode", "bao.verify", "bao.kernel", "bao.add", "bao.fetch", "bao.rss", "bao.rss-server",
                "bao.rss-client", "bao.corrupt-90")


def _four_lanes_tool(root: Path) -> str | None:
    """The 4-lane peer the setup builds into the checkout (``.cache/cargo/bin``), else one on
    ``PATH``, else None (the figure lists the peer as not installed)."""
    built = root / ".cache" / "cargo" / "bin" / "blake3-4lanes"
    return str(built) if os.access(built, os.X_OK) else shutil.which("blake3-4lanes")


def _of(doc: dict[str, list[float]], key: str) -> Measurement:
    """The wall samples ``KEY_ns`` with, where the driver recorded them, their CPU samples ``KEY_cpu``."""
    cpu = doc.get(f"{key}_cpu")
    return Measurement.of([float(x) for x in doc[f"{key}_ns"]], [float(x) for x in cpu] if cpu else None)


def run(config: BenchConfig) -> list[Figure]:
    mib = 8 if config.small_inputs else 1024
    rounds = 1 if config.small_inputs else 3
    size = f"{mib} MiB" if mib < 1024 else "1 GiB"
    native = "blake3 (py)"  # its default max_threads=1: one thread, as ours
    two = Target(native, 2.0, "<= 2x the blake3 package hashing it")
    encode = Figure("bao.encode", "bao", f"{size}: outboard encoding (file to file)", ours_label="wasm",
                    bytes_per_op=mib << 20, target=two)
    verify = Figure("bao.verify", "bao", f"{size}: verify content against its outboard", ours_label="wasm",
                    bytes_per_op=mib << 20, target=two)
    lanes4 = "blake3 crate, 4 lanes (SSE4.1)"
    kernel = Figure("bao.kernel", "bao", f"{size}: root hash on one thread (the module's hashing kernel)",
                    ours_label="wasm", bytes_per_op=mib << 20,
                    target=Target(lanes4, 1.5, "<= 1.5x native code of Wasm's vector width"))
    add = Figure("bao.add", "bao", f"{size}: add as a BLAKE3 CID (combined encoding into the home)", ours_label="wasm",
                 bytes_per_op=mib << 20, target=two)
    fetch = Figure("bao.fetch", "bao", f"{size}: fetch /bao/CID from `autocodec serve` and verify it (client process)",
                   ours_label="wasm", bytes_per_op=mib << 20, target=two)
    bound = Target("bound", None, "< 100 MiB", max_ns=100 * 1024)
    rss = Figure("bao.rss", "bao", f"{size}: peak RSS of make, encode, verify, add (driver process)", unit="KiB",
                 target=bound)
    rss_server = Figure("bao.rss-server", "bao", f"{size}: peak RSS of the serve process", unit="KiB", target=bound)
    rss_client = Figure("bao.rss-client", "bao", f"{size}: peak RSS of a fetching client process", unit="KiB",
                        target=bound)
    corrupt = Figure("bao.corrupt-90", "bao", f"{size}: content corrupted at 90%, refused at that chunk",
                     target=Target("bound", None, "refused at the corrupt chunk within 60 s", max_ns=60e9))
    figures = [encode, verify, kernel, add, fetch, rss, rss_server, rss_client, corrupt]
    root = Path(__file__).resolve().parents[2]
    try:
        with tempfile.TemporaryDirectory(prefix="autocodec-bench-bao-") as tmp:
            client = _CLIENT.format(root=str(root))
            code = _DRIVER.format(root=str(root), tmp=tmp, mib=mib, rounds=rounds, client=client,
                                  lanes4=_four_lanes_tool(root))
            env = {**os.environ, "AUTOCODEC_HOME": str(Path(tmp) / "home")}
            proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=3600)
            if proc.returncode != 0:
                raise RuntimeError(f"exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-400:]}")
            doc = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
        for fig in figures:
            fig.error = str(exc)
        return figures
    natives = _of(doc, "native")
    for fig, key in ((encode, "encode"), (verify, "verify"), (fetch, "fetch")):
        fig.ours = _of(doc, key)
        fig.peers[native] = natives
        fig.note = (f"{rounds} interleaved rounds, medians; ours on every CPU (tiles, docs/bao.md); the target's peer "
                    f"is the blake3 package's default (one thread), 'blake3 (py, all cores)' its max_threads=AUTO")
        fig.peers["blake3 (py, all cores)"] = _of(doc, "native_all")
    encode.peers["ours, 16 KiB groups"] = _of(doc, "encode_g4")
    verify.peers["ours, 16 KiB groups"] = _of(doc, "verify_g4")
    kernel.ours = _of(doc, "kernel")
    kernel.peers[native] = natives
    if doc["lanes4_ns"] and doc["lanes4_error"] is None:
        kernel.peers[lanes4] = Measurement.of([float(x) for x in doc["lanes4_ns"]])
    else:
        kernel.missing[lanes4] = doc["lanes4_error"] or "not installed (tools/setup.d/62-blake3-4lanes.sh builds it)"
    kernel.note = (f"{rounds} interleaved rounds, medians; one stream on one thread, every side reading the file "
                   f"in 1 MiB pieces; the target's peer has the module's vector width, the package AVX2/AVX-512")
    fetch.peers["download only"] = _of(doc, "raw")
    add.ours = _of(doc, "add")
    add.peers["write only"] = _of(doc, "write")
    add.peers[native] = natives
    add.note = (f"{rounds} rounds after the others, medians (each writes the GiB anew: one sample moves with how fast "
                "this machine fills its page cache at that moment); 'write only': the same number of bytes written "
                "to a new file in the same folder with plain 1 MiB writes (the floor the file system sets); in each "
                "round both, each first in turn, each after os.sync(), timed to the file's close (not its write-back)")
    for fig, values in ((rss, [doc["rss_kib"]]), (rss_server, [doc["server_rss_kib"]]),
                        (rss_client, [max(doc["client_rss_kib"])])):
        fig.ours = Measurement.of([float(v) for v in values])
        fig.peers["bound"] = Measurement.of([1.0])
    corrupt.ours = Measurement.of([float(doc["corrupt_ns"])])
    corrupt.peers["bound"] = Measurement.of([1.0])
    corrupt.error = doc["corrupt_error"]
    return figures
