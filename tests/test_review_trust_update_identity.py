"""``pin update`` (and a live refresh) of a set only ever moves that set forward.

A pinned set is followed where it was found (a bundle path, an IPNS name, a DNSLink), and that
place is not trusted: what it offers is checked as an update of the pinned set (roots,
thresholds, versions). A place that now offers a version of *another* set (another publisher's
keys, another name) must not get that set pinned by trust on first use: the update is refused
(``RootChainError``) and nothing changes. Real documents and keys, a real bundle CAR.
"""

from __future__ import annotations

from pathlib import Path


from autocodec.errors import RootChainError
from autocodec.registry import Runtime
from autocodec.store._car import CarWriter
from tests import _cli
from tests._world import NOW, World, key


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def _bundle(path: Path, world: World, index: object) -> None:
    with path.open("wb") as out:
        car = CarWriter(out, [index])  # type: ignore[list-item]
        for cid, data in world.blocks.items():
            car.write(cid, data)


def _other_set() -> tuple[World, object]:
    """A set of someone else's: their own keys, their own name, a code nobody serves yet."""
    w = World()
    rogue = key("rogue")
    w.make_root(1, root_keys=[rogue], threshold=1, index_keys=[rogue], index_threshold=1, set_name="other-set")
    m = w.manifest(codes=(0x300002,), publisher=rogue)
    return w, w.index(1, [("codec", 0x300002, m)], signers=[rogue], set_name="other-set")


def test_an_update_from_a_bundle_now_holding_another_set_pins_nothing(tmp_path: Path) -> None:
    ours = World()
    bundle = tmp_path / "bundle.car"
    _bundle(bundle, ours, ours.index(1, [("codec", 0x300001, ours.manifest())]))
    theirs, their_index = _other_set()
    with Runtime(tmp_path / "home", default_set=False, offline=True) as rt:
        pinned = rt.pins.add(str(bundle), now=NOW)
        _bundle(bundle, theirs, their_index)  # the place the set is followed at now offers another set
        (result,) = rt.pins.update("test-set", now=NOW)
        assert isinstance(result, RootChainError), result
        assert "other-set" in result.message and "test-set" in result.message
        assert [s.set_id for s in rt.trust.sets()] == [pinned.set_id]
        assert [p.set_id for p in rt.pins.ls()] == [pinned.set_id]
        assert rt.resolve("codec", 0x300002).module is None
        # the live refresh (serve's) goes the same way
        (outcome,) = rt.refresh()
        assert outcome.status == "refused" and "other-set" in outcome.reason
        assert [s.set_id for s in rt.trust.sets()] == [pinned.set_id]


def test_an_update_naming_another_sets_index_pins_nothing(tmp_path: Path) -> None:
    ours = World()
    our_index = ours.index(1)
    theirs, their_index = _other_set()
    with Runtime(tmp_path / "home", default_set=False, offline=True) as rt:
        for cid, data in [*ours.blocks.items(), *theirs.blocks.items()]:
            rt.store.put(cid, data)
        pinned = rt.pins.add(str(our_index), now=NOW)
        (result,) = rt.pins.update("test-set", index=their_index, now=NOW)  # type: ignore[arg-type]
        assert isinstance(result, RootChainError), result
        assert [s.set_id for s in rt.trust.sets()] == [pinned.set_id]


def test_an_update_of_the_same_set_from_its_bundle_still_moves_it_forward(tmp_path: Path) -> None:
    ours = World()
    bundle = tmp_path / "bundle.car"
    _bundle(bundle, ours, ours.index(1))
    with Runtime(tmp_path / "home", default_set=False, offline=True) as rt:
        pinned = rt.pins.add(str(bundle), now=NOW)
        ours.make_root(2)
        _bundle(bundle, ours, ours.index(2, [("codec", 0x300001, ours.manifest())]))
        (result,) = rt.pins.update("test-set", now=NOW)
        assert not isinstance(result, Exception), result
        assert result.set_id == pinned.set_id and result.version == 2 and result.changed
