"""Kubo and this package side by side, for differential tests: the ``kubo`` and ``ours`` fixtures.

``kubo`` is Kubo v0.43.1's ``ipfs`` on a fresh, offline repo (no daemon; ``tests/_kubo.py``),
skipped with the reason when Kubo is not built. ``ours`` is the ``autocodec`` CLI as a child
process on a fresh, initialised home. Both are module-scoped: one pair per test module, so a
module's cases share stores (each case must work on stores earlier cases wrote to).

A test module takes them by name, the one pattern pytest sees without an import it calls unused::

    from tests import _kubo_pair
    kubo, ours = _kubo_pair.kubo, _kubo_pair.ours

``add_both`` runs ``ipfs add`` and ``autocodec add`` on the same arguments; ``same_add`` compares them.
``copy_dags`` moves DAGs Kubo holds into one of our stores.

For a table of command lines run by both programs: ``shared_block`` makes a folder, a home and a
block both hold (a module-scoped fixture's body; ``both``: of ``a.txt`` alone), ``run_row`` runs
one line in each, and ``same_outcome`` / ``same_words`` compare the two runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests._kubo import KUBO_BIN, KuboRepo, require_kubo

if TYPE_CHECKING:
    from autocodec.store import BlockStore


class Ours:
    """``autocodec`` as a child process on one home (``--home``): exit status, stdout, stderr.

    ``$AUTOCODEC_HOME`` is left out of the child's environment, so ``--home`` alone names the home."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def run(self, *args: str, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
        cmd = [sys.executable, "-m", "autocodec", "--home", str(self.home), *args]
        env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
        proc = subprocess.run(cmd, input=stdin, capture_output=True, env=env, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    def out(self, *args: str, stdin: bytes | None = None) -> bytes:
        """stdout of a run that must succeed (its stderr is the assertion's message otherwise)."""
        code, out, err = self.run(*args, stdin=stdin)
        assert code == 0, err.decode()
        return out


@pytest.fixture(scope="module")
def kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboRepo]:
    """Kubo's ``ipfs`` on a fresh offline repo, for the whole module."""
    require_kubo()
    yield KuboRepo.create(tmp_path_factory.mktemp("kubo") / "repo")


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Ours:
    """This package's CLI on a fresh home (initialised by opening a ``Runtime``), for the whole module."""
    from autocodec.registry import Runtime

    home = tmp_path_factory.mktemp("ours") / "home"
    Runtime(home).close()
    return Ours(home)


def add_both(kubo: KuboRepo, cwd: Path, args: list[str], stdin: bytes | None = b"",
             stored: bool = False) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    """``ipfs add ARGS`` and ``autocodec add ARGS`` in ``cwd`` with the same stdin: (Kubo's, ours).

    ``--only-hash`` unless ``stored`` (then ``--pin=false``: Kubo's only-hash fails with UnixFS
    metadata). ``stdin=None``: both inherit this process's stdin. Ours runs on the home
    ``cwd.parent / "home"``."""
    first = ["--pin=false"] if stored else ["--only-hash"]
    theirs = subprocess.run([str(KUBO_BIN), "add", *first, *args], cwd=cwd, env=kubo.env(), input=stdin,
                            capture_output=True, timeout=120)
    home = cwd.parent / "home"
    ours = subprocess.run([sys.executable, "-m", "autocodec", "add", *first, *args], cwd=cwd, input=stdin,
                          env={**os.environ, "AUTOCODEC_HOME": str(home)}, capture_output=True, timeout=120)
    return theirs, ours


def same_add(theirs: subprocess.CompletedProcess[bytes], ours: subprocess.CompletedProcess[bytes]) -> None:
    """Both failed or neither did, with the same stdout; our refusal is one line, never a traceback."""
    assert (ours.returncode != 0) == (theirs.returncode != 0), (theirs.stderr, ours.stderr)
    assert ours.stdout == theirs.stdout, (theirs.stderr, ours.stderr)
    if theirs.returncode:
        assert len(ours.stderr.splitlines()) == 1 and b"Traceback" not in ours.stderr, ours.stderr


def copy_dags(kubo: KuboRepo, store: BlockStore, cids: Iterable[str], folder: Path) -> None:
    """Each CID's DAG as Kubo exports it (``dag export``, a CAR written into ``folder``), imported
    into ``store``: afterwards ours holds every block Kubo's export held."""
    from autocodec.store import import_car

    for number, cid in enumerate(cids):
        car = folder / f"copied-{number}-{cid}.car"
        car.write_bytes(kubo.ipfs("dag", "export", cid).stdout)
        import_car(store, car)


SAME = None
"""In a table row (``same_words``): our message holds Kubo's deciding words."""


@dataclass(frozen=True)
class Shared:
    """A folder of files (each row runs in it), a home, and the CID of ``a.txt``'s raw block,
    which Kubo's repo and the home both hold."""

    folder: Path
    home: Path
    cid: str


def shared_block(kubo: KuboRepo, tmp_path_factory: pytest.TempPathFactory, files: Mapping[str, bytes]) -> Shared:
    """``files`` (names to bytes; one is ``a.txt``) written into a fresh folder, and ``a.txt``
    added by both programs (CIDv1: a raw block); asserts the two CIDs are the same."""
    root = tmp_path_factory.mktemp("both")
    folder, home = root / "in", root / "home"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    cid = kubo.ipfs("add", "-Q", "--cid-version=1", folder / "a.txt").stdout.decode().strip()
    ours = subprocess.run([sys.executable, "-m", "autocodec", "add", "-Q", "--cid-version=1", "a.txt"], cwd=folder,
                          env={**os.environ, "AUTOCODEC_HOME": str(home)}, capture_output=True, timeout=120)
    assert ours.stdout.decode().strip() == cid, ours.stderr
    return Shared(folder, home, cid)


@pytest.fixture(scope="module")
def both(kubo: KuboRepo, tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """``shared_block`` of one file, ``a.txt``, for the whole module."""
    return shared_block(kubo, tmp_path_factory, {"a.txt": b"a file\n"})


def run_row(kubo: KuboRepo, shared: Shared, argv: list[str]
            ) -> tuple[subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    """``ipfs ARGV`` and ``autocodec ARGV`` (the word ``CID`` replaced by ``shared.cid``) in
    ``shared.folder``, stdin empty: (Kubo's run, ours on ``shared.home``)."""
    argv = [shared.cid if word == "CID" else word for word in argv]
    theirs = subprocess.run([str(KUBO_BIN), *argv], cwd=shared.folder, env=kubo.env(), capture_output=True,
                            stdin=subprocess.DEVNULL, timeout=120)
    ours = subprocess.run([sys.executable, "-m", "autocodec", *argv], cwd=shared.folder, stdin=subprocess.DEVNULL,
                          env={**os.environ, "AUTOCODEC_HOME": str(shared.home)}, capture_output=True, timeout=120)
    return theirs, ours


def same_outcome(argv: list[str], theirs: subprocess.CompletedProcess[bytes],
                 ours: subprocess.CompletedProcess[bytes]) -> None:
    """The same exit status. A success: our stdout is Kubo's (``version``'s text is each program's
    own: a line naming ``version`` is only checked to print), and our stderr is empty when Kubo's
    is (``dag stat``'s progress goes there). A failure: our stderr is one line, never a traceback."""
    their_err, our_err = theirs.stderr.decode(), ours.stderr.decode()
    assert ours.returncode == theirs.returncode, (their_err, our_err)
    if theirs.returncode == 0:
        assert "version" in argv or ours.stdout == theirs.stdout, (their_err, our_err)
        assert ours.stdout and (their_err or not our_err), (their_err, our_err)
    else:
        assert our_err.count("\n") == 1 and "Traceback" not in our_err, our_err


def same_words(argv: list[str], theirs: subprocess.CompletedProcess[bytes], ours: subprocess.CompletedProcess[bytes],
               kubo_says: str | None, we_say: str | None) -> None:
    """A table row: Kubo succeeded exactly when ``kubo_says`` is None (the table still describes
    Kubo), ``same_outcome``, and a failure's words: ``kubo_says`` in Kubo's stderr, ``we_say``
    (``SAME``: ``kubo_says``) in ours."""
    their_err, our_err = theirs.stderr.decode(), ours.stderr.decode()
    assert (theirs.returncode == 0) == (kubo_says is None), their_err
    same_outcome(argv, theirs, ours)
    if kubo_says is not None:
        assert kubo_says in their_err, their_err
        assert (kubo_says if we_say is SAME else we_say) in our_err, (their_err, our_err)
