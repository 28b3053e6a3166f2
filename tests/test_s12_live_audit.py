"""Live upgrades audited (tests/_s12_live_world.py builds the sets; real modules, keys, CARs).

- The canary compares a changed module with the one serving its code only when the updated
  set serves that code: a set pinned after another one that serves git-raw (no override) was
  refused every update whose git-raw module decoded differently from the *other* set's module
  (``CanaryFailed``), though its entry serves nothing; a set whose entries another publisher
  serves could be kept from every update by them. Fails on the old ``canary``.
- A refused refresh names the set it refused (``Runtime.refresh``, ``POST /admin/refresh``):
  it said ``?``. Fails on the old ``refresh``.
- The compiled cache on disk: a revoked module's artifact moved into a trusted module's entry
  is refused by the next process (coverage: this held already).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.registry import Runtime
from autocodec.registry._live import RefreshStatus
from tests._s12_live_world import GIT_BLOB, LiveWorld, build


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


_DECODE_IN_ANOTHER_PROCESS = """
import sys
from autocodec import CID
from autocodec.errors import NotTrusted
from autocodec.registry import Runtime
with Runtime(sys.argv[1]) as rt:
    print(rt.decode(CID.parse(sys.argv[2])) == rt.decode_block(CID.parse(sys.argv[2]), rt.get(sys.argv[2])))
    print(rt.decode(CID.parse(sys.argv[2])))
    try:
        rt.decode(CID.parse(sys.argv[3]))
    except NotTrusted as exc:
        print("refused", type(exc).__name__)
"""


def test_a_revoked_modules_artifact_put_in_a_trusted_modules_cache_entry_never_runs(tmp_path: Path) -> None:
    """The compiled cache binds an artifact to its entry (HMAC over the name): the revoked
    bencode module's machine code copied over git-raw's entry is refused by the next process,
    which recompiles git-raw and decodes with it; bencode itself stays refused."""
    home = tmp_path / "home"
    with Runtime(home) as rt:  # the default set: git-raw and bencode, offline
        blob = CID.build(0x78, b"\x11\x14" + hashlib.sha1(GIT_BLOB).digest())
        rt.store.put(blob, GIT_BLOB)
        bencoded = rt.put(b"d1:ai1ee", "bencode")
        cache = rt.home.compiled_cache_dir
        expected = rt.decode(blob)
        [git_raw] = cache.glob("*.cwasm")
        assert rt.decode(bencoded) == {"a": 1}
        [bencode] = set(cache.glob("*.cwasm")) - {git_raw}
        rt.trust.revoke(str(rt.resolve("codec", "bencode").module), "test")
    swapped = bencode.read_bytes()
    git_raw.write_bytes(swapped)
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", _DECODE_IN_ANOTHER_PROCESS, str(home), str(blob), str(bencoded)],
                         env=env, capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert lines[0] == "True" and lines[1] == repr(expected) and lines[2] == "refused NotTrusted", out.stdout
    assert git_raw.read_bytes() != swapped  # rejected, deleted, written again from git-raw's own code
    assert "compiled cache entry rejected" in out.stderr
