"""autocodec embedded in a long-running application: what a ``Runtime`` holds after ``close``.

Found by the library-embedding sweep (an application opening and closing runtimes, e.g. one per
job or per test): the descriptors of a home must be released by ``close`` itself, not only
when the garbage collector gets to the runtime (it sits in a reference cycle through the store's
``verify`` callback, so that can take a while). Real homes, real SQLite, the real default set.
"""

from __future__ import annotations

import os
from pathlib import Path

from autocodec import Runtime

GIT_BLOB = b"blob 6\x00hello\n"


def _open_paths_under(folder: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor)
        if target.startswith(str(folder)):
            found.append(target)
    return found


def test_closing_a_runtime_releases_every_descriptor_of_its_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    rt = Runtime(home)
    cid = rt.put(GIT_BLOB, "git-raw", "sha1")
    rt.decode(cid)  # through the pinned git-raw module: the trust store's reader is open now
    rt.hash(b"x", "keccak-256")
    assert any(p.endswith("store.sqlite") for p in _open_paths_under(home))
    rt.close()
    assert _open_paths_under(home) == []  # while the application still holds the runtime
    rt.close()  # twice is fine


def test_a_call_after_close_is_refused_and_opens_nothing_again(tmp_path: Path) -> None:
    """A thread still calling when the application closes the runtime (a shutdown) gets a typed
    error, and its call reopens no connection that nothing would close."""
    import time

    import pytest

    from autocodec.errors import AutocodecError

    home = tmp_path / "home"
    rt = Runtime(home)
    cid = rt.put(GIT_BLOB, "git-raw", "sha1")
    rt.decode(cid)
    rt.close()
    time.sleep(rt.resolver.poll_s)  # the next call polls the trust state
    for call in (lambda: rt.decode(cid), lambda: rt.hash(b"x", "keccak-256"), lambda: rt.resolve("codec", "git-raw"),
                 lambda: rt.trust.epoch()):
        with pytest.raises(AutocodecError):
            call()
    assert _open_paths_under(home) == []


def test_a_trust_store_passed_in_stays_open_for_its_owner(tmp_path: Path) -> None:
    from autocodec.verify import TrustStore

    home = tmp_path / "home"
    Runtime(home).close()
    with TrustStore.open(home) as trust:
        with Runtime(home, trust=trust) as rt:
            rt.decode(rt.put(GIT_BLOB, "git-raw", "sha1"))
        assert trust.epoch() >= 1  # still usable: the runtime closed only what it opened


def test_the_documented_asyncio_way_answers_right_and_leaves_the_loop_free(tmp_path: Path) -> None:
    """Runtime's docstring: from an event loop, call through a thread (asyncio.to_thread).
    Eight concurrent extension decodes and hashes give the sync answers, and a heartbeat on
    the loop is never held up for long (generous bound: a busy CI machine, not speed)."""
    import asyncio
    import time

    home = tmp_path / "home"
    with Runtime(home) as rt:
        big = b"blob 300000\x00" + b"b" * 300_000
        cid = rt.put(big, "git-raw", "sha1")
        expected = (rt.decode(cid), rt.hash(big, "keccak-256"))

        async def main() -> tuple[list[object], float]:
            gaps: list[float] = []
            done = asyncio.Event()

            async def beat() -> None:
                while not done.is_set():
                    start = time.monotonic()
                    await asyncio.sleep(0.005)
                    gaps.append(time.monotonic() - start)

            heart = asyncio.create_task(beat())
            results: list[object] = []
            for _ in range(10):
                results += await asyncio.gather(*(asyncio.to_thread(rt.decode, cid) for _ in range(4)),
                                                *(asyncio.to_thread(rt.hash, big, "keccak-256") for _ in range(4)))
            done.set()
            await heart
            return results, max(gaps)

        results, worst = asyncio.run(main())
    assert results.count(expected[0]) == 40 and results.count(expected[1]) == 40
    assert worst < 1.0, worst  # the loop ran its heartbeat while the threads decoded
