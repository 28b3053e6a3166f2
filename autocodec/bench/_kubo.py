"""Group ``kubo``: the same work done by autocodec and by Kubo (the IPFS reference node), one machine, one run.

Each side runs as its own processes, with default options, on a throw-away store: Kubo on a repo made
with ``ipfs init --profile test --empty-repo`` and kept offline (no bootstrap peers, no routing, no
swarm listeners, API and gateway on free loopback ports), autocodec on a fresh home. Every round both
sides get fresh stores (copies of an empty template) and run, interleaved, command by command:

``kubo.add.file``     ``add`` of one file (256 MiB; ``--quick`` 32 MiB) — both must print the same CID;
``kubo.add.tree``     ``add -r`` of a tree of small files (5,000 in folders of 100; ``--quick`` 500);
``kubo.cat``          ``cat`` of that file from each one's own store (to ``/dev/null``);
``kubo.dag-export``   ``dag export`` of the file's DAG (the CAR files must be byte for byte equal);
``kubo.dag-import``   ``dag import`` of that CAR into a fresh store, its root pinned (each side's default):
                      the same bytes as the file's ``add`` written, without the chunking and hashing of
                      the content into a DAG (both must report the same pinned root);
``kubo.rss.add``      peak RSS (``ru_maxrss`` of the command, see ``_LAUNCHER``) of the file's ``add``;
``kubo.start``        ``cat`` of a 100-byte file from each one's own store (the last round's): a command's
                      fixed start-up, what a script calling the CLI in a loop pays every time (5 cats
                      a side per round, interleaved; the round's sample is their median).

Then one server each over the last round's store — ``autocodec serve`` and ``ipfs daemon --offline`` —
and, interleaved round by round, a client in this process times:

``kubo.gateway.file`` ``GET /ipfs/CID`` of the file (the bodies must be equal);
``kubo.gateway.raw``  small ``GET /ipfs/CID?format=raw`` of the tree's blocks, one keep-alive
                      connection (1,000 per round; the figure is time per request);
``kubo.rss.serve``    the server's peak RSS (``VmHWM``) after all of that.

Each figure's time is the median of its rounds after one untimed round; the ratio is ours / Kubo.
Targets are what a user choosing autocodec over Kubo would accept: <= 2x Kubo's time, <= 1.5x its
peak memory; ``kubo.start`` <= 3x, since a Go binary starts in a few milliseconds and Python's
interpreter alone takes ~30 ms (``python -c pass``, ~0.7x Kubo's whole 100-byte ``cat``) before
any of ours is imported (docs/performance.md, "Start-up"). Kubo is found as ``$AUTOCODEC_KUBO``
(a path to its ``ipfs``), else the checkout's ``.cache/go/bin/ipfs`` (``tools/setup.d/10-kubo.sh``
builds it), else ``ipfs`` on ``PATH``; when none is there the group raises ``Skipped`` (one line
in the report, no figures).
Each figure's ``checks`` record the equalities (``same_cid`` / ``same_bytes``) and the CIDs.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ._core import BenchConfig, Figure, Measurement, Skipped, Target
from ._cpu import cpu_ns, tree_cpu_ns

ENV_VAR = "AUTOCODEC_KUBO"
"""Names the Kubo ``ipfs`` binary to measure against (checked before the checkout and ``PATH``)."""

EXPECTED_IDS = ("kubo.add.file", "kubo.add.tree", "kubo.cat", "kubo.dag-export", "kubo.dag-import", "kubo.rss.add",
                "kubo.start", "kubo.gateway.file", "kubo.gateway.raw", "kubo.rss.serve")

_KUBO = "kubo"
_TIME = Target(_KUBO, 2.0, "<= 2x Kubo")
_MEMORY = Target(_KUBO, 1.5, "<= 1.5x Kubo's peak RSS")
_START = Target(_KUBO, 3.0, "<= 3x Kubo")
"""A command's fixed start-up: Python's interpreter alone is ~0.7x Kubo's whole small ``cat``."""
_STARTS = 5
"""Small ``cat`` processes a side per round of ``kubo.start`` (their median is the round's sample)."""


def find_kubo() -> str | None:
    """The ``ipfs`` binary: ``$AUTOCODEC_KUBO``, the checkout's build, then ``PATH``; None if absent."""
    named = os.environ.get(ENV_VAR)
    if named:
        return named if os.path.isfile(named) and os.access(named, os.X_OK) else None
    built = Path(__file__).resolve().parents[2] / ".cache" / "go" / "bin" / "ipfs"
    if built.is_file() and os.access(built, os.X_OK):
        return str(built)
    return shutil.which("ipfs")


def _sizes(config: BenchConfig) -> tuple[int, int, int, int]:
    """(file MiB, small files, small GETs per round, rounds): 5 rounds full, 3 quick, 1 smoke."""
    return config.kubo_mib, config.kubo_files, config.kubo_gets, max(1, min(5, 2 * config.slow_rounds - 1))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Run:
    """One child process's wall time (ns), peak RSS (KiB) and stdout."""

    ns: float
    rss_kib: float
    out: bytes
    cpu_ns: float = 0.0
    """User + system time of the command (all its threads and waited-for children)."""


# A small interpreter (``-S``: ~10 MiB) between this process and the measured command: Linux
# carries the forking process's RSS high-water mark across ``exec`` into the child's
# ``ru_maxrss``, so a command forked from here directly reported this process's peak whenever
# it was the larger (``--quick`` after the other groups: both sides 196.7 MiB, the same number).
# The launcher times the command itself (its own start-up is not counted) and writes
# ``ns exit-code ru_maxrss cpu-ns`` to the file named by its first argument (cpu: the command's
# user + system time, its threads and the children it waited for, from the same ``wait4``).
_LAUNCHER = """
import os, sys, time
start = time.perf_counter_ns()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
ns = time.perf_counter_ns() - start
with open(sys.argv[1], "w") as out:
    out.write(f"{ns} {os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {round((usage.ru_utime + usage.ru_stime) * 1e9)}")
"""


def _child(argv: list[str], env: dict[str, str], stdout: int | None = subprocess.PIPE) -> _Run:
    """Run ``argv`` to its end; its wall time and its own peak RSS (``ru_maxrss``, through the
    launcher above: at least the launcher's ~10 MiB, never this process's peak).

    Output goes to unnamed temporary files (read after the end)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".usage") as usage:
        proc = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, usage.name, *argv], env=env,
                              stdout=out if stdout == subprocess.PIPE else stdout, stderr=err, check=False)
        fields = usage.read().split()
        if proc.returncode != 0 or len(fields) != 4 or fields[1] != "0":
            err.seek(0)
            code = fields[1] if len(fields) == 4 else f"(launcher {proc.returncode})"
            raise RuntimeError(f"{Path(argv[0]).name} {' '.join(argv[1:4])} exited {code}: "
                               f"{err.read().decode(errors='replace').strip()[-300:]}")
        out.seek(0)
        return _Run(float(fields[0]), float(fields[2]), out.read(), float(fields[3]))


@dataclass
class _Sides:
    """How to run each side's CLI on a given store, and the template stores copied per round."""

    kubo: str
    tmp: Path
    env: dict[str, str]
    api_port: int = field(default_factory=_free_port)
    gateway_port: int = field(default_factory=_free_port)

    def kubo_env(self, repo: Path) -> dict[str, str]:
        return {**self.env, "IPFS_PATH": str(repo)}

    def ours_env(self, home: Path) -> dict[str, str]:
        return {**self.env, "AUTOCODEC_HOME": str(home)}

    def argv(self, side: str, *args: str) -> list[str]:
        return [self.kubo, *args] if side == _KUBO else [sys.executable, "-m", "autocodec", *args]

    def run(self, side: str, store: Path, *args: str, stdout: int | None = subprocess.PIPE) -> _Run:
        env = self.kubo_env(store) if side == _KUBO else self.ours_env(store)
        return _child(self.argv(side, *args), env, stdout)

    def templates(self) -> None:
        """An empty offline Kubo repo and an initialised autocodec home, copied for every round."""
        repo = self.tmp / "template-kubo"
        self.run(_KUBO, repo, "init", "--profile", "test", "--empty-repo")
        for key, value in (("Bootstrap", []), ("Routing.Type", "none"), ("Addresses.Swarm", []),
                           ("Addresses.API", f"/ip4/127.0.0.1/tcp/{self.api_port}"),
                           ("Addresses.Gateway", f"/ip4/127.0.0.1/tcp/{self.gateway_port}")):
            self.run(_KUBO, repo, "config", "--json", key, json.dumps(value))
        self.run("ours", self.tmp / "template-ours", "init")

    def fresh(self, side: str, name: str = "store") -> Path:
        """A copy of that side's empty template (the previous round's copy named ``name`` is removed)."""
        path = self.tmp / f"{name}-{side}"
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(self.tmp / f"template-{'kubo' if side == _KUBO else 'ours'}", path)
        return path


def _make_inputs(tmp: Path, mib: int, files: int) -> tuple[Path, Path]:
    """A seeded random file of ``mib`` MiB and a tree of ``files`` small files (0.5-4 KiB) in folders of 100."""
    big = tmp / "content.bin"
    with open(big, "wb") as f:
        for i in range(mib):
            f.write(random.Random(i).randbytes(1 << 20))
    tree = tmp / "tree"
    for i in range(files):
        folder = tree / f"d{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(-1 - i)
        (folder / f"f{i:05d}.bin").write_bytes(rng.randbytes(rng.randrange(512, 4096)))
    return big, tree


def _figures(mib: int, files: int, gets: int) -> dict[str, Figure]:
    size = f"{mib} MiB"
    specs = (
        ("kubo.add.file", f"add one {size} file (default options)", _TIME, mib << 20, "ns"),
        ("kubo.add.tree", f"add -r a tree of {files:,} small files", _TIME, None, "ns"),
        ("kubo.cat", f"cat the {size} file from its own store", _TIME, mib << 20, "ns"),
        ("kubo.dag-export", f"dag export the {size} file's DAG to a CAR", _TIME, mib << 20, "ns"),
        ("kubo.dag-import", f"dag import the {size} file's CAR into a fresh store (root pinned)", _TIME, mib << 20,
         "ns"),
        ("kubo.rss.add", f"add one {size} file: peak RSS", _MEMORY, None, "KiB"),
        ("kubo.start", "cat a 100-byte file from its own store (start-up)", _START, None, "ns"),
        ("kubo.gateway.file", f"gateway GET of the {size} file (loopback)", _TIME, mib << 20, "ns"),
        ("kubo.gateway.raw", f"gateway GET ?format=raw of small blocks ({gets:,} per round, keep-alive)", _TIME,
         None, "ns"),
        ("kubo.rss.serve", "gateway server: peak RSS after those GETs", _MEMORY, None, "KiB"),
    )
    return {fid: Figure(fid, "kubo", title, ours_label="autocodec", target=target, bytes_per_op=nbytes, unit=unit)
            for fid, title, target, nbytes, unit in specs}


def _cli_rounds(sides: _Sides, big: Path, tree: Path, rounds: int,
                figs: dict[str, Figure]) -> tuple[str, list[str], dict[str, Path]]:
    """Time add/cat/export interleaved; returns the file's CID, the tree's CIDs and the last stores."""
    samples: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    cids: dict[str, tuple[str, str]] = {}
    tree_cids: list[str] = []
    stores: dict[str, Path] = {}
    for r in range(rounds + 1):  # round 0: warm-up (page cache, .pyc files), not counted
        for side in (_KUBO, "ours"):
            store = stores[side] = sides.fresh(side)
            add = sides.run(side, store, "add", "-Q", str(big))
            add_tree = sides.run(side, store, "add", "-r", "-q", str(tree))
            cat = sides.run(side, store, "cat", add.out.decode().strip(), stdout=subprocess.DEVNULL)
            export = sides.run(side, store, "dag", "export", add.out.decode().strip(), stdout=subprocess.DEVNULL)
            lines = add_tree.out.decode().split()
            cids[side] = (add.out.decode().strip(), lines[-1])
            if side == _KUBO:
                tree_cids = lines
            if r:
                for key, run in (("add.file", add), ("add.tree", add_tree), ("cat", cat), ("dag-export", export)):
                    samples.setdefault((key, side), []).append(run.ns)
                    cpu.setdefault((key, side), []).append(run.cpu_ns)
                samples.setdefault(("rss.add", side), []).append(add.rss_kib)
    for key in ("add.file", "add.tree", "cat", "dag-export", "rss.add"):
        fig = figs[f"kubo.{key}"]
        fig.ours = Measurement.of(samples[(key, "ours")], cpu.get((key, "ours")))
        fig.peers[_KUBO] = Measurement.of(samples[(key, _KUBO)], cpu.get((key, _KUBO)))
        fig.note = f"{rounds} interleaved rounds after a warm-up, medians; fresh stores each round; one process per command"
    file_cid, tree_cid = cids["ours"][0], cids["ours"][1]
    _check(figs["kubo.add.file"], "same_cid", file_cid, cids[_KUBO][0])
    _check(figs["kubo.add.tree"], "same_cid", tree_cid, cids[_KUBO][1])
    cars = {side: hashlib.sha256(sides.run(side, stores[side], "dag", "export", file_cid).out).hexdigest()
            for side in (_KUBO, "ours")}
    _check(figs["kubo.dag-export"], "same_bytes", cars["ours"], cars[_KUBO])
    cats = {side: hashlib.sha256(sides.run(side, stores[side], "cat", file_cid).out).hexdigest()
            for side in (_KUBO, "ours")}
    _check(figs["kubo.cat"], "same_bytes", cats["ours"], cats[_KUBO])
    return file_cid, tree_cids, stores


def _import_rounds(sides: _Sides, stores: dict[str, Path], file_cid: str, rounds: int, fig: Figure) -> None:
    """Time ``dag import`` of the file's CAR (exported once by Kubo) into fresh stores, interleaved;
    both must report the same pinned root. No peak RSS figure of its own (the add's is the memory one)."""
    car = sides.tmp / "file.car"
    with open(car, "wb") as out:
        sides.run(_KUBO, stores[_KUBO], "dag", "export", file_cid, stdout=out.fileno())
    samples: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    said: dict[str, str] = {}
    for r in range(rounds + 1):  # round 0: warm-up, not counted
        for side in (_KUBO, "ours"):
            run = sides.run(side, sides.fresh(side, "import"), "dag", "import", str(car))
            said[side] = run.out.decode().strip()
            if r:
                samples.setdefault(side, []).append(run.ns)
                cpu.setdefault(side, []).append(run.cpu_ns)
    fig.ours = Measurement.of(samples["ours"], cpu["ours"])
    fig.peers[_KUBO] = Measurement.of(samples[_KUBO], cpu[_KUBO])
    fig.note = f"{rounds} interleaved rounds after a warm-up, medians; fresh stores each round; one process per import"
    _check(fig, "same_output", said["ours"], said[_KUBO])


def _start_rounds(sides: _Sides, stores: dict[str, Path], rounds: int, fig: Figure) -> None:
    """Time ``cat`` of a 100-byte file added to each side's store, ``_STARTS`` times a side per
    round, interleaved; each round's sample is the median of its cats. Both must add it under
    the same CID and cat the same bytes."""
    small = sides.tmp / "small.txt"
    small.write_bytes(b"autocodec start-up: one small file, one block\n".ljust(99, b".") + b"\n")
    cids = {side: sides.run(side, stores[side], "add", "-Q", str(small)).out.decode().strip() for side in stores}
    _check(fig, "same_cid", cids["ours"], cids[_KUBO])
    samples: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    said: dict[str, bytes] = {}
    for r in range(rounds + 1):  # round 0: warm-up, not counted
        times: dict[str, list[float]] = {}
        used: dict[str, list[float]] = {}
        for _ in range(_STARTS):
            for side in (_KUBO, "ours"):
                run = sides.run(side, stores[side], "cat", cids[side])
                times.setdefault(side, []).append(run.ns)
                used.setdefault(side, []).append(run.cpu_ns)
                said[side] = run.out
        if r:
            for side, ns in times.items():
                samples.setdefault(side, []).append(statistics.median(ns))
                cpu.setdefault(side, []).append(statistics.median(used[side]))
    fig.ours = Measurement.of(samples["ours"], cpu["ours"])
    fig.peers[_KUBO] = Measurement.of(samples[_KUBO], cpu[_KUBO])
    fig.note = (f"{rounds} rounds after a warm-up, each the median of {_STARTS} interleaved cats a side; "
                "one process per cat, as a script calling the CLI runs it")
    if said["ours"] != said[_KUBO]:
        fig.error = "same bytes expected from both cats"


def _check(fig: Figure, what: str, ours: str, kubo: str) -> None:
    """Record an equality in ``fig.checks``; a difference is the figure's error."""
    fig.checks.update({what: ours == kubo, "autocodec": ours, _KUBO: kubo})
    if ours != kubo:
        fig.error = f"{what.replace('_', ' ')} expected, got autocodec {ours} and Kubo {kubo}"


def _wait(url: str, proc: subprocess.Popen[bytes], post: bool = False) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="POST" if post else "GET"), timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no answer from {url} in 120 s")


def _get(conn: http.client.HTTPConnection, path: str, buf: memoryview, digest: bool = False) -> tuple[int, str]:
    """GET ``path`` on a kept-alive connection: (bytes read, sha256 hex if ``digest``)."""
    conn.request("GET", path)
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"GET {path} answered {resp.status}: {resp.read()[:200]!r}")
    h = hashlib.sha256() if digest else None
    n = 0
    while got := resp.readinto(buf):
        n += got
        if h:
            h.update(buf[:got])
    return n, h.hexdigest() if h else ""


def _peak_rss(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return float(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")))


def _servers(sides: _Sides, stores: dict[str, Path]) -> dict[str, tuple[subprocess.Popen[bytes], int]]:
    """``ipfs daemon --offline`` and ``autocodec serve`` over the last round's stores, both answering
    (if either does not, both are stopped before the error is raised)."""
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        kubo = subprocess.Popen([sides.kubo, "daemon", "--offline"], env=sides.kubo_env(stores[_KUBO]),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        servers[_KUBO] = (kubo, sides.gateway_port)
        port = _free_port()
        ours = subprocess.Popen([sys.executable, "-m", "autocodec", "serve", "--port", str(port)],
                                env=sides.ours_env(stores["ours"]), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        servers["ours"] = (ours, port)
        _wait(f"http://127.0.0.1:{sides.api_port}/api/v0/version", kubo, post=True)
        _wait(f"http://127.0.0.1:{port}/healthz", ours)
    except BaseException:
        _stop(servers)
        raise
    return servers


def _stop(servers: dict[str, tuple[subprocess.Popen[bytes], int]]) -> None:
    for proc, _port in servers.values():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _gateway_rounds(servers: dict[str, tuple[subprocess.Popen[bytes], int]], file_cid: str, tree_cids: list[str],
                    gets: int, rounds: int, figs: dict[str, Figure]) -> None:
    """Time the file's GET and ``gets`` raw-block GETs on each server, interleaved; check equal bodies."""
    buf = memoryview(bytearray(1 << 20))
    conns = {side: http.client.HTTPConnection("127.0.0.1", port, timeout=600) for side, (_p, port) in servers.items()}
    paths = [f"/ipfs/{cid}?format=raw" for cid in tree_cids]
    bodies: dict[str, tuple[int, str]] = {}
    raw: dict[str, list[str]] = {}
    for side, conn in conns.items():  # untimed pass: the bodies compared, caches warm
        bodies[side] = _get(conn, f"/ipfs/{file_cid}", buf, digest=True)
        raw[side] = [_get(conn, path, buf, digest=True)[1] for path in paths[:gets]]
    samples: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}

    def used(side: str) -> int:  # the client here and the server with its workers
        return cpu_ns() + tree_cpu_ns(servers[side][0].pid)

    for _ in range(rounds):
        for side, conn in conns.items():
            cpu0, start = used(side), time.perf_counter_ns()
            _get(conn, f"/ipfs/{file_cid}", buf)
            samples.setdefault(("file", side), []).append(float(time.perf_counter_ns() - start))
            cpu.setdefault(("file", side), []).append(float(used(side) - cpu0))
            cpu0, start = used(side), time.perf_counter_ns()
            for i in range(gets):
                _get(conn, paths[i % len(paths)], buf)
            samples.setdefault(("raw", side), []).append((time.perf_counter_ns() - start) / gets)
            cpu.setdefault(("raw", side), []).append((used(side) - cpu0) / gets)
    for conn in conns.values():
        conn.close()
    for key in ("file", "raw"):
        fig = figs[f"kubo.gateway.{key}"]
        fig.ours = Measurement.of(samples[(key, "ours")], cpu[(key, "ours")])
        fig.peers[_KUBO] = Measurement.of(samples[(key, _KUBO)], cpu[(key, _KUBO)])
        fig.note = (f"{rounds} interleaved rounds after an untimed pass, medians; one client in the bench process, "
                    f"HTTP/1.1 keep-alive on loopback; CPU: this client plus the server process and its workers "
                    f"(/proc, 10 ms ticks)")
    _check(figs["kubo.gateway.file"], "same_bytes", bodies["ours"][1], bodies[_KUBO][1])
    ours_raw, kubo_raw = hashlib.sha256("".join(raw["ours"]).encode()).hexdigest(), \
        hashlib.sha256("".join(raw[_KUBO]).encode()).hexdigest()
    _check(figs["kubo.gateway.raw"], "same_bytes", ours_raw, kubo_raw)
    rps = {side: 1e9 / samples[("raw", side)][len(samples[("raw", side)]) // 2] for side in conns}
    figs["kubo.gateway.raw"].checks["requests_per_s"] = {side: round(v) for side, v in rps.items()}
    fig = figs["kubo.rss.serve"]
    fig.ours = Measurement.of([_peak_rss(servers["ours"][0].pid)])
    fig.peers[_KUBO] = Measurement.of([_peak_rss(servers[_KUBO][0].pid)])
    fig.note = "VmHWM of each server process after every GET above (autocodec serve: --workers default)"


def run(config: BenchConfig) -> list[Figure]:
    kubo = find_kubo()
    if kubo is None:
        where = f"${ENV_VAR} names no executable" if os.environ.get(ENV_VAR) else \
            f"no ipfs on PATH, no .cache/go/bin/ipfs, ${ENV_VAR} unset"
        raise Skipped(f"Kubo not found ({where}); install Kubo or name its ipfs binary in ${ENV_VAR}")
    mib, files, gets, rounds = _sizes(config)
    figs = _figures(mib, files, gets)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "IPFS_PATH")}
    with tempfile.TemporaryDirectory(prefix="autocodec-bench-kubo-") as tmp:
        sides = _Sides(kubo, Path(tmp), env)
        sides.templates()
        big, tree = _make_inputs(Path(tmp), mib, files)
        file_cid, tree_cids, stores = _cli_rounds(sides, big, tree, rounds, figs)
        _import_rounds(sides, stores, file_cid, rounds, figs["kubo.dag-import"])
        _start_rounds(sides, stores, rounds, figs["kubo.start"])
        for side in (_KUBO, "ours"):  # the disk they took, before the servers' rounds
            shutil.rmtree(Path(tmp) / f"import-{side}")
        servers = _servers(sides, stores)
        try:
            _gateway_rounds(servers, file_cid, tree_cids, gets, rounds, figs)
        finally:
            _stop(servers)
    version = _child([kubo, "version", "--number"], env).out.decode().strip()
    for fig in figs.values():
        fig.checks.setdefault("kubo_version", version)
    return list(figs.values())
