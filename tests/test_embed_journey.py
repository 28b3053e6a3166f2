"""An application embedding autocodec through ``import autocodec`` only: a journey over the public
namespace (real home, real SQLite, the shipped default set's Wasm modules), its typing under
``mypy --strict``, and hostile inputs that must be ``AutocodecError``s, never a bare Python error.

Found by the embedding sweep (each failed on the old code): ``hash_many(None)``,
``hash_stream(None)``, ``Runtime(gateways=None)`` and ``Runtime(modules=None)`` raised TypeError;
a path holding a NUL character or a lone surrogate (a home, a module file, a CAR file) raised
ValueError or UnicodeEncodeError; adding a directory without ``recursive`` hinted at a CLI flag.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

import autocodec

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED_CAR = ROOT.parent / "shared" / "codec-fixtures" / "fixtures.car"
GIT_COMMIT = FIXTURES / "git" / "1a219c4e14160d0b3b47d76ad7bee135b7931047.obj"


def _journey(home: Path) -> dict[str, Any]:
    """What an application does, through the curated namespace; returns what it saw."""
    seen: dict[str, Any] = {}
    with autocodec.Runtime(home) as rt:
        commit = rt.put(GIT_COMMIT.read_bytes(), "git-raw", "sha1")
        seen["git"] = rt.decode(commit)
        eth = rt.put((FIXTURES / "eth" / "mainnet-1-frontier.rlp").read_bytes(), "eth-block", "keccak-256")
        seen["eth"] = rt.decode(eth)
        btc = rt.put((FIXTURES / "bitcoin" / "block-170.bin").read_bytes(), "bitcoin-block", "dbl-sha2-256")
        seen["btc"] = rt.decode(btc)
        jws = json.loads((FIXTURES / "dag-jose" / "fixtures.json").read_text())[0]
        seen["jose"] = rt.decode_block(jws["cid"], bytes.fromhex(jws["hex"]))
        leaf = rt.put(b'{"name":"leaf"}', "dag-json")
        parent = rt.put(autocodec.encode({"child": leaf}, "dag-cbor"), "dag-cbor")
        seen["path"] = rt.decode(f"/ipfs/{parent}/child/name")
        seen["provenance"] = rt.resolve("codec", "git-raw")
        if SHARED_CAR.exists():
            seen["car"] = autocodec.import_car(rt.store, SHARED_CAR)
        seen["threads"] = _from_threads(rt, commit)
        seen["asyncio"] = asyncio.run(_from_asyncio(rt, commit))
        seen["commit"] = commit
    return seen


def _from_threads(rt: autocodec.Runtime, cid: autocodec.CID) -> list[Any]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda _: rt.decode(cid), range(16)))


async def _from_asyncio(rt: autocodec.Runtime, cid: autocodec.CID) -> list[Any]:
    return list(await asyncio.gather(*(asyncio.to_thread(rt.decode, cid) for _ in range(8))))


def test_the_journey_decodes_every_kind_and_prints_and_configures_nothing(tmp_path: Path) -> None:
    before = (list(logging.getLogger().handlers), logging.getLogger().level)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        seen = _journey(tmp_path / "home")
    assert (out.getvalue(), err.getvalue()) == ("", "")  # a library prints nothing
    assert (list(logging.getLogger().handlers), logging.getLogger().level) == before
    assert seen["git"]["tree"] and seen["eth"]["Number"] == b"\x01" and seen["btc"]["tx"]
    assert "payload" in seen["jose"] and seen["path"] == "leaf"
    where = seen["provenance"]
    assert (where.set_name, where.policy) == ("autocodec-default", "pinned-set")
    assert where.publisher.startswith("did:key:")
    assert all(v == seen["git"] for v in seen["threads"] + seen["asyncio"])
    if "car" in seen:
        assert seen["car"].blocks > 0


def test_a_closed_runtime_refuses_by_type_and_closes_twice(tmp_path: Path) -> None:
    rt = autocodec.Runtime(tmp_path / "home")
    cid = rt.put(b"x", "raw")
    rt.close()
    rt.close()
    with pytest.raises(autocodec.StoreError):
        rt.decode(cid)
    with pytest.raises(autocodec.StoreError), rt:
        pass


def test_unixfs_add_and_cat_round_trip_and_a_folder_hint_names_no_flag(tmp_path: Path) -> None:
    from autocodec import unixfs

    data = bytes(range(256)) * 2000  # several chunks
    with autocodec.Runtime(tmp_path / "home") as rt:
        root = unixfs.add_bytes(rt.store, data)
        assert b"".join(unixfs.cat(rt.store, root)) == data
        with pytest.raises(autocodec.InvalidInput) as exc:
            unixfs.add_path(rt.store, tmp_path)
    assert "-r" not in exc.value.hint and "recursive=True" in exc.value.hint


def test_a_user_program_on_the_public_api_type_checks_strictly() -> None:
    assert (ROOT / "autocodec" / "py.typed").exists()
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                           str(ROOT / "tests" / "embed_user_program.py")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


BAD_NAMES = ["bad\x00name", "\ud800"]


def _hostile_calls(rt: autocodec.Runtime, home: Path) -> list[Callable[[], object]]:
    calls: list[Callable[[], object]] = [
        lambda: rt.hash_many(None),  # type: ignore[arg-type]
        lambda: rt.hash_stream(None),  # type: ignore[arg-type]
        lambda: autocodec.Runtime(home, gateways=None),  # type: ignore[arg-type]
        lambda: autocodec.Runtime(home, modules=None),  # type: ignore[arg-type]
    ]
    for name in BAD_NAMES:
        calls += [
            lambda name=name: autocodec.Runtime(name),
            lambda name=name: autocodec.Runtime(home, modules=[name]),
            lambda name=name: rt.add_local_module(name),
            lambda name=name: autocodec.import_car(rt.store, name),
            lambda name=name: autocodec.BlockStore.open(name),
        ]
    return calls


@pytest.mark.parametrize("case", range(4 + 5 * len(BAD_NAMES)))
def test_hostile_inputs_are_typed_errors_with_a_hint(case: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a name that did open would make its home here, not in the checkout
    home = tmp_path / "home"
    with autocodec.Runtime(home) as rt:
        call = _hostile_calls(rt, home)[case]
        with pytest.raises(autocodec.InvalidInput) as exc:
            made = call()
            if isinstance(made, autocodec.Runtime):
                made.close()
    assert exc.value.hint and "--" not in exc.value.hint


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_write_after_the_home_was_removed_under_a_live_runtime_is_refused(tmp_path: Path, how: str) -> None:
    # SQLite kept writing into the database file it held open: put returned a CID, and the
    # block was lost when the runtime closed. A write now checks the file is still the one opened.
    import shutil

    home = tmp_path / "h"
    with autocodec.Runtime(home, default_set=False) as rt:
        kept = rt.put(b"kept", "raw")
        shutil.rmtree(home)
        if how == "replaced":  # a restored copy in its place: writes go to neither silently
            with autocodec.Runtime(home, default_set=False):
                pass
        with pytest.raises(autocodec.StoreError, match="removed or replaced while this process had it open"):
            rt.put(b"new", "raw")
        assert rt.get(kept) == b"kept"  # reads still answer from the file held open
    with autocodec.Runtime(home, default_set=False) as again:
        again.put(b"new", "raw")  # a runtime opened anew writes as before
