"""CLI leftovers: a stdout whose reader went away ends the command as Kubo's (killed by SIGPIPE),
a read-only home serves reads, and careless input is one line, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests._cli import run_cli
from tests import _kubo_pair
from tests._kubo import KUBO_BIN, KuboRepo

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

REPO = Path(__file__).resolve().parents[1]
AUTOCODEC = [sys.executable, "-m", "autocodec"]


def _pseudo_random(n: int) -> bytes:
    """``n`` bytes that do not compress (a xorshift stream), the same on every run."""
    out = bytearray()
    x = 0x9E3779B97F4A7C15
    while len(out) < n:
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        out += x.to_bytes(8, "little")
    return bytes(out[:n])


# --- a closed pipe: ended by SIGPIPE, as Kubo is -------------------------------------------------


def _into_a_closed_pipe(argv: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run ``argv`` with its stdout a pipe whose reader takes one byte and goes away (as
    ``| head -c1`` does): its exit status as Popen gives it and what it wrote on stderr."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    assert len(proc.stdout.read(1)) == 1
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    return proc.wait(timeout=120), err


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "big.bin"
    path.write_bytes(_pseudo_random(3_000_000))
    return path


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("command", [["cat"], ["dag", "export"], ["refs", "-r"], ["block", "get"]])
def test_a_reader_that_goes_away_ends_the_command_by_sigpipe_as_in_kubo(
        command: list[str], big_file: Path, kubo: KuboRepo, home: Path) -> None:
    """Before, autocodec exited 1 (a shell: 1) where Kubo 0.43.1 is killed by SIGPIPE (141)."""
    add = ["add", "-Q", "--raw-leaves", "--chunker=size-2000000", str(big_file)]
    if command == ["refs", "-r"]:  # many links, so the listing is more than a pipe holds
        add = ["add", "-Q", "--chunker=size-1024", str(big_file)]
    kubo_cid = kubo.ipfs(*add).stdout.decode().strip()
    ours_cid = run_cli(home, *add).stdout.decode().strip()
    assert ours_cid == kubo_cid
    if command == ["block", "get"]:  # the first leaf: a 2 MB raw block
        kubo_cid = ours_cid = kubo.ipfs("refs", kubo_cid).stdout.decode().split()[0]
    theirs, kubo_err = _into_a_closed_pipe([str(KUBO_BIN), *command, kubo_cid], kubo.env())
    ours, err = _into_a_closed_pipe([*AUTOCODEC, *command, ours_cid], {**os.environ, "AUTOCODEC_HOME": str(home)})
    assert theirs == -signal.SIGPIPE, kubo_err
    assert ours == theirs and err == b"", err


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("args", [["--help"], ["cid", "bases"]])
def test_output_into_a_pipe_already_closed_ends_by_sigpipe_as_in_kubo(args: list[str], kubo: KuboRepo,
                                                                        home: Path) -> None:
    """Help text (argparse's writer) and a command's first write both meet a pipe whose reader
    had gone before the program started: Kubo is killed by SIGPIPE; so is autocodec (it exited 1)."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        theirs = subprocess.run([str(KUBO_BIN), *args], stdout=writer, stderr=subprocess.PIPE,
                                env=kubo.env(), timeout=60)
        ours = subprocess.run([*AUTOCODEC, *args], stdout=writer, stderr=subprocess.PIPE, cwd=REPO, timeout=60,
                              env={**os.environ, "AUTOCODEC_HOME": str(home)})
    finally:
        os.close(writer)
    assert theirs.returncode == -signal.SIGPIPE, theirs.stderr
    assert ours.returncode == theirs.returncode and ours.stderr == b"", ours.stderr


@pytest.mark.slow
def test_bao_decode_into_a_closed_pipe_ends_by_sigpipe(big_file: Path, home: Path, tmp_path: Path) -> None:
    """``bao decode`` (which Kubo has not) ends the same way."""
    encoded = tmp_path / "big.bao"
    digest = run_cli(home, "bao", "hash", str(big_file)).stdout.decode().split()[0]
    run_cli(home, "bao", "encode", str(big_file), str(encoded))
    status, err = _into_a_closed_pipe([*AUTOCODEC, "bao", "decode", digest, str(encoded)],
                                      {**os.environ, "AUTOCODEC_HOME": str(home)})
    assert status == -signal.SIGPIPE and err == b"", err


# --- serve on a read-only home that never served -------------------------------------------------


@pytest.mark.slow
def test_serve_on_a_read_only_home_that_never_served_serves_reads(home: Path, tmp_path: Path) -> None:
    """Before, ``serve`` failed at start (KeyNotFound: it makes the executor key and the IPVM
    tables on first serve); now it serves what the home holds and /ipvm/ says it is off."""
    import json
    import urllib.error
    import urllib.request

    from tests._serve_proc import ServeProcess
    from tests._read_only_mount import read_only_mount

    (tmp_path / "f.txt").write_bytes(b"served from a read-only home\n")
    cid = run_cli(home, "add", "-Q", str(tmp_path / "f.txt")).stdout.decode().strip()
    before = sorted(p.name for p in home.rglob("*"))
    with read_only_mount(home), ServeProcess(home, tmp_path) as srv:
        with urllib.request.urlopen(f"{srv.url}/ipfs/{cid}", timeout=30) as resp:
            assert resp.read() == b"served from a read-only home\n"
        for method, route in (("GET", "/ipvm/executor"), ("POST", "/ipvm/invoke"), ("GET", "/ipvm/stream")):
            request = urllib.request.Request(srv.url + route, method=method, data=b"" if method == "POST" else None)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            assert refused.value.code == 503
            body = json.loads(refused.value.read())
            assert body["error"] == "StoreError" and "read-only" in body["message"], body
    assert sorted(p.name for p in home.rglob("*")) == before


# --- careless input: one line that says what to do ------------------------------------------------


@pytest.mark.parametrize("name", ["Big", "\u2603", "a/b", "", "-x"])
def test_set_init_refuses_a_name_no_set_can_have_as_input(home: Path, name: str) -> None:
    """Before, ``set init`` with such a name was 'InvalidDocument: set name must be a string
    matching ... (the document is malformed; ask its publisher for a valid one)': the user is the
    publisher, and there was no document yet. Now it is InvalidInput saying what a name may hold."""
    from tests._cli import refusal_line

    run_cli(home, "key", "gen", "pub")
    proc = run_cli(home, "set", "init", "--key", "pub", "--", name, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.startswith("autocodec: InvalidInput: ") and "is not a set name" in line, line
    from autocodec.errors import InvalidInput
    from autocodec.registry import Runtime, init_set
    from autocodec.verify import KeyRing

    key = KeyRing(home / "keys").load("pub")
    with Runtime(home) as rt, pytest.raises(InvalidInput, match="is not a set name"):  # the library says the same
        init_set(rt, name, [key], ["pub"])


@pytest.mark.slow
@pytest.mark.ipfs
def test_a_read_only_home_serves_blocks_fetched_from_a_node_without_keeping_them(
        home: Path, tmp_path: Path, kubo_node: KuboRepo) -> None:
    """Before, a block fetched from ``--node`` into a read-only home failed as 'cannot write to
    the store: the home is read-only' (500 from serve, exit 1 from cat); now it is verified and
    given out, and the home is left as it was."""
    import urllib.request

    from tests._serve_proc import ServeProcess
    from tests._read_only_mount import read_only_mount

    (tmp_path / "f.txt").write_bytes(b"only on the node, for a read-only home\n")
    cid = kubo_node.ipfs("add", "-Q", "--cid-version=1", str(tmp_path / "f.txt")).stdout.decode().strip()
    run_cli(home, "block", "put", stdin=b"another block")  # the home exists, its store too
    before = sorted((p.name, p.stat().st_size) for p in home.rglob("*") if p.is_file())
    node = ["--node", kubo_node.api_multiaddr]
    with read_only_mount(home):
        assert run_cli(home, "cat", cid, *node).stdout == b"only on the node, for a read-only home\n"
        with ServeProcess(home, tmp_path, *node) as srv, \
                urllib.request.urlopen(f"{srv.url}/ipfs/{cid}", timeout=30) as resp:
            assert resp.read() == b"only on the node, for a read-only home\n"
    assert sorted((p.name, p.stat().st_size) for p in home.rglob("*") if p.is_file()) == before


def test_exporting_a_set_never_published_is_a_typed_not_found(tmp_path: Path) -> None:
    # It was the bare AutocodecError (no cause class to catch), its hint naming a CLI command from the library.
    from autocodec.errors import NotFound
    from autocodec.registry import Runtime
    from autocodec.registry._sets import export_set

    home = tmp_path / "home"
    run_cli(home, "init")
    run_cli(home, "key", "gen", "pub")
    run_cli(home, "set", "init", "myset", "--key", "pub")
    proc = run_cli(home, "set", "export", "myset", "-o", str(tmp_path / "set.car"), check=False)
    assert proc.returncode == 1 and proc.stdout == b""
    assert proc.stderr.decode().strip().splitlines() == [
        "autocodec: NotFound: set 'myset' has never been published: it has no version to export "
        "(publish a version of the set first)"]
    assert not (tmp_path / "set.car").exists()
    with Runtime(home) as rt, pytest.raises(NotFound) as caught:
        export_set(rt, "myset", tmp_path / "set.car")
    assert "autocodec" not in (caught.value.hint or "")


@pytest.mark.slow
def test_serve_on_port_0_says_the_port_the_system_chose(tmp_path: Path) -> None:
    import re
    import urllib.request

    home = tmp_path / "home"
    run_cli(home, "init")
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", "serve", "--port", "0"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()
        found = re.fullmatch(r"autocodec: serving on http://127\.0\.0\.1:(\d+)\n", line)
        assert found is not None, line  # it said ':0'
        port = int(found.group(1))
        assert port != 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as resp:
            assert resp.status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("argv", [
    ["key", "list"], ["key", "show", "k"], ["key", "export", "k", "-o", "OUT"], ["key", "rm", "k"],
    ["key", "rename", "k", "j"], ["publish", "x", "--key", "k"], ["set", "init", "s", "--key", "k"],
    ["name", "publish", "--key", "k", "/ipfs/bafkqaaa"],
], ids=lambda argv: " ".join(argv[:2]))
def test_key_commands_on_a_home_that_does_not_exist_create_nothing(tmp_path: Path, argv: list[str]) -> None:
    # They made the home (keys/, cache/) to say it had no such key (Kubo: "no IPFS repo found").
    home = tmp_path / "home"
    argv = [str(tmp_path / "k.key") if a == "OUT" else a for a in argv]
    proc = run_cli(home, *argv, check=False)
    assert proc.returncode == 1 and not home.exists()
    (line,) = proc.stderr.decode().strip().splitlines()
    assert line.startswith(("autocodec: ConfigError: ", "autocodec: KeyNotFound: ")) and str(home) in line


def test_key_list_reads_a_home_whose_only_content_is_its_keys(tmp_path: Path) -> None:
    home = tmp_path / "home"
    did = run_cli(home, "key", "gen", "k1").stdout.decode().strip()
    assert run_cli(home, "key", "list").stdout.decode().strip().split("\t")[:2] == ["k1", did]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli(empty, "key", "list").stdout == b"" and list(empty.iterdir()) == []
