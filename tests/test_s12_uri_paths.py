"""Path arguments written as native IPFS URIs, read as Kubo 0.43.1 reads them.

Kubo's commands pass each path argument through boxo's ``NewPathFromURI`` (``ipfs://CID/sub``,
``ipfs:CID``, ``IPFS:///CID``, ``ipns://NAME``, ``ipld://CID``: the scheme matched
case-insensitively, one ``//`` dropped, the rest kept) and ``name publish`` through
``PathOrCidPath`` (a bare ``CID[/path]`` is ``/ipfs/CID[/path]``). Before: ``cat``/``ls`` refused
every URI ("cannot parse CID 'ipfs:'"), ``dag get``/``block stat`` refused an upper-case scheme,
and ``name publish`` refused URIs and bare CIDs; ``name publish ' CID'`` was taken once the bare
form was (go-cid refuses white space around a CID: now so does ``verify._ipns.content_path``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autocodec.dag._path import uri_to_path

NAME = "k51qzi5uqu5dhkjs4v8zg8gy305fm9d9z4ofo0q8073cwz9n8ep2d7turfgsuy"


@pytest.mark.parametrize("text, path", [
    ("ipfs://bafkqaaa/a/b", "/ipfs/bafkqaaa/a/b"), ("ipfs:bafkqaaa", "/ipfs/bafkqaaa"),
    ("IPFS://QmA", "/ipfs/QmA"), ("IpLd://x", "/ipld/x"), ("ipns:/name.eth", "/ipns//name.eth"),
    ("ipfs:///x", "/ipfs//x"), ("ipfs:////x", "/ipfs///x"), ("ipfs:", "/ipfs/"),
    ("/ipfs/x", "/ipfs/x"), ("ipfs/x", "ipfs/x"), ("ipfsx:y", "ipfsx:y"), ("https://x/ipfs/y", "https://x/ipfs/y"),
    ("\u0130pfs://x", "\u0130pfs://x"),  # not ASCII: no scheme
    ("dweb:/ipfs/x", "dweb:/ipfs/x"),
])
def test_uri_to_path(text: str, path: str) -> None:
    assert uri_to_path(text) == path


def _ours(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), *args], capture_output=True,
                          timeout=120)


@pytest.fixture()
def tree(tmp_path: Path) -> tuple[Path, str]:
    folder = tmp_path / "zd"
    folder.mkdir()
    (folder / "z.txt").write_text("hi\n")
    home = tmp_path / "home"
    cid = _ours(home, "add", "-Q", "-r", str(folder)).stdout.decode().strip()
    assert cid == "QmdsqqCgjvT27kdvSYuGPQPC5PHw7VLRWw15v7CDh4sNvi"  # Kubo 0.43.1's
    return home, cid


URI_FORMS = ["ipfs://{cid}", "IPFS://{cid}", "ipfs:{cid}", "ipfs:///{cid}", "Ipfs:/{cid}"]


@pytest.mark.parametrize("form", URI_FORMS)
def test_content_commands_read_a_uri(tree: tuple[Path, str], form: str) -> None:
    home, cid = tree
    arg = form.format(cid=cid)
    assert _ours(home, "cat", arg + "/z.txt").stdout == b"hi\n"
    assert _ours(home, "ls", arg).stdout.decode().split() == ["QmZLRFWaz9Kypt2ACNMDzA5uzACDRiCqwdkNSP1UZsu56D", "3",
                                                             "z.txt"]
    for args in (["dag", "get", arg], ["block", "stat", arg], ["refs", arg]):
        plain = _ours(home, *args[:-1], cid)
        assert (_ours(home, *args).stdout, plain.returncode) == (plain.stdout, 0), args


PUBLISHED = {  # name publish ARG -> the value Kubo 0.43.1 signs (measured; Kubo holds the content)
    "{cid}": "/ipfs/{cid}", "ipfs://{cid}": "/ipfs/{cid}", "IPFS://{cid}/z.txt": "/ipfs/{cid}/z.txt",
    "ipfs:{cid}": "/ipfs/{cid}", "{cid}/z.txt": "/ipfs/{cid}/z.txt", "ipld://{cid}": "/ipld/{cid}",
    "ipns://" + NAME: "/ipns/" + NAME, "ipns:/" + NAME: "/ipns/" + NAME,
    " {cid}": None, "{cid} ": None, "/ipfs/ {cid}": None, "ipfs/{cid}": None, "https://x/ipfs/{cid}": None,
}


@pytest.mark.parametrize("arg", list(PUBLISHED))
def test_name_publish_reads_its_path_as_kubo(tree: tuple[Path, str], arg: str) -> None:
    home, cid = tree
    if not (home / "keys").exists() or not list((home / "keys").iterdir()):
        _ours(home, "key", "gen", "k")
    unchecked = ["--resolve=false"] if NAME in arg else []  # this home holds no record of NAME to resolve
    proc = _ours(home, "name", "publish", "--key", "k", *unchecked, arg.format(cid=cid))
    expected = PUBLISHED[arg]
    if expected is None:
        assert proc.returncode == 1 and b"is not a content path" in proc.stderr, proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.decode().strip().endswith(": " + expected.format(cid=cid))


@pytest.mark.slow
@pytest.mark.ipfs
def test_kubo_reads_them_so(tmp_path: Path) -> None:
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    folder = tmp_path / "zd"
    folder.mkdir()
    (folder / "z.txt").write_text("hi\n")
    kubo = KuboRepo.create(tmp_path / "kubo")
    cid = kubo.ipfs("add", "-Q", "-r", folder).stdout.decode().strip()
    own = kubo.ipfs("key", "list", "-l").stdout.decode().split()[0]  # Kubo resolves an /ipns/ value it publishes
    wrong = []
    for form in URI_FORMS:
        if kubo.ipfs("cat", form.format(cid=cid) + "/z.txt", check=False).stdout != b"hi\n":
            wrong.append(f"cat {form}")
    for arg, expected in PUBLISHED.items():
        kubo.ipfs("name", "publish", "--allow-offline", cid)  # so /ipns/{own} resolves (not to itself)
        proc = kubo.ipfs("name", "publish", "--allow-offline", arg.format(cid=cid).replace(NAME, own), check=False)
        got = proc.stdout.decode().strip().rpartition(": ")[2] if proc.returncode == 0 else None
        if got != (None if expected is None else expected.format(cid=cid).replace(NAME, own)):
            wrong.append(f"publish {arg}: {proc.stdout!r} {proc.stderr!r}")
    assert not wrong, "\n".join(wrong)
