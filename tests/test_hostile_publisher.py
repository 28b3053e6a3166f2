"""A hostile publisher against a user who pinned its set (or other sets beside it).

Each test builds a real set (real Ed25519 keys, ``tests/_world.py``), ships it as a real CAR
and pins it in a real home through the registry, as ``autocodec pin add`` does. What is
already covered by ``tests/test_attacks.py`` is not repeated here.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

from autocodec import CID
from autocodec.registry import Runtime, pin_add
from autocodec.store._car import CarWriter
from tests._world import World

MiB = 1 << 20


def _world() -> tuple[World, int]:
    """A world whose set is valid now (the world's own clock is a fixed future time)."""
    w = World()
    expires = int(time.time()) + 300 * 86_400
    w.make_root(2, expires=expires)
    return w, expires


def _ship(w: World, index: CID, path: Path) -> Path:
    """The set as a bundle CAR rooted at its top index, every block of the world in it."""
    with path.open("wb") as f:
        car = CarWriter(f, [index])
        for cid, data in w.blocks.items():
            car.write(cid, data)
    return path


def test_pinning_a_set_of_many_large_modules_holds_one_batch_in_memory_not_the_whole_set(tmp_path: Path) -> None:
    """40 manifests name one 2 MiB module and 24 more name a 1 MiB module each (64 MB of modules
    as the pin saw them): the pin fetches the shared module once and stores modules as it checks
    them, so its peak allocation stays near one store batch (8 MiB). It held every copy until
    the end (at the index cap, 10,000 manifests naming one 4 MiB module: 40 GB)."""
    w, expires = _world()
    shared = os.urandom(2 * MiB)
    entries = [("codec", 0x300000 + i, w.manifest(codes=(0x300000 + i,), module=shared, name=f"shared-{i}"))
               for i in range(40)]
    entries += [("codec", 0x310000 + i, w.manifest(codes=(0x310000 + i,), module=os.urandom(MiB), name=f"own-{i}"))
                for i in range(24)]
    bundle = _ship(w, w.index(1, entries, expires=expires - 1), tmp_path / "bundle.car")
    del shared, entries
    w.blocks.clear()
    with Runtime(tmp_path / "user", default_set=False) as user:
        tracemalloc.start()
        try:
            result = pin_add(user, str(bundle))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert result.modules == 64
        assert user.resolve("codec", 0x300027).set_name == "test-set"
        assert user.resolve("codec", 0x310017).set_name == "test-set"
    assert peak < 24 * MiB, f"pinning held {peak / MiB:.0f} MiB at its peak"


def test_a_set_listing_builtin_codes_never_changes_what_they_mean_even_when_allowed_to_override(tmp_path: Path) -> None:
    """A set lists its own module for dag-cbor, raw, sha2-256, identity and Ed25519, and the user
    pins it with override: each still resolves to the builtin (docs/trust.md, "Sets side by side")."""
    from autocodec.registry._resolution import Source

    w, expires = _world()
    claims = [("codec", 0x71), ("codec", 0x55), ("hasher", 0x12), ("hasher", 0x00), ("crypto", 0xED)]
    entries = [(kind, code, w.manifest(kind=kind, codes=(code,), name=f"claim-{code}")) for kind, code in claims]
    bundle = _ship(w, w.index(1, entries, expires=expires - 1), tmp_path / "claims.car")
    with Runtime(tmp_path / "user", default_set=False) as user:
        pin_add(user, str(bundle), override=True)
        assert user.trust.resolve("codec", 0x71) is not None  # listed and kept...
        for kind, code in claims:  # ...never used
            assert user.resolve(kind, code).source is Source.BUILTIN, (kind, code)
