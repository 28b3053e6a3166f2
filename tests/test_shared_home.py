"""One home, many processes: writers racing on the same files, and writers killed part-way.

Each case runs real processes (``python -c`` with the library) that wait on a gate file, so
they start their writes together; killed writers are killed with SIGKILL. What is checked:
every process that says it succeeded left a whole result, and what the dead left behind is
removed by the next writer of the same kind (it does not pile up), never what a live one holds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from autocodec.builtin import cid_for, encode
from autocodec.cid import CID
from autocodec.config import DEFAULT_LIMITS
from autocodec.store import BlockStore, CarReader, export_car_file


def _gated(code: str, gate: Path, *args: str) -> subprocess.Popen[str]:
    """``python -c code args...`` that imports what it needs, says it is ready, then waits for ``gate``."""
    prologue = textwrap.dedent(
        """
        import os, sys, time
        gate = sys.argv[1]
        open(gate + ".ready." + str(os.getpid()), "w").close()
        while not os.path.exists(gate):
            time.sleep(0.001)
        """
    )
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code) + prologue + "main(sys.argv[2:])\n",
                             str(gate), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _open_gate(gate: Path, procs: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + 60
    while len(list(gate.parent.glob(gate.name + ".ready.*"))) < len(procs):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a racer died before the gate"
        time.sleep(0.005)
    gate.touch()


def _dag(store: BlockStore, tag: bytes, leaves: int, size: int) -> CID:
    """A dag-cbor root linking ``leaves`` raw blocks of ``size`` bytes, all distinct per ``tag``."""
    links = []
    for i in range(leaves):
        data = (tag + i.to_bytes(4, "big")) * (size // (len(tag) + 4))
        cid = cid_for(data, "raw")
        store.put(cid, data)
        links.append(cid)
    root_data = encode({"tag": tag.decode(), "leaves": links}, "dag-cbor")
    root = cid_for(root_data, "dag-cbor")
    store.put(root, root_data)
    return root


EXPORTER = """
from autocodec.cid import CID
from autocodec.store import BlockStore, export_car_file

def main(args):
    with BlockStore.open(args[0]) as store:
        result = export_car_file(store, CID.parse(args[1]), args[2])
    print(result.blocks)
"""


def test_exports_to_one_path_at_once_each_put_a_whole_car_in_place(tmp_path: Path) -> None:
    """Several processes export different DAGs to the same file at once. Each wrote beside the
    file under the one name ``NAME.part``: they truncated and interleaved each other's bytes, one
    renamed the mixture into place and said it succeeded (a CAR whose blocks fail their CIDs),
    the others failed with "No such file or directory". Now each writes its own temporary file:
    all succeed, and the file is exactly one of the exports."""
    home = tmp_path / "home"
    with BlockStore.open(home) as store:
        roots = [_dag(store, b"alpha", 40, 20_000), _dag(store, b"beta-beta", 7, 90_000)]
        expected = {}
        for root in roots:
            export_car_file(store, root, tmp_path / f"{root}.car")
            expected[root] = (tmp_path / f"{root}.car").read_bytes()
    for trial in range(4):
        gate = tmp_path / f"gate{trial}"
        out = tmp_path / f"out{trial}.car"
        procs = [_gated(EXPORTER, gate, str(home), str(root), str(out)) for root in roots * 2]
        _open_gate(gate, procs)
        results = [p.communicate(timeout=60) for p in procs]
        for proc, (_stdout, stderr) in zip(procs, results):
            assert proc.returncode == 0, stderr
        data = out.read_bytes()
        assert data in expected.values(), f"trial {trial}: the exported CAR is none of the exports"
        assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


KILLED_EXPORTER = """
import sys, time
from autocodec.cid import CID
from autocodec.store import BlockStore, export_car_file
from autocodec.store._links import builtin_links

calls = []

def links_then_stall(cid, data):  # part way: the kill always comes mid-write, however busy the machine
    calls.append(cid)
    if len(calls) > 2:
        time.sleep(600)
    return builtin_links(cid, data)

with BlockStore.open(sys.argv[1]) as store:
    export_car_file(store, CID.parse(sys.argv[2]), sys.argv[3], links=links_then_stall)
"""

HOLDER = """
import sys, time
from pathlib import Path
from autocodec import _partfiles

fd, path = _partfiles.create(Path(sys.argv[1]), sys.argv[2], ".part")
print(path, flush=True)
time.sleep(120)
"""


def test_an_export_killed_part_way_leaves_a_file_the_next_export_removes(tmp_path: Path) -> None:
    """What SIGKILLed exports left beside the file is removed by the next export to that path
    once it is old enough; the temporary file of a writer still running is not, however old."""
    home = tmp_path / "home"
    with BlockStore.open(home) as store:
        root = _dag(store, b"gamma", 150, 100_000)
    out = tmp_path / "out.car"
    exporter = [sys.executable, "-c", KILLED_EXPORTER, str(home), str(root), str(out)]
    killed = _killed_part_way(exporter, dict(os.environ), tmp_path.glob, ".out.car.*.part", 3, lambda: None)
    assert len(killed) == 3 and not out.exists()  # it stalls part way: never a whole export to undo
    with _an_hour_old_beside_a_live_writer(tmp_path, ".out.car.", killed) as live:
        with BlockStore.open(home) as store:
            export_car_file(store, root, out)
        assert [path for path in killed if path.exists()] == []
        assert live.exists()
    with out.open("rb") as f:
        assert CarReader(f).roots == [root]


ARTIFACT_WRITER = """
import sys
from pathlib import Path
import wasmtime
from autocodec.loader._cache import CompiledCache

engine = wasmtime.Engine()
module = wasmtime.Module(engine, Path(sys.argv[2]).read_bytes())
cache = CompiledCache(Path(sys.argv[1]))
cache.put("shared.cwasm", module)
print("ready", flush=True)
while True:  # rewrite the artifact until killed, as many cold loads of one module would
    cache.put("shared.cwasm", module)
"""


def test_artifact_writers_killed_mid_write_leave_whole_artifacts_and_no_pile_of_temporaries(tmp_path: Path) -> None:
    """Processes rewriting one compiled artifact are SIGKILLed at random moments. The artifact
    in place is always whole (it deserializes under the HMAC); the ``.tmp-*.cwasm`` files the
    dead left were never removed before (each kill mid-write added one for good); now a later
    write to the cache removes them once a minute old, and never the file of a live writer."""
    import random

    import wasmtime

    from autocodec.loader import Sandbox
    from autocodec.loader._cache import CompiledCache
    from tests._wat import small_limits, wat_module
    from tests.conftest import WASM_SRC

    DAG_CBOR_WASM = WASM_SRC / "dag-cbor" / "dag-cbor.wasm"  # as tests/test_loader.py names it

    if not DAG_CBOR_WASM.exists():
        pytest.skip("wasm-src/dag-cbor/dag-cbor.wasm not built")
    cache_dir = tmp_path / "compiled"
    engine = wasmtime.Engine()
    dead: set[Path] = set()
    rng = random.Random(41)
    for _ in range(80):
        proc = subprocess.Popen([sys.executable, "-c", ARTIFACT_WRITER, str(cache_dir), str(DAG_CBOR_WASM)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, 0.02))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert CompiledCache(cache_dir).get(engine, "shared.cwasm") is not None  # whole, never half written
        dead |= set(cache_dir.glob(".tmp-*"))
        if len(dead) >= 2:
            break
    assert dead, "no kill landed inside a write in 80 tries"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER.replace('".part"', '".cwasm"'), str(cache_dir), ".tmp-"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        live = Path(holder.stdout.readline().strip())
        Sandbox(small_limits(), cache_dir).load(wat_module("ok_echo"))  # a cold load writes: the dead are too young
        assert all(path.exists() for path in dead)
        old = time.time() - 3600
        for path in [*dead, live]:
            os.utime(path, (old, old))
        loaded = Sandbox(small_limits(), cache_dir).load(wat_module("ok_fnv", "hasher"))  # another cold load
        assert loaded.hasher().digest(b"x")
        assert [path for path in dead if path.exists()] == [] and live.exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)


def test_cli_outputs_of_killed_commands_are_removed_by_the_next_write_of_that_output(tmp_path: Path) -> None:
    """``car export -o FILE`` SIGKILLed part-way leaves ``.FILE.????????.part``; each kill added
    one and nothing ever removed them. Now the next command writing FILE removes those a minute
    old, and leaves the one a running command holds."""
    home = tmp_path / "home"
    with BlockStore.open(home) as store:
        root = _dag(store, b"delta", 150, 100_000)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "out.car"
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    export = [sys.executable, "-m", "autocodec", "car", "export", "-o", str(out), str(root)]
    dead = _killed_part_way(export, env, out_dir.glob, ".out.car.*.part", 3, lambda: out.unlink(missing_ok=True))
    assert len(dead) == 3 and not out.exists()
    with _an_hour_old_beside_a_live_writer(out_dir, ".out.car.", dead) as live:
        done = subprocess.run(export, env=env, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert sorted(out_dir.iterdir()) == sorted([out, live])
    with out.open("rb") as f:
        assert CarReader(f).roots == [root]


def test_ucan_revoke_while_another_process_writes_waits_the_busy_timeout_then_is_one_typed_line(
        tmp_path: Path) -> None:
    """``ucan revoke`` while another process holds the store's write lock: it waited 30 s whatever
    ``limits.store.busy_timeout_ms`` said, then died with a traceback ending in
    ``sqlite3.OperationalError: database is locked``; and every read of the revocation table
    (``ucan validate``) first tried to create it, so on a home where nothing was revoked yet a
    read waited for the writer too. Now the write waits the configured timeout and says the
    store is locked (one line, exit 1), reads do not wait, and the revocation succeeds once the
    lock is released."""
    import sqlite3

    from tests._cli import run_cli

    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    bob = run_cli(home, "key", "gen", "bob").stdout.decode().strip()
    run_cli(home, "key", "gen", "alice")
    token = tmp_path / "bob.ucan"
    run_cli(home, "ucan", "delegate", "--key", "alice", "--to", bob, "--cmd", "/wasm/run", "-o", str(token))
    (home / "config.toml").write_text("[limits.store]\nbusy_timeout_ms = 300\n")
    holder = sqlite3.connect(home / "store.sqlite", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("CREATE TABLE IF NOT EXISTS holder_test (x)")
        started = time.monotonic()
        refused = run_cli(home, "ucan", "revoke", str(token), "--key", "alice", check=False, timeout=60)
        assert time.monotonic() - started < 10
        err = refused.stderr.decode()
        assert refused.returncode == 1 and err.count("\n") == 1 and "Traceback" not in err, err
        assert err.startswith("autocodec: StoreError: ") and "locked by another process" in err
        started = time.monotonic()
        assert run_cli(home, "ucan", "validate", str(token), timeout=60).returncode == 0  # a read: no wait
        assert time.monotonic() - started < 10
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    run_cli(home, "ucan", "revoke", str(token), "--key", "alice")
    again = run_cli(home, "ucan", "validate", str(token), check=False)
    assert again.returncode == 1 and again.stderr.decode().startswith("autocodec: Revoked: ")


WRITE_LOCK_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE IF NOT EXISTS holder_test (x)")  # a write under way in another process
print("held", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def _hold_write_lock(db: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", WRITE_LOCK_HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_a_cached_run_and_the_job_stream_are_read_beside_another_process_writing(tmp_path: Path) -> None:
    """A run answered from the receipt cache, and a read of the job stream, while another
    process holds the store's write lock (an import under way). Both took the write lock
    (the run stored its invocation block again, the cache lookup and ``JobStream.since`` read in
    a write transaction) and failed after the busy timeout with "the store is locked by another
    process" although they write nothing new. Now they read beside the writer at once."""
    from autocodec.ipvm._stream import JobStream
    from tests._cli import run_cli

    home = tmp_path / "home"
    run_cli(home, "init")
    args = ("run", "ipld-select", "select", "--arg", '{"a": [1, {"b": "x"}]}', "--arg", '"a/1/b"')
    first = run_cli(home, *args).stdout.decode().splitlines()
    with BlockStore.open(home) as store:
        stream = JobStream(store)
        receipt = CID.parse(first[0].split()[1])
        stream.append(receipt, receipt, source="remote")
    (home / "config.toml").write_text("[limits.store]\nbusy_timeout_ms = 300\n")
    holder = _hold_write_lock(home / "store.sqlite")
    try:
        again = run_cli(home, *args, check=False, timeout=60)
        assert again.returncode == 0, again.stderr.decode()
        assert again.stdout.decode().splitlines() == [first[0] + "  cached (not executed again)", '"x"']
        limits = dataclasses.replace(DEFAULT_LIMITS, store=dataclasses.replace(DEFAULT_LIMITS.store,
                                                                                busy_timeout_ms=300))
        with BlockStore.open(home, limits=limits) as store:
            assert [entry.receipt for entry in JobStream(store).since(0)] == [receipt]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


SET_EXPORTER = """
from pathlib import Path
from autocodec.registry import Runtime, export_set

def main(args):
    with Runtime(Path(args[0]), default_set=False) as runtime:
        print(export_set(runtime, args[1], Path(args[2]))[0])
"""


@pytest.mark.slow
def test_set_exports_to_one_path_at_once_each_put_a_whole_car_in_place(tmp_path: Path) -> None:
    """``export_set`` to a path wrote ``PATH.part`` and renamed it: processes exporting two sets
    to one path at once shared that file; one left a CAR that was neither set (bytes of both)
    while saying it succeeded, another died with a bare ``FileNotFoundError``. Now each writes
    a temporary file of its own: all succeed, and the file is one of the two sets, whole."""
    from autocodec.registry import Runtime, add_manifest, export_set, init_set, publish_module, publish_set
    from autocodec.verify import KeyRing
    from tests.conftest import WASM_SRC

    publisher = tmp_path / "publisher"
    names = ("one", "a-set-with-a-much-longer-name")
    expected = set()
    with Runtime(publisher, default_set=False) as runtime:
        key = KeyRing(runtime.home.keys_dir).generate("pub")
        module = publish_module(runtime, WASM_SRC / "bencode" / "bencode.wasm", key)
        for name in names:
            init_set(runtime, name, [key], ["pub"])
            add_manifest(runtime, name, module.manifest_cid)
            publish_set(runtime, name, [key])
            export_set(runtime, name, tmp_path / f"{name}.car")
            expected.add((tmp_path / f"{name}.car").read_bytes())
    for trial in range(10):
        gate = tmp_path / f"gate{trial}"
        out = tmp_path / f"set{trial}.car"
        procs = [_gated(SET_EXPORTER, gate, str(publisher), name, str(out)) for name in names * 2]
        _open_gate(gate, procs)
        for proc in procs:
            _stdout, stderr = proc.communicate(timeout=60)
            assert proc.returncode == 0, stderr
        assert out.read_bytes() in expected, f"trial {trial}: the file is neither set"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("args", [["trust", "revoke", "did:key:z6MkmgJMMAKSgQ8YApoYKYxuD6NXkETVb96VbjC4WB453UZ7"],
                                  ["receipt", "reindex"]])
def test_writers_beside_a_locked_store_wait_the_busy_timeout_the_home_configures(tmp_path: Path,
                                                                                 args: list[str]) -> None:
    """The home's ``limits.store.busy_timeout_ms`` is how long a command waits for another
    process's write; ``trust revoke`` and ``receipt reindex`` opened the store with the default
    limits and waited 10 s whatever the home said. Now they give up after the configured 300 ms
    with the typed one-line error."""
    from tests._cli import run_cli

    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    (home / "config.toml").write_text("[limits.store]\nbusy_timeout_ms = 300\n")
    holder = _hold_write_lock(home / "store.sqlite")
    try:
        started = time.monotonic()
        refused = run_cli(home, *args, check=False, timeout=60)
        took = time.monotonic() - started
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    err = refused.stderr.decode()
    assert refused.returncode == 1 and err.count("\n") == 1 and "locked by another process" in err, err
    assert took < 6, f"waited {took:.1f} s"
    assert run_cli(home, *args).returncode == 0  # and works once the other writer is done


@contextlib.contextmanager
def _an_hour_old_beside_a_live_writer(folder: Path, prefix: str, left: Iterable[Path]) -> Iterator[Path]:
    """A live process holding a temporary file of its own in ``folder`` (yielded); it and what
    killed writers ``left`` are made an hour old, so only the lock tells them apart."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), prefix], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        live = Path(holder.stdout.readline().strip())
        old = time.time() - 3600
        for path in [*left, live]:
            os.utime(path, (old, old))
        yield live
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)


def _killed_part_way(command: list[str], env: dict[str, str], found: Callable[[str], Iterable[Path]], pattern: str,
                     want: int, undo_whole: Callable[[], object]) -> set[Path]:
    """Run ``command`` until ``want`` runs were SIGKILLed with a new temporary output
    (``found(pattern)``) in place; a run that ends whole first (a busy machine may let it) is
    undone with ``undo_whole`` and tried again. The temporary outputs the killed runs left."""
    dead: set[Path] = set()
    for _attempt in range(30):
        before = set(found(pattern))
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not (new := set(found(pattern)) - before) and proc.poll() is None:
            assert time.monotonic() < deadline, "the command neither wrote nor ended"
            time.sleep(0.0005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        dead |= {path for path in new if path.exists()}
        undo_whole()
        if len(dead) == want:
            break
    return dead


def _has_entries(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except OSError:  # renamed into place or removed as it was looked at
        return False


def test_gets_killed_part_way_leave_staging_folders_the_next_get_removes(tmp_path: Path) -> None:
    """``get -o OUT`` stages the tree in ``.OUT.????????.part`` beside it; a SIGKILLed get left
    that folder with everything written so far, and nothing ever removed it (each kill added
    one, as large as the DAG got). Now the next get to OUT removes those a minute old, never
    the one a running get holds, and writes OUT whole."""
    from tests._cli import run_cli

    home = tmp_path / "home"
    source = tmp_path / "src"
    source.mkdir()
    for i in range(40):
        (source / f"f{i}").write_bytes(os.urandom(200_000))
    run_cli(home, "init", "--no-default-set")
    root = run_cli(home, "add", "-r", "-Q", str(source)).stdout.decode().strip()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    get = [sys.executable, "-m", "autocodec", "get", "-o", str(out_dir / "tree"), root]
    def staged(pattern: str) -> Iterable[Path]:  # staging folders a get has begun to fill
        return (p for p in out_dir.glob(pattern) if _has_entries(p))

    dead = _killed_part_way(get, env, staged, ".tree.*.part", 2,
                            lambda: shutil.rmtree(out_dir / "tree", ignore_errors=True))
    assert len(dead) == 2 and all(path.is_dir() for path in dead)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
                               "from autocodec import _partfiles\n"
                               "fd, path = _partfiles.create_dir(Path(sys.argv[1]), '.tree.', '.part')\n"
                               "print(path, flush=True)\ntime.sleep(120)\n", str(out_dir)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        live = Path(holder.stdout.readline().strip())
        old = time.time() - 3600
        for path in [*dead, live]:
            os.utime(path, (old, old))
        done = subprocess.run(get, env=env, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert sorted(out_dir.iterdir()) == sorted([out_dir / "tree", live])
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert sorted(p.name for p in (out_dir / "tree").iterdir()) == sorted(p.name for p in source.iterdir())
    assert all((out_dir / "tree" / p.name).read_bytes() == p.read_bytes() for p in source.iterdir())
