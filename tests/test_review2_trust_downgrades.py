"""``pin update`` compares module versions with the pinned version only, not with history.

``refuse_unmarked_downgrades`` refuses a new set version that lists, for a key the *pinned*
version lists too, an older module of the same name without the publisher's mark; a key the
new version adds is not compared (docs/trust.md, "Module versions"). The trust store keeps every
role's highest version ever seen, including delegations the pinned version no longer uses:
those are history, and a key listed only there is not listed by the pinned version. Real
documents and keys, a real runtime and store.
"""

from __future__ import annotations

from pathlib import Path


from autocodec.errors import ModuleDowngrade
from autocodec.registry import Runtime
from autocodec.verify import Delegation, Role
from tests import _cli
from tests._world import NOW, World, key

VENDOR_CODE = 0x300042


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def _world() -> tuple[World, Delegation]:
    w = World()
    vendor = Delegation("vendor", Role((key("delegate").did,), 1), ("codec",), ((0x300000, 0x3FFFFF),))
    w.make_root(2, delegations=(vendor,))
    return w, vendor


def test_a_key_a_dropped_delegation_once_listed_is_a_new_key(tmp_path: Path) -> None:
    w, _vendor = _world()
    high = w.manifest(codes=(VENDOR_CODE,), name="vendor-codec", version="2.0.0")
    sub = w.index(1, [("codec", VENDOR_CODE, high)], role="vendor", signers=[key("delegate")])
    v1 = w.index(1, delegations={"vendor": sub})
    v2 = w.index(2)  # the delegation is dropped: the set no longer lists the code
    low = w.manifest(codes=(VENDOR_CODE,), name="vendor-codec", version="1.0.0")
    v3 = w.index(3, [("codec", VENDOR_CODE, low)])  # listed again, by the top index, at 1.0.0
    with Runtime(tmp_path / "home", default_set=False, offline=True) as rt:
        for cid, data in w.blocks.items():
            rt.store.put(cid, data)
        rt.pins.add(str(v1), now=NOW)
        (r2,) = rt.pins.update("test-set", index=v2, now=NOW)
        assert not isinstance(r2, Exception), r2
        assert rt.trust.resolve("codec", VENDOR_CODE, now=NOW) is None
        (r3,) = rt.pins.update("test-set", index=v3, now=NOW)
        assert not isinstance(r3, Exception), r3  # was ModuleDowngrade: compared with v1's delegation
        assert rt.trust.resolve("codec", VENDOR_CODE, now=NOW).manifest_cid == low


def test_a_key_the_pinned_version_lists_through_a_delegation_is_still_compared(tmp_path: Path) -> None:
    w, _vendor = _world()
    high = w.manifest(codes=(VENDOR_CODE,), name="vendor-codec", version="2.0.0")
    sub = w.index(1, [("codec", VENDOR_CODE, high)], role="vendor", signers=[key("delegate")])
    v1 = w.index(1, delegations={"vendor": sub})
    low = w.manifest(codes=(VENDOR_CODE,), name="vendor-codec", version="1.0.0")
    v2 = w.index(2, [("codec", VENDOR_CODE, low)])  # moved to the top index, one version back, unmarked
    with Runtime(tmp_path / "home", default_set=False, offline=True) as rt:
        for cid, data in w.blocks.items():
            rt.store.put(cid, data)
        rt.pins.add(str(v1), now=NOW)
        (r2,) = rt.pins.update("test-set", index=v2, now=NOW)
        assert isinstance(r2, ModuleDowngrade), r2
        assert rt.trust.resolve("codec", VENDOR_CODE, now=NOW).manifest_cid == high
