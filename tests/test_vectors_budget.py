"""A vectors run is bounded as a whole, not only call by call (``TrustLimits.vectors_deadline_s``,
``max_vectors_work``, ``max_vector_checks``; docs/bounds.md "Test vectors"). The canary runs a
fetched, signed set's vectors before a live upgrade: a signature says who, not that it is cheap.
Hostile documents are built against the shipped modules; small limits keep each test short."""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any

import blake3
import pytest

from autocodec import bao
from autocodec.builtin import encode
from autocodec.config import DEFAULT_LIMITS, TrustLimits
from autocodec.errors import InvalidDocument, VectorsTooCostly
from autocodec.loader import Sandbox, run_vectors
from tests._bao_case import verifier_case
from tests._cli import refusal_line, run_cli
from tests.conftest import WASM_SRC

SHIPPED = sorted(p.parent.name for p in WASM_SRC.glob("*/vectors.json"))


def limits(**kw: Any) -> TrustLimits:
    return dataclasses.replace(DEFAULT_LIMITS.trust, **kw)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def shipped(sandbox: Sandbox, name: str) -> Any:
    return sandbox.load((WASM_SRC / name / f"{name}.wasm").read_bytes())


def chunker_doc(cases: int, length: int = 1 << 20) -> dict[str, Any]:
    ends = list(range(1 << 16, length + 1, 1 << 16))
    return {"kind": "chunker", "cases": [{"params": {"size": 1 << 16}, "input": {"seed": i + 1, "length": length},
                                          "ends": ends} for i in range(cases)]}


def test_the_shipped_vectors_fit_the_defaults_with_headroom(sandbox: Sandbox) -> None:
    """Each shipped module's own vectors pass under the default limits (so within their deadline:
    a run past it raises), using at most a tenth of the work budget (the defaults were chosen
    from these runs; how long they take is the machine's, measured in docs/bounds.md, not here)."""
    assert len(SHIPPED) >= 25
    for name in SHIPPED:
        loaded = shipped(sandbox, name)
        report = run_vectors(loaded, (WASM_SRC / name / "vectors.json").read_bytes())
        assert report.ok, (name, report.failures[:2])
        assert 0 < report.work * 10 < DEFAULT_LIMITS.trust.max_vectors_work, (name, report.work)


def test_a_run_past_its_deadline_stops_within_one_step(sandbox: Sandbox) -> None:
    """60 chunker cases of 1 MiB generated input each (~0.15 s a case here) under a 0.5 s
    deadline: the run stops at the step after the deadline, not after the 60 cases."""
    loaded = shipped(sandbox, "chunker-fixed")
    assert run_vectors(loaded, chunker_doc(1)).ok  # each case is a passing one
    started = time.monotonic()
    with pytest.raises(VectorsTooCostly, match=r"ran past their 0.5 s deadline at case (\d+)") as caught:
        run_vectors(loaded, chunker_doc(60), limits=limits(vectors_deadline_s=0.5))
    took = time.monotonic() - started
    # all 60 cases: ~9 s idle; one step past the deadline: ~0.1 s idle (the bound leaves a loaded
    # machine room, and stays far below the whole run)
    assert 0.5 <= took < 5, took
    stopped_at = int(re.search(r"at case (\d+)", caught.value.message).group(1))  # type: ignore[union-attr]
    assert stopped_at < 59, stopped_at
    assert "vectors_deadline_s under [limits.trust] in config.toml" in caught.value.hint


def test_the_work_budget_stops_many_small_cases_at_the_same_case_every_time(sandbox: Sandbox) -> None:
    """A document of 100 000 tiny codec cases (each a few microseconds, three guest calls) is cut
    by the work budget at a case that depends only on the document, never on the machine."""
    loaded = shipped(sandbox, "dag-cbor")
    doc = {"kind": "codec", "cases": [{"decode": b"\xa1\x61a\x01", "expect": {"a": 1}}] * 100_000}
    small = limits(max_vectors_work=10_000_000)
    stops = set()
    for _ in range(2):
        with pytest.raises(VectorsTooCostly, match=r"work budget of 10000000 units at case (\d+)") as caught:
            run_vectors(loaded, doc, limits=small)
        stops.add(caught.value.message)
    assert len(stops) == 1
    assert "at case 813" in stops.pop()  # 3 steps of 4 + 4096 units a case: 10^7 // 12300 = 813 whole cases
    report = run_vectors(loaded, {"kind": "codec", "cases": doc["cases"][:813]}, limits=small)
    assert report.ok and report.work == 813 * 3 * (4 + 4096)


@pytest.mark.parametrize("repeat", [1 << 24, 70_000])
def test_a_hasher_repeat_over_the_budget_is_refused_before_it_runs(sandbox: Sandbox, repeat: int) -> None:
    """``repeat`` up to 2^24 is what docs/abi.md allows (NIST's 1 GiB message is 2^24 x 64 bytes):
    33 M guest calls, ~400 s measured; 65 536 repeats of 251 bytes took 1.6 s. Refused at once."""
    loaded = shipped(sandbox, "blake3")
    doc = {"kind": "hasher", "cases": [{"input": bytes(range(251)), "digest": bytes(32), "repeat": repeat}]}
    started = time.monotonic()
    with pytest.raises(VectorsTooCostly, match=f"'repeat' {repeat} of 251 bytes"):
        run_vectors(loaded, doc)
    assert time.monotonic() - started < 5  # the run it refused: minutes


def test_a_hasher_repeat_within_the_budget_still_runs(sandbox: Sandbox) -> None:
    loaded = shipped(sandbox, "blake3")
    data = bytes(range(251))
    digest = blake3.blake3(data * 60_000).digest()  # the reference implementation's (PyPI blake3)
    doc = {"kind": "hasher", "cases": [{"input": data, "digest": digest, "repeat": 60_000}]}
    assert run_vectors(loaded, doc).ok


@pytest.fixture(scope="module")
def bao_module(sandbox: Sandbox) -> Any:
    return shipped(sandbox, "bao")


def test_a_verifier_case_listing_too_many_checks_is_refused_before_it_runs(bao_module: Any) -> None:
    case = verifier_case(bao.Verifier(bao_module), 4096, corrupt=[8] * 3, seek=[1, 2],
                         slices=[{"start": 0, "count": 1024, "sha256": bytes(32), "corrupt": [0, 1]}])
    doc = {"kind": "verifier", "cases": [case]}
    assert run_vectors(bao_module, doc, limits=limits(max_vector_checks=8)).failures  # 8 listed: it runs
    started = time.monotonic()
    with pytest.raises(VectorsTooCostly, match="lists 8 corruption offsets, seeks and slices, over the 7"):
        run_vectors(bao_module, doc, limits=limits(max_vector_checks=7))
    assert time.monotonic() - started < 5  # refused from the document; the bound leaves a loaded machine room


def test_a_verifier_case_sure_to_pass_the_budget_is_refused_before_it_runs(bao_module: Any) -> None:
    """Corruption offsets multiply whole passes over the encoding: 4000 offsets near the end of
    a 2^24-byte input's encoding took ~45 ms each (3 minutes), listed in 36 KB of document."""
    doc = {"kind": "verifier", "cases": [{"input_len": 1 << 24, "hash": bytes(32), "encoded_sha256": bytes(32),
                                          "outboard_sha256": bytes(32), "corrupt": list(range(17_000_000, 17_004_000)),
                                          "outboard_corrupt": [], "input_corrupt": [], "seek": [], "slices": []}]}
    assert len(encode(doc, "dag-json")) < 50_000
    started = time.monotonic()
    with pytest.raises(VectorsTooCostly, match="needs .* units of work .4005 passes over 16777216 bytes"):
        run_vectors(bao_module, doc)
    assert time.monotonic() - started < 5  # the run it refused: 3 minutes


def test_a_verifier_run_past_its_deadline_stops_inside_the_case(bao_module: Any) -> None:
    """One valid case of 2^21 bytes with 3000 corruption offsets at its end (each a whole decode,
    ~6 ms): the deadline is checked between the pieces of each pass, so 0.3 s means ~0.3 s."""
    case = verifier_case(bao.Verifier(bao_module), 1 << 21)
    end = (1 << 21) + (1 << 21) // 1024 * 64  # the combined encoding's length, less its 8-byte header
    case["corrupt"] = list(range(end - 3000, end))
    doc = {"kind": "verifier", "cases": [case]}
    started = time.monotonic()
    with pytest.raises(VectorsTooCostly, match="ran past their 0.3 s deadline at case 0"):
        run_vectors(bao_module, doc, limits=limits(vectors_deadline_s=0.3, max_vectors_work=1 << 40))
    took = time.monotonic() - started
    assert 0.3 <= took < 6, took  # all 3000 offsets: ~18 s idle; one piece past 0.3 s: ~0.35 s idle


def test_costly_vectors_are_a_refused_document_never_a_failed_case(sandbox: Sandbox) -> None:
    """``VectorsTooCostly`` is an ``InvalidDocument``: the runner does not record it as one failed
    case and go on with the next (which is what it does with a guest error)."""
    assert issubclass(VectorsTooCostly, InvalidDocument)
    with pytest.raises(VectorsTooCostly):
        run_vectors(shipped(sandbox, "chunker-fixed"), chunker_doc(3), limits=limits(max_vectors_work=5_000_000))


@pytest.mark.parametrize("key", ["vectors_deadline_s", "max_vectors_work", "max_vector_checks"])
def test_the_new_limits_are_checked_like_every_other(key: str) -> None:
    with pytest.raises(Exception, match=f"TrustLimits.{key} needs a finite number above 0"):
        limits(**{key: 0})


@pytest.mark.slow
def test_module_test_runs_under_the_homes_configured_budget(tmp_path: Any) -> None:
    """``autocodec module test`` reads ``[limits.trust]`` from config.toml: the shipped bao vectors
    pass under the defaults and are refused in one line, exit 1, under a budget too small for them."""
    home = tmp_path / "home"
    home.mkdir()
    wasm, vectors = WASM_SRC / "bao" / "bao.wasm", WASM_SRC / "bao" / "vectors.json"
    assert b"13/13 vectors passed" in run_cli(home, "module", "test", str(wasm), str(vectors)).stdout
    (home / "config.toml").write_text("[limits.trust]\nmax_vectors_work = 1000000\n")
    proc = run_cli(home, "module", "test", str(wasm), str(vectors), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "units of work" in line and "raise max_vectors_work" in line and "[limits.trust]" in line


def test_a_slow_guest_is_cut_by_the_run_deadline_not_only_per_call() -> None:
    """A signed module may spend each call's whole deadline: 1000 codec cases against one that
    spins until its 100 ms per-call deadline would take 100 s as 1000 failed cases; the run
    stops at 0.5 s plus at most one call."""
    from tests._wat import small_limits, wat_module

    loaded = Sandbox(small_limits(fuel=10**15, deadline_ms=100)).load(wat_module("loop_export"))
    doc = {"kind": "codec", "cases": [{"decode": b"\x00", "error": True}] * 1000}
    started = time.monotonic()
    with pytest.raises(VectorsTooCostly, match=r"ran past their 0.5 s deadline at case [1-9]\b"):
        run_vectors(loaded, doc, limits=limits(vectors_deadline_s=0.5))
    assert time.monotonic() - started < 10  # all 1000 cases: 100 s; 0.5 s and one call idle


@pytest.mark.parametrize(("config", "repeat"), [("", 1 << 24), ("[limits.trust]\nmax_vectors_work = 10000000\n", 5000)],
                         ids=["defaults", "home-config"])
def test_the_canary_refuses_a_signed_sets_costly_vectors_at_once(tmp_path: Any, config: str, repeat: int) -> None:
    """The canary before a live upgrade runs the fetched set's vectors under the home's limits: a
    signed blake3 manifest whose vectors stream 2^24 x 251 bytes (~400 s before), or 5000 x 251
    bytes under a home's 10^7-unit budget, is refused in a moment, not recorded as failing."""
    from autocodec import Runtime
    from autocodec.registry._live import canary
    from autocodec.verify._canonical import document_cid
    from tests._world import World

    world = World()
    doc = {"kind": "hasher", "cases": [{"input": bytes(range(251)), "digest": bytes(32), "repeat": repeat}]}
    vectors = encode(doc, "dag-cbor")
    manifest = world.manifest(kind="hasher", name="blake3", codes=(0x1E,), module=(WASM_SRC / "blake3" / "blake3.wasm")
                              .read_bytes(), vectors=world.put(document_cid(vectors), vectors))
    verified = world.verify(world.index(1, [("hasher", 0x1E, manifest)]))
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(config)
    with Runtime(home, default_set=False) as runtime:
        started = time.monotonic()
        with pytest.raises(VectorsTooCostly, match=f"'repeat' {repeat} of 251 bytes"):
            canary(runtime, verified, world.fetch)
        assert time.monotonic() - started < 30  # the module compiles in here too; 2^24 repeats ran ~400 s
