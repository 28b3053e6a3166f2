"""A home's settings as a careful user expects: no typo in ``config.toml`` or in a log variable
goes unnoticed, a read-only home still reads, and a CAR's many roots import as Kubo's do."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from autocodec.cid import CID
from autocodec.errors import ConfigError
from autocodec.home import Home
from autocodec.settings import Settings
from autocodec.store import BlockStore
from tests import _homes
from tests._cli import refusal_line, run_cli
from tests._kubo import KuboRepo, require_kubo
from tests._read_only_mount import read_only_mount

home = _homes.initialised_home  # after autocodec init, per test (tests/_homes.py)


# --- config.toml: every mistake is a ConfigError naming the file and the key ----------------------


@pytest.mark.parametrize(("text", "words"), [
    ("typo = 3\n", ["typo is not a setting", "known: sources, refresh, limits, dns"]),
    ("[limitz]\nx = 1\n", ["limitz is not a setting", "did you mean 'limits'?"]),
    ("[sources]\nnodes = 'http://127.0.0.1:5001'\n", ["sources.nodes is not a setting", "'node'"]),
    ("[refresh]\ninterval = 5\n", ["refresh.interval is not a setting", "'interval_s'"]),
    ("[refresh]\ninterval_s = true\n", ["refresh.interval_s must be a positive number"]),
    ("[refresh]\ninterval_s = inf\n", ["refresh.interval_s must be a positive number"]),
    ("sources = 3\n", ["sources must be a table"]),
    ("[limits]\nstore = 1\n", ["limits.store is a value"]),
    ("[limits.stor]\nbatch_blocks = 1\n", ["limits.stor is not a group of limits", "'store'"]),
    ("[limits.store]\nbatch_blok = 1\n", ["limits.store.batch_blok is not a limit", "'batch_blocks'"]),
    ("[limits.store]\nbatch_blocks = -1\n", ["limits.store.batch_blocks must be positive"]),
    ("[limits.store]\nbatch_blocks = 0\n", ["limits.store.batch_blocks must be positive"]),
    ("[limits.store]\nbatch_blocks = 'many'\n", ["limits.store.batch_blocks must be an integer"]),
    ("[dns]\nresolverz = {}\n", ["dns.resolverz is not a setting", "'resolvers'"]),
    ("[ipvm]\ntrigers = []\n", ["ipvm.trigers is not a setting", "'triggers'"]),
    ("[sources\n", ["cannot read"]),
])
def test_every_mistake_in_config_toml_is_a_config_error(tmp_path: Path, text: str, words: list[str]) -> None:
    """Before, an unknown top-level key or table, an unknown key in ``[sources]``/``[refresh]``/
    ``[ipvm]`` and a boolean or infinite refresh interval were ignored, and ``sources = 3`` was an
    ``AttributeError``; each is now a ``ConfigError`` naming the file and key (with the nearest name)."""
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        Settings.load(path)
    assert str(path) in caught.value.message
    for word in words:
        assert word in caught.value.message


def test_a_known_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[sources]\ngateways = ['http://127.0.0.1:8080']\n[refresh]\ninterval_s = 60\n"
                    "[limits.store]\nbatch_blocks = 5\n[dns.resolvers]\n'.' = ''\n"
                    "[[ipvm.triggers]]\nname = 't'\n")
    settings = Settings.load(path)
    assert settings.refresh_interval_s == 60.0 and settings.apply_limits().store.batch_blocks == 5


def test_a_typo_in_config_toml_is_one_line_from_the_cli(home: Path) -> None:
    (home / "config.toml").write_text("[limitz.store]\nbatch_blocks = 5\n")
    proc = run_cli(home, "block", "stat", "bafkqaaa", check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "ConfigError" in line and "limitz is not a setting (did you mean 'limits'?)" in line
    assert str(home / "config.toml") in line


# --- AUTOCODEC_LOG and AUTOCODEC_LOG_LEVEL: a bad value warns once, never silently -----------------


@pytest.mark.parametrize(("variable", "value", "accepted"), [
    ("AUTOCODEC_LOG_LEVEL", "verbose", "debug, info, warning, error, critical; using warning"),
    ("AUTOCODEC_LOG", "xml", "json, console; using console"),
])
def test_a_bad_log_variable_warns_once_and_the_command_runs(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                            variable: str, value: str, accepted: str) -> None:
    """Before, a misspelt level or format silently meant the default; now one warning line names
    the variable, its value and the accepted ones, and the command still does its work."""
    monkeypatch.setenv(variable, value)
    proc = run_cli(home, "block", "stat", "bafkqaaa")
    assert proc.stdout.decode().startswith("Key: bafkqaaa")
    warnings = [line for line in proc.stderr.decode().splitlines() if variable in line]
    assert warnings == [f"autocodec: warning: {variable}={value!r} is not one of {accepted}"]


def test_configure_refuses_an_unknown_level() -> None:
    from autocodec import log

    with pytest.raises(ConfigError, match="'loud' is not a log level"):
        log.configure(level="loud")


# --- a read-only home: commands that only read work, a write says the home is read-only ------------


READS = [["cat", "{file}"], ["block", "get", "{file}"], ["block", "stat", "{file}"], ["dag", "get", "{file}"],
         ["ls", "{dir}"], ["refs", "{dir}"], ["refs", "local"], ["resolve", "/ipfs/{dir}/f"],
         ["decode", "{dir}"], ["pin", "ls"], ["key", "list"]]


def test_a_read_only_home_reads_and_refuses_writes(home: Path, tmp_path: Path) -> None:
    """Before, every command on a home whose folder cannot be written (a read-only mount) failed
    with 'unable to open database file'; now reads work (the store is opened ``immutable``) and a
    write is one line saying the home is read-only."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_bytes(b"read me\n")
    folder = run_cli(home, "add", "-Q", "-r", str(tmp_path / "d")).stdout.decode().strip()
    file = run_cli(home, "resolve", f"/ipfs/{folder}/f").stdout.decode().strip().removeprefix("/ipfs/")
    before = sorted(p.name for p in home.iterdir())
    with read_only_mount(home):
        for words in READS:
            args = [w.format(file=file, dir=folder) for w in words]
            proc = run_cli(home, *args)
            assert proc.stderr == b"", (args, proc.stderr)
        assert run_cli(home, "cat", file).stdout == b"read me\n"
        for args in (["block", "put", str(tmp_path / "d" / "f")], ["add", str(tmp_path / "d" / "f")],
                     ["block", "rm", file]):
            proc = run_cli(home, *args, check=False)
            line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
            assert line.startswith("autocodec: StoreError: ") and "the home is read-only" in line, line
        assert sorted(p.name for p in home.iterdir()) == before
    assert run_cli(home, "cat", file).stdout == b"read me\n"


def _pending_block(home: Path) -> tuple[BlockStore, CID]:
    """A store of ``home`` left open with one block only in its ``-wal`` file (no checkpoint)."""
    store = BlockStore.open(Home.resolve(home))
    with store.transaction() as conn:
        conn.execute("PRAGMA wal_autocheckpoint=0")
    data = b"only in the write-ahead log"
    cid = CID.build(0x55, b"\x12\x20" + hashlib.sha256(data).digest())
    store.put(cid, data)
    assert (home / "store.sqlite-wal").stat().st_size > 0
    return store, cid


def test_a_read_only_home_reads_writes_still_in_its_wal(home: Path) -> None:
    """A read-only view of a home another process is writing (its ``-wal`` and ``-shm`` there)
    reads through them: a block committed but not yet checkpointed is found."""
    store, cid = _pending_block(home)
    try:
        with read_only_mount(home):
            assert run_cli(home, "block", "get", str(cid)).stdout == b"only in the write-ahead log"
    finally:
        store.close()


def test_a_read_only_home_whose_wal_cannot_be_read_says_so(home: Path, tmp_path: Path) -> None:
    """A non-empty ``-wal`` with no ``-shm`` cannot be read without writing one: refused with a
    StoreError naming the file, never a read of the database alone that silently misses blocks."""
    store, cid = _pending_block(home)
    copy = tmp_path / "copy"
    run_cli(copy, "init")
    try:
        for name in ("store.sqlite", "store.sqlite-wal"):
            shutil.copyfile(home / name, copy / name)
    finally:
        store.close()
    with read_only_mount(copy):
        proc = run_cli(copy, "block", "get", str(cid), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "its home is read-only and store.sqlite-wal holds writes not yet folded into the database" in line


# --- a CAR header's roots: as many as Kubo takes within the header's byte bound --------------------


def _car_with_roots(path: Path, count: int) -> Path:
    """A CARv1 whose header lists ``count`` distinct raw roots, holding one block (none of them)."""
    from autocodec import builtin
    from autocodec.cid import encode_varint

    roots = [builtin.cid_for(i.to_bytes(8, "big"), "raw") for i in range(count)]
    header = builtin.encode({"roots": roots, "version": 1}, "dag-cbor")
    data = b"hello car"
    section = bytes(builtin.cid_for(data, "raw")) + data
    path.write_bytes(encode_varint(len(header)) + header + encode_varint(len(section)) + section)
    return path


def test_a_car_of_10001_roots_imports_as_in_kubo(home: Path, tmp_path: Path) -> None:
    """Before, ``dag import`` refused a header of 10,001 roots ('over the limit of 10000', hinted
    'malformed or truncated'); Kubo 0.43.1 imports it, and so does this now."""
    require_kubo()
    kubo = KuboRepo.create(tmp_path / "kubo")
    car = _car_with_roots(tmp_path / "many.car", 10_001)
    args = ("dag", "import", "--pin-roots=false", "--stats", str(car))
    theirs = kubo.ipfs(*args)
    mine = run_cli(home, *args)
    assert mine.stdout == theirs.stdout == b"Imported 1 blocks (9 bytes)\n"


def test_a_header_over_its_byte_bound_says_it_is_a_bound(home: Path, tmp_path: Path) -> None:
    """A header over ``limits.store.max_car_header_bytes`` is refused in words that say it is a
    bound and how to raise it (the hint said the file was malformed or truncated); raised in
    config.toml past a block's bound (4 MiB), such a header imports."""
    car = _car_with_roots(tmp_path / "big.car", 130_000)  # a header of about 5.3 MB
    proc = run_cli(home, "dag", "import", "--pin-roots=false", str(car), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "over the 1048576-byte limit (limits.store.max_car_header_bytes, a bound of autocodec's)" in line, line
    assert "malformed" not in line and "raise it under [limits.store] in config.toml" in line, line
    (home / "config.toml").write_text("[limits.store]\nmax_car_header_bytes = 8388608\n")
    proc = run_cli(home, "dag", "import", "--pin-roots=false", "--stats", str(car))
    assert proc.stdout == b"Imported 1 blocks (9 bytes)\n"


def test_the_roots_bound_says_it_is_a_bound(tmp_path: Path) -> None:
    import dataclasses

    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import InvalidCar
    from autocodec.store import CarReader

    car = _car_with_roots(tmp_path / "three.car", 3)
    limits = dataclasses.replace(DEFAULT_LIMITS, store=dataclasses.replace(DEFAULT_LIMITS.store, max_car_roots=2))
    with car.open("rb") as stream, pytest.raises(InvalidCar) as caught:
        CarReader(stream, limits=limits)
    assert "lists 3 roots, over the limit of 2 (limits.store.max_car_roots, a bound of autocodec's)" in caught.value.message
    assert "malformed" not in caught.value.hint


def test_every_group_of_limits_checks_its_values() -> None:
    """``TrustLimits`` alone took any value (``max_signatures=-1``, a string), against config.py's
    invariant that every group is checked when made."""
    from autocodec.config import TrustLimits
    from autocodec.errors import InvalidInput

    with pytest.raises(InvalidInput, match="TrustLimits.max_signatures needs a finite number above 0"):
        TrustLimits(max_signatures=-1)
    with pytest.raises(InvalidInput, match="TrustLimits.max_role_keys needs a whole number"):
        TrustLimits(max_role_keys="64")  # type: ignore[arg-type]
