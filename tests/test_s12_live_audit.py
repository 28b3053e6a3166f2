"""Live upgrades audited (tests/_s12_live_world.py builds the sets; real modules, keys, CARs).

- The canary compares a changed module with the one serving its code only when the updated
  set serves that code: a set pinned after another one that serves git-raw (no override) was
  refused every update whose git-raw module decoded differently from the *other* set's module
  (``CanaryFailed``), though its entry serves nothing; a set whose entries another publisher
  serves could be kept from every update by them. Fails on the old ``canary``.
- A refused refresh names the set it refused (``Runtime.refresh``, ``POST /admin/refresh``):
  it said ``?``. Fails on the old ``refresh``.
"""

from __future__ import annotations


import pytest

from autocodec.registry import Runtime
from autocodec.registry._live import RefreshStatus
from tests._s12_live_world import LiveWorld, build


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> LiveWorld:
    return build(tmp_path_factory.mktemp("s12live"))


def test_a_set_that_does_not_serve_a_code_is_not_canaried_against_the_set_that_does(world: LiveWorld) -> None:
    with Runtime(world.user_home, default_set=False) as rt:
        before = rt.decode(world.git_blob)  # served by "first"; now a canary sample
        assert rt.resolve("codec", 0x78).set_name == "first"
        assert rt.recent_blocks(0x78)
        index = world.second_v2()
        outcomes = {o.set_name: o for o in rt.refresh()}
        assert outcomes["second"].status == RefreshStatus.SWAPPED, outcomes["second"]
        assert outcomes["first"].status == RefreshStatus.CURRENT
        assert {p.name: p.index_cid for p in rt.pins.ls()}["second"] == index
        served = rt.resolve("codec", 0x78)
        assert (served.set_name, served.version) == ("first", "93.0.0")  # what serves is unchanged
        assert rt.decode(world.git_blob) == before


def test_a_refused_refresh_names_its_set(world: LiveWorld) -> None:
    world.second_bundle.write_bytes(b"not a CAR")  # the place "second" was pinned from now offers junk
    with Runtime(world.user_home, default_set=False) as rt:
        outcomes = rt.refresh()
        refused = [o for o in outcomes if o.status == RefreshStatus.REFUSED]
        assert [o.set_name for o in refused] == ["second"], outcomes
        assert refused[0].reason
        assert [o.set_name for o in rt.refresh("second")] == ["second"]
