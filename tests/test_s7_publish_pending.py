"""A set version signed and not yet recorded (``publish_set(record=False)``, what ``set publish
--to-node`` does until the node holds it): the set's version stays; signing again answers the same
index while it lists the same, and takes the next number when it does not, so no version number
is ever signed for two contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import InvalidInput
from autocodec.registry import Runtime, add_manifest, get_set, init_set, publish_module, publish_set, remove_entry
from autocodec.registry._sets import _read_index, record_set_version
from autocodec.verify import KeyRing

from .conftest import WASM_SRC


@pytest.fixture()
def home(tmp_path: Path):
    with Runtime(tmp_path / "publisher", default_set=False) as rt:
        key = KeyRing(rt.home.keys_dir).generate("pub")
        init_set(rt, "s", [key], ["pub"])
        for name in ("bencode", "git-raw"):
            add_manifest(rt, "s", publish_module(rt, WASM_SRC / name / f"{name}.wasm", key).manifest_cid)
        publish_set(rt, "s", [key], now=1_000)
        yield rt, key


def _version(rt: Runtime, cid) -> int:
    return _read_index(rt, rt.get(cid)).version


def test_unrecorded_leaves_the_version_and_a_retry_answers_the_same_index(home) -> None:
    rt, key = home
    first = publish_set(rt, "s", [key], record=False, now=2_000)
    assert get_set(rt, "s").index_version == 1 and _version(rt, first) == 2
    again = publish_set(rt, "s", [key], record=False, now=3_000)
    assert again == first
    record_set_version(rt, "s", first)
    state = get_set(rt, "s")
    assert (state.index_version, state.index_cid) == (2, first)
    with pytest.raises(InvalidInput):
        record_set_version(rt, "s", first)  # recorded once: nothing waits any more


@pytest.mark.parametrize("change", ["entries", "lifetime"])
def test_a_retry_listing_otherwise_takes_the_next_number(home, change: str) -> None:
    rt, key = home
    first = publish_set(rt, "s", [key], record=False, now=2_000)
    days = None
    if change == "entries":
        remove_entry(rt, "s", "codec", 0x78)  # git-raw
    else:
        days = 10.0
    other = publish_set(rt, "s", [key], record=False, expires_days=days, now=3_000)
    assert other != first and _version(rt, other) == 3
    assert get_set(rt, "s").index_version == 1
    with pytest.raises(InvalidInput):
        record_set_version(rt, "s", first)  # superseded: only the latest signed one is recorded
    recorded = publish_set(rt, "s", [key], expires_days=days, now=4_000)  # the pending v3 answered
    assert recorded == other and get_set(rt, "s").index_version == 3


def test_an_expired_pending_index_is_not_answered(home) -> None:
    rt, key = home
    first = publish_set(rt, "s", [key], record=False, expires_days=1, now=2_000)
    later = publish_set(rt, "s", [key], record=False, expires_days=1, now=2_000 + 86_400)
    assert later != first and _version(rt, later) == 3


def test_a_pending_index_gone_from_the_store_keeps_its_number_spent(home) -> None:
    rt, key = home
    first = publish_set(rt, "s", [key], record=False, now=2_000)
    assert rt.store.delete(first)
    later = publish_set(rt, "s", [key], now=3_000)
    assert later != first and _version(rt, later) == 3 and get_set(rt, "s").index_version == 3
