"""``autocodec ls`` next to Kubo v0.43.1's ``ipfs ls`` on the same blocks: byte-equal output.

Kubo adds a tree (files of many sizes, a symlink, names with tabs and bytes that are not UTF-8,
a HAMT-sharded folder, a chunked file, UnixFS 1.5 modes with setuid and sticky bits and mtimes
old and recent) and exports it; this package imports the CAR. Then every case runs
``ipfs ls ARGS`` and ``autocodec ls ARGS``: the same stdout, and both succeed or both fail
(bad flag pairs, a missing name, a dag-pb node that is not UnixFS).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

SIZES = (0, 1, 9, 10, 999, 1000, 1049, 1050, 9950, 99999, 1250000, 2999999)


def _tree(base: Path) -> Path:
    root = base / "tree"
    (root / "sub dir" / "deeper").mkdir(parents=True)
    for size in SIZES:
        (root / f"size-{size}").write_bytes(bytes(range(256)) * (size // 256) + bytes(size % 256))
    (root / "a.txt").write_text("hello\n")
    (root / "sub dir" / "z").write_text("zz")
    (root / "tab\there").write_text("t")
    (root / "back\\slash").write_text("b")
    os.symlink("a.txt", root / "link")
    raw = os.fsencode(root)
    with open(raw + b"/caf\xe9", "wb") as out:
        out.write(b"latin-1 name\n")
    hamt = root / "hamt"
    hamt.mkdir()
    for i in range(40):
        (hamt / f"{i:03d}-{'n' * 40}").write_text(str(i))
    modes = root / "modes"
    modes.mkdir()
    for name, mode in (("setuid", 0o4755), ("setgid", 0o2750), ("plain", 0o644), ("exec", 0o700)):
        (modes / name).write_text(name)
        os.chmod(modes / name, mode)
    (modes / "sticky").mkdir()
    os.chmod(modes / "sticky", 0o1777)
    os.utime(modes / "setuid", (1_600_000_000, 1_600_000_000))  # Sep 2020: "Sep 13  2020"
    recent = int(time.time()) - 2 * 86400  # two days ago: "Mon DD HH:MM"
    os.utime(modes / "plain", (recent, recent))
    (root / "chunked").write_bytes(os.urandom(20 * 1000))
    return root


class World:
    def __init__(self, kubo: KuboRepo, home: Path, cids: dict[str, str]) -> None:
        self.kubo, self.home, self.cids = kubo, home, cids

    def ours(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
        return subprocess.run([sys.executable, "-m", "autocodec", "--home", str(self.home), "ls", *args],
                              capture_output=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_kubo()
    base = tmp_path_factory.mktemp("ls")
    with KuboRepo.create(base / "kubo") as kubo:
        kubo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")
        tree = _tree(base)
        cids = {"root": kubo.ipfs("add", "-r", "-Q", "--preserve-mode", "--preserve-mtime", tree).stdout.decode().strip()}
        cids["chunked"] = kubo.ipfs("add", "-Q", "--chunker=size-1000", tree / "chunked").stdout.decode().strip()
        cids["v1"] = kubo.ipfs("add", "-r", "-Q", "--cid-version=1", tree / "sub dir").stdout.decode().strip()
        cids["raw"] = kubo.ipfs("block", "put", input=b"a raw block").stdout.decode().strip()
        doc = {"a": {"/": cids["chunked"]}, "b": [{"/": cids["raw"]}]}
        cids["cbor"] = kubo.ipfs("dag", "put", input=json.dumps(doc).encode()).stdout.decode().strip()
        plain = {"Links": [{"Hash": {"/": cids["chunked"]}, "Name": "x", "Tsize": 5}]}
        cids["not-unixfs"] = kubo.ipfs("dag", "put", "--store-codec=dag-pb", input=json.dumps(plain).encode()
                                       ).stdout.decode().strip()
        home = base / "home"
        for name in cids:
            car = base / f"{name}.car"
            car.write_bytes(kubo.ipfs("dag", "export", cids[name]).stdout)
            subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "car", "import", str(car)],
                           check=True, capture_output=True, timeout=120)
        yield World(kubo, home, cids)


CASES = {
    "a directory": ["{root}"],
    "headers": ["-v", "{root}"],
    "no sizes": ["--size=false", "{root}"],
    "no types, no sizes": ["--resolve-type=false", "--size=false", "{root}"],
    "no types": ["--resolve-type=false", "{root}"],
    "a path into it": ["/ipfs/{root}/sub dir"],
    "two directories": ["{root}", "{root}/sub dir"],
    "the same directory twice": ["-v", "{root}", "{root}"],
    "a multi-block file: its chunks": ["{root}/size-2999999"],
    "a file of one block": ["{root}/a.txt"],
    "a symlink": ["{root}/link"],
    "a HAMT-sharded directory": ["{root}/hamt"],
    "sorted by size": ["-S", "{root}"],
    "human sizes": ["-H", "{root}"],
    "human sizes, by size, headers": ["-H", "-S", "-v", "{root}"],
    "streaming": ["-s", "{root}"],
    "streaming with headers, two directories": ["-s", "-v", "{root}", "{root}/sub dir"],
    "long": ["-l", "{root}/modes"],
    "long with headers, no sizes": ["-l", "-v", "--size=false", "{root}/modes"],
    "long, human": ["-l", "-H", "{root}"],
    "a chunked file of 20 chunks": ["{chunked}"],
    "CIDv1 entries": ["{v1}"],
    "CIDv1 in base36": ["--cid-base=base36", "{v1}"],
    "a raw block": ["{raw}"],
    "a DAG-CBOR block: its links": ["{cbor}"],
    "a dag-pb node that is not UnixFS (an error)": ["{not_unixfs}"],
    "a missing name (an error)": ["{root}/no-such-name"],
    "--sort-size with --stream (an error)": ["-S", "-s", "{root}"],
    "--sort-size with --size=false (an error)": ["-S", "--size=false", "{root}"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_ls_prints_what_kubo_prints(world: World, case: str) -> None:
    args = [arg.format(**{k.replace("-", "_"): v for k, v in world.cids.items()}) for arg in CASES[case]]
    theirs = world.kubo.ipfs("ls", *args, check=False)
    ours = world.ours(*args)
    assert (ours.returncode == 0) == (theirs.returncode == 0), (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout, (theirs.stdout.decode(errors="replace"), ours.stdout.decode(errors="replace"))
    if ours.returncode:
        assert len(ours.stderr.decode().strip().splitlines()) == 1 and b"Traceback" not in ours.stderr
