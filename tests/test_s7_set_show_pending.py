"""``set show`` tells of a version ``set publish --to-node`` signed and no node took yet (kept
pending by ``publish_set(record=False)``): which number, its CID, that the set stays at N, and
whether a retry puts that very index or signs the number after it. Nothing once it is recorded.
Through the CLI (``main``) on a real publisher home; the pending index is made by the library call."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.cli import main
from autocodec.registry import Runtime, add_manifest, init_set, publish_module, publish_set, remove_entry
from autocodec.registry._sets import record_set_version
from autocodec.verify import KeyRing

from .conftest import WASM_SRC


@pytest.fixture()
def home(tmp_path: Path):
    home = tmp_path / "publisher"
    with Runtime(home, default_set=False) as rt:
        key = KeyRing(rt.home.keys_dir).generate("pub")
        init_set(rt, "s", [key], ["pub"])
        for name in ("bencode", "git-raw"):
            add_manifest(rt, "s", publish_module(rt, WASM_SRC / name / f"{name}.wasm", key).manifest_cid)
        publish_set(rt, "s", [key])
        yield home, rt, key


def _show(capsysbinary: pytest.CaptureFixture[bytes], home: Path) -> tuple[str, str]:
    capsysbinary.readouterr()
    assert main(["--home", str(home), "set", "show", "s"]) == 0
    out, err = capsysbinary.readouterr()
    return out.decode(), err.decode()


def test_show_names_the_pending_version_until_it_is_recorded(home, capsysbinary) -> None:
    path, rt, key = home
    out, err = _show(capsysbinary, path)
    assert err == "" and "; index v1 " in out.splitlines()[0]
    pending = publish_set(rt, "s", [key], record=False)
    out, err = _show(capsysbinary, path)
    assert "; index v1 " in out.splitlines()[0] and len(out.splitlines()) == 3  # the set's version stays
    assert err == (f"autocodec: v2 {pending} signed, waiting for a node (the set stays at v1): "
                   "`autocodec set publish s --to-node ADDR` puts it\n"), err
    record_set_version(rt, "s", pending)
    out, err = _show(capsysbinary, path)
    assert err == "" and f"; index v2 {pending}" in out.splitlines()[0]


def test_show_names_the_lifetime_the_pending_version_was_signed_with(home, capsysbinary) -> None:
    """``publish_set`` answers the pending index only for the same lifetime asked: the retry must name it."""
    path, rt, key = home
    pending = publish_set(rt, "s", [key], record=False, expires_days=10.5)
    _, err = _show(capsysbinary, path)
    assert err == (f"autocodec: v2 {pending} signed, waiting for a node (the set stays at v1): "
                   "`autocodec set publish s --to-node ADDR --expires-days 10.5` puts it\n"), err
    assert publish_set(rt, "s", [key], expires_days=10.5) == pending  # what the note said: the same index


def test_show_says_a_changed_set_takes_the_number_after_the_pending_one(home, capsysbinary) -> None:
    path, rt, key = home
    pending = publish_set(rt, "s", [key], record=False)
    remove_entry(rt, "s", "codec", 0x78)  # git-raw: the pending v2 no longer lists what is staged
    _, err = _show(capsysbinary, path)
    assert err.splitlines() == [
        f"autocodec: v2 {pending} signed, never put on a node, no longer lists what is staged (or expired): "
        "the next `autocodec set publish s` signs v3",
        "autocodec: staged for v3, not yet published: 0 added, 1 removed, 0 replaced since v1 "
        "(`autocodec set publish s` signs them)"], err
    assert publish_set(rt, "s", [key]) != pending  # what the note said: v3, recorded
    out, err = _show(capsysbinary, path)
    assert err == "" and "; index v3 " in out.splitlines()[0]


@pytest.mark.slow
@pytest.mark.ipfs
def test_after_a_node_down_at_pin_add_show_names_the_index_the_retry_puts(tmp_path: Path, kubo_node) -> None:
    """End to end with a real Kubo daemon behind a relay that stops at ``pin/add`` (``tests/_node_down``)."""
    from urllib.parse import urlsplit

    from ._cli import run_cli
    from ._node_down import NodeGoesDown

    home = tmp_path / "home"
    run_cli(home, "key", "gen", "k")
    manifest = run_cli(home, "publish", str(WASM_SRC / "git-raw" / "git-raw.wasm"), "--key", "k").stdout.decode().strip()
    for args in (["set", "init", "s", "--key", "k"], ["set", "add", "s", manifest], ["set", "publish", "s"]):
        run_cli(home, *args)
    api = urlsplit(kubo_node.api_url)
    assert api.hostname and api.port
    relay = NodeGoesDown((api.hostname, api.port), "pin/add")
    try:
        assert run_cli(home, "set", "publish", "s", "--to-node", relay.url, check=False).returncode == 1
    finally:
        relay.stop()
    shown = run_cli(home, "set", "show", "s").stderr.decode()
    assert shown.startswith("autocodec: v2 ") and shown.endswith(
        " signed, waiting for a node (the set stays at v1): `autocodec set publish s --to-node ADDR` puts it\n"), shown
    pending = shown.split()[2]
    retry = run_cli(home, "set", "publish", "s", "--to-node", kubo_node.api_url).stdout.decode().strip()
    assert retry == pending
    assert run_cli(home, "set", "show", "s").stderr.decode() == ""
