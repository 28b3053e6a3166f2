"""The explorer's pages of big UnixFS folders beside Kubo 0.43.1's gateway listing of the same
folders (Kubo adds them; its CAR is imported here; its daemon runs offline on loopback).

Found while checking the order the explorer pages entries in: Kubo's gateway lists a plain
directory by name (bytes), as ``autocodec.unixfs._dir.iter_entries`` does, but a HAMT in a
different order on each request (boxo enumerates a HAMT's shards concurrently), so no order of
Kubo's can be matched there; the explorer pages a HAMT in shard order (boxo's
``Shard.ForEachLink``), which is stable from page to page, and lists the same entries.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec.registry import Runtime
from tests._kubo import KuboRepo, require_kubo
from tests._explorer_pages import BIG, many_files, walk_entry_pages

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


class Folders:
    def __init__(self, kubo: KuboRepo, home: Path, folder: Path, roots: dict[str, str]) -> None:
        self.kubo, self.home, self.folder, self.roots = kubo, home, folder, roots


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Folders]:
    """A folder of 1200 files added by Kubo as a plain directory (its default 256 KiB rule keeps
    1200 short names in one block) and as a HAMT (``Import.UnixFSHAMTDirectorySizeThreshold``
    1 KiB, fanout 16), each imported here from Kubo's CAR; Kubo's daemon running."""
    require_kubo()
    base = tmp_path_factory.mktemp("explorer-kubo")
    folder = many_files(base)
    home = base / "home"
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    roots = {}
    with KuboRepo.create(base / "kubo") as kubo:
        roots["directory"] = kubo.ipfs("add", "-r", "-Q", folder).stdout.decode().strip()
        kubo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")
        roots["hamt"] = kubo.ipfs("add", "-r", "-Q", "--max-hamt-fanout=16", folder).stdout.decode().strip()
        for kind, root in roots.items():
            car = base / f"{kind}.car"
            car.write_bytes(kubo.ipfs("dag", "export", root).stdout)
            subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "car", "import", str(car)],
                           check=True, capture_output=True, env=env, timeout=300)
        kubo.start()
        yield Folders(kubo, home, folder, roots)


def _kubo_rows(kubo: KuboRepo, root: str) -> list[tuple[str, str, str]]:
    """``(name, CID, size)`` of each entry of Kubo's gateway listing of ``root`` (its size is
    humanized; a file of fewer than 1000 bytes is ``N B``)."""
    with urllib.request.urlopen(f"{kubo.gateway_url}/ipfs/{root}/", timeout=60) as resp:
        body = resp.read().decode()
    rows = re.findall(rf'<a href="/ipfs/{root}/([^"]+)">.*?class="ipfs-hash"[^>]*href="/ipfs/([^"?]+)\?.*?'
                      r'title="Cumulative size[^"]*">([^<]*)</div>', body, re.S)
    return [(urllib.parse.unquote(name), cid, html.unescape(size)) for name, cid, size in rows]


def _explorer_rows(home: Path, root: str) -> list[tuple[str, str, str]]:
    with Runtime(home, default_set=False) as runtime:
        rows, _ = walk_entry_pages(runtime, root)
    return [(name, cid, f"{size} B") for name, cid, size in rows]


def test_a_plain_directory_pages_in_kubos_listing_order(folders: Folders) -> None:
    """The explorer's three pages of Kubo's plain directory of 1200 files, read in turn, are
    Kubo's gateway listing: the same names, CIDs and sizes in the same order."""
    kubo = _kubo_rows(folders.kubo, folders.roots["directory"])
    assert len(kubo) == BIG
    assert _explorer_rows(folders.home, folders.roots["directory"]) == kubo


def test_a_hamt_pages_the_entries_kubo_lists_in_a_stable_order(folders: Folders) -> None:
    """Kubo's HAMT of 1200 files: the explorer's pages hold exactly the entries of Kubo's
    listing (names, CIDs, sizes), each once, in the same order on every walk; the HAMT
    ``autocodec add`` makes of the folder (sharded past 1000 links, fanout 16) is Kubo's, CID
    for CID."""
    kubo = _kubo_rows(folders.kubo, folders.roots["hamt"])
    ours = _explorer_rows(folders.home, folders.roots["hamt"])
    assert len(kubo) == BIG and sorted(ours) == sorted(kubo) and len(set(ours)) == BIG
    assert _explorer_rows(folders.home, folders.roots["hamt"]) == ours
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    added = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(folders.home), "add", "-r", "-Q", "-n",
                            "--max-directory-links=1000", "--max-hamt-fanout=16", str(folders.folder)],
                           capture_output=True, env=env, timeout=300, check=True)
    assert added.stdout.decode().strip() == folders.roots["hamt"]
