"""``autocodec get`` next to Kubo v0.43.1's ``ipfs get`` on hostile DAGs built block by block
(names given twice, a symlink then a directory "through" it, a name over NAME_MAX, an empty
symlink target, setuid modes): both refuse the same DAGs; autocodec with a one-line typed
error, leaving nothing behind, writing nothing outside the output, and never a setuid bit
(where Kubo writes one: the documented difference, docs/unixfs.md)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import CID, encode_varint
from autocodec.unixfs import _pb
from tests._car_bytes import car_bytes
from tests._kubo import KUBO_BIN, KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]




def _field(number: int, body: bytes) -> bytes:
    return bytes([number << 3 | 2]) + encode_varint(len(body)) + body


class Dag(dict[CID, bytes]):
    def node(self, meta: _pb.UnixfsData, links: list[tuple[str, CID]] = []) -> CID:  # noqa: B006
        data = b"".join(_field(2, _field(1, bytes(c)) + _field(2, n.encode())) for n, c in links)
        return self.put(data + _field(1, _pb.encode(meta)), "dag-pb")

    def put(self, data: bytes, codec: str) -> CID:
        cid = builtin.cid_for(data, codec)
        self[cid] = data
        return cid


def _cases(victim: Path) -> dict[str, tuple[Dag, CID]]:
    out = {}
    for name in ("symlink then directory", "a name too long", "an empty symlink target", "setuid"):
        dag = Dag()
        d = _pb.UnixfsData(_pb.DIRECTORY)
        if name == "symlink then directory":
            inner = dag.node(d, [("passwd", dag.put(b"pwned", "raw"))])
            root = dag.node(d, [("link", dag.node(_pb.UnixfsData(_pb.SYMLINK, os.fsencode(victim)))), ("link", inner)])
        elif name == "a name too long":
            root = dag.node(d, [("n" * 300, dag.put(b"x", "raw"))])
        elif name == "an empty symlink target":
            root = dag.node(d, [("l", dag.node(_pb.UnixfsData(_pb.SYMLINK, b"")))])
        else:
            root = dag.node(d, [("suid", dag.node(_pb.UnixfsData(_pb.FILE, b"x", filesize=1, mode=0o6755)))])
        out[name] = (dag, root)
    return out


def test_hostile_dags_refused_as_kubo_refuses_them_nothing_written_outside_no_setuid(tmp_path: Path) -> None:
    require_kubo()
    victim = tmp_path / "victim"
    victim.mkdir()
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    with KuboRepo.create(tmp_path / "kubo") as kubo:
        for name, (dag, root) in _cases(victim).items():
            car = tmp_path / f"{root}.car"
            car.write_bytes(car_bytes([root], list(dag.items())))
            kubo.ipfs("dag", "import", "--pin-roots=false", car)
            subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "car", "import", str(car)],
                           check=True, capture_output=True, timeout=120, env=env)
            theirs_dir, ours_dir = tmp_path / name / "kubo", tmp_path / name / "ours"
            theirs_dir.mkdir(parents=True)
            ours_dir.mkdir(parents=True)
            theirs = subprocess.run([str(KUBO_BIN), "get", str(root)], cwd=theirs_dir, env=kubo.env(),
                                    capture_output=True, timeout=120)
            ours = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "get", str(root)],
                                  cwd=ours_dir, env=env, capture_output=True, timeout=120)
            assert (ours.returncode == 0) == (theirs.returncode == 0), (name, theirs.stderr, ours.stderr)
            assert list(victim.iterdir()) == []
            if ours.returncode:
                lines = ours.stderr.decode().strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("autocodec: InvalidBlock: "), (name, lines)
                assert ".part" not in lines[0]
                assert os.listdir(ours_dir) == []  # nothing left behind
                continue
            theirs_mode = stat.S_IMODE(os.lstat(theirs_dir / str(root) / "suid").st_mode)
            ours_mode = stat.S_IMODE(os.lstat(ours_dir / str(root) / "suid").st_mode)
            assert (theirs_mode, ours_mode) == (0o6755, 0o755)


# (filesize, blocksizes) of a root over two raw leaves of 3 and 4 bytes ("abc", "defg"), and what
# Kubo v0.43.1 does with it: cat streams the leaves whatever the sizes say; get writes a TAR whose
# header takes the root's filesize, so it fails unless that is 7 ("write too long", "unexpected EOF").
SIZE_CASES = {
    "filesize over the bytes": ((10, (3, 4)), "cat", "refused"),
    "filesize under the bytes": ((5, (3, 4)), "cat", "refused"),
    "blocksizes under, filesize right": ((7, (3, 3)), "cat+get", "refused"),
    "blocksizes and filesize agree, a leaf is longer": ((6, (3, 3)), "cat", "refused"),
    "a leaf is shorter than its blocksize": ((9, (3, 6)), "cat", "refused"),
    "one blocksize for two links": ((7, (7,)), "cat+get", "refused"),
    "no blocksizes": ((7, ()), "cat+get", "refused"),
    "no filesize": ((None, (3, 4)), "cat", "cat+get"),
}


def _cat_and_get(tmp_path: Path, own: bytes, filesize: int | None,
                 blocksizes: tuple[int, ...]) -> dict[str, dict[str, bytes | None]]:
    """What ``cat`` and ``get`` of a root (``own`` bytes, then raw leaves "abc" and "defg")
    give on each side: the bytes, or None for a failure."""
    dag = Dag()
    leaves = [dag.put(b"abc", "raw"), dag.put(b"defg", "raw")]
    root = dag.node(_pb.UnixfsData(_pb.FILE, own, filesize, blocksizes), [("", leaf) for leaf in leaves])
    car = tmp_path / "sizes.car"
    car.write_bytes(car_bytes([root], list(dag.items())))
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    ours_cmd = [sys.executable, "-m", "autocodec", "--home", str(home)]
    subprocess.run([*ours_cmd, "car", "import", str(car)], check=True, capture_output=True, timeout=120, env=env)
    results: dict[str, dict[str, bytes | None]] = {"kubo": {}, "ours": {}}
    with KuboRepo.create(tmp_path / "kubo") as kubo:
        kubo.ipfs("dag", "import", "--pin-roots=false", car)
        for side, cmd, run_env in (("kubo", [str(KUBO_BIN)], kubo.env()), ("ours", ours_cmd, env)):
            cat = subprocess.run([*cmd, "cat", str(root)], capture_output=True, env=run_env, timeout=120)
            results[side]["cat"] = cat.stdout if cat.returncode == 0 else None
            where = tmp_path / f"get-{side}"
            where.mkdir()
            get = subprocess.run([*cmd, "get", "-o", "f", str(root)], cwd=where, capture_output=True, env=run_env,
                                 timeout=120)
            results[side]["get"] = (where / "f").read_bytes() if get.returncode == 0 else None
            if side == "ours":
                for proc in (cat, get):
                    assert proc.returncode == 0 or (b"InvalidBlock" in proc.stderr and b"Traceback" not in proc.stderr)
    return results


def test_a_file_node_with_bytes_of_its_own_and_links_is_read_as_the_spec_says(tmp_path: Path) -> None:
    """The second difference on purpose (docs/unixfs.md): the UnixFS spec puts a node's own
    Data bytes before its children's; boxo skips them in any node with links."""
    require_kubo()
    results = _cat_and_get(tmp_path, b"xy", 9, (3, 4))
    assert results["kubo"] == {"cat": b"abcdefg", "get": None}
    assert results["ours"] == {"cat": b"xyabcdefg", "get": b"xyabcdefg"}


@pytest.mark.parametrize("case", list(SIZE_CASES))
def test_file_sizes_that_do_not_add_up_kubo_streams_autocodec_refuses(tmp_path: Path, case: str) -> None:
    """The difference on purpose (docs/unixfs.md, "cat on hostile DAGs"): autocodec checks a
    node's filesize, blocksizes and children before streaming it, so a root cannot promise 10
    bytes and stream 2^40; Kubo reads the children as they come. Both sides are checked here, so
    a change in either shows."""
    require_kubo()
    (filesize, blocksizes), kubo_ok, ours_ok = SIZE_CASES[case]
    results = _cat_and_get(tmp_path, b"", filesize, blocksizes)
    for side, ok in (("kubo", kubo_ok), ("ours", ours_ok)):
        assert results[side] == {what: b"abcdefg" if what in ok.split("+") else None for what in ("cat", "get")}, side
