"""The benchmark machinery runs end to end and reports every figure (no timing assertions:
speed targets are checked by ``autocodec bench``, never in tests)."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys
from pathlib import Path

import pytest

from autocodec.bench import EXPECTED, BenchConfig, Figure, Measurement, Target, format_table, run
from autocodec.bench._core import Peer, compare
from autocodec.cli import main

_PEER_MODULES = {"cbrrr": "cbrrr", "libipld": "libipld", "dag-cbor (py)": "dag_cbor", "dag-json (py)": "dag_json",
                 "dulwich": "dulwich", "pyrlp": "rlp", "fastbencode": "fastbencode",
                 "pycryptodome": "Crypto", "blake3 (py)": "blake3"}


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return run(BenchConfig.smoke())


def _ran(report) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    """EXPECTED without the groups skipped here (only ``kubo``, when Kubo is absent, and never on CI)."""
    assert set(report.skipped) <= ({"kubo"} if not os.environ.get("CI") else set()), report.skipped
    return {group: ids for group, ids in EXPECTED.items() if group not in report.skipped}


# A difference of two samples, not a duration: RSS returned to the OS between them makes it negative
# (the CI run on 73456b0 measured -118 KiB per upgrade over the smoke config's two upgrades).
_SIGNED = {"serve.rss-per-upgrade"}


def _measured(fid: str, value: float) -> bool:
    """A figure's median is a measurement: a duration or size above zero, or any finite growth."""
    return math.isfinite(value) if fid in _SIGNED else value > 0


def test_every_figure_is_measured(report) -> None:  # type: ignore[no-untyped-def]
    assert report.errors == {}, report.errors
    ids = [f.id for f in report.figures]
    assert ids == [fid for group in _ran(report).values() for fid in group]
    for fig in report.figures:
        assert fig.error is None, fig.id
        assert fig.ours is not None and _measured(fig.id, fig.ours.median_ns), fig.id
        assert fig.ours.rounds == 1, fig.id


def test_installed_peers_are_measured_and_targets_evaluated(report) -> None:  # type: ignore[no-untyped-def]
    for fig in report.figures:
        for name, m in fig.peers.items():
            module = _PEER_MODULES.get(name)
            if m is None:
                assert name in fig.missing, (fig.id, name)
                if module and importlib.util.find_spec(module) is not None:
                    assert fig.missing[name].startswith("skipped"), (fig.id, name, fig.missing[name])
            else:
                assert fig.ratios()[name] == pytest.approx(fig.ours.median_ns / m.median_ns)
        if fig.target:
            measured = fig.target.peer in fig.ratios()
            assert fig.result() in (("pass", "fail") if measured else ("n/a",)), fig.id
    targets = {f.id for f in report.figures if f.target}
    assert targets == {"call.empty", "dagcbor.small", "dagcbor.nested", "dagcbor.bytes", "dagjson.nested",
                       "codec.git-raw.batched", "codec.eth-block.batched", "hash.keccak-256.1MiB",
                       "codec.git-raw.single", "codec.eth-block.single", "codec.bencode.single",
                       "hash.keccak-256.64B", "hash.blake3.64B", "bulk.digest.blake3",
                       "load.runtime", "load.sandbox", "threads.git-raw",
                       "memory.add.size", "memory.add.fastcdc", "memory.add.buzhash", "serve.rss-per-upgrade",
                       "cli.decode.builtin", "cli.decode.wasm", *EXPECTED["bounds"], *EXPECTED["bao"],
                       *_ran(report).get("kubo", ())}


def test_the_kernel_is_set_beside_native_code_of_its_vector_width(report) -> None:  # type: ignore[no-untyped-def]
    """``bao.kernel``'s target peer is the 4-lane tool the setup builds (tools/setup.d/62-blake3-4lanes.sh):
    measured whenever it is built, and on CI, where the setup runs, it must be."""
    from autocodec.bench._bao import _four_lanes_tool

    fig = next(f for f in report.figures if f.id == "bao.kernel")
    peer = "blake3 crate, 4 lanes (SSE4.1)"
    if _four_lanes_tool(Path(__file__).resolve().parents[1]) is None:
        if os.environ.get("CI"):
            pytest.fail("the 4-lane BLAKE3 peer was not built by the setup")
        assert fig.result() == "n/a" and "not installed" in fig.missing[peer]
        pytest.skip("the 4-lane BLAKE3 peer is not built here (cargo missing)")
    assert peer in fig.ratios() and fig.result() in ("pass", "fail"), fig.missing
    assert "blake3 (py)" in fig.ratios()


def test_json_and_table(report) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(json.dumps(report.to_json()))
    assert {"cpu_count", "python", "wasmtime"} <= set(doc["machine"])
    by_id = {f["id"]: f for f in doc["figures"]}
    assert set(by_id) == {fid for group in _ran(report).values() for fid in group}
    assert all(_measured(fid, f["median_ns"]) for fid, f in by_id.items())
    assert by_id["dagcbor.small"]["ratios"].keys() >= {"cbrrr"}
    assert set(doc["targets"]) == {f.id for f in report.figures if f.target}
    table = format_table(report)
    for fig in report.figures:
        assert fig.title in table
    assert "targets:" in table


def test_target_evaluation() -> None:
    fig = Figure("x", "g", "x", ours=Measurement.of([100.0, 110.0, 90.0]),
                 peers={"p": Measurement.of([1000.0])}, target=Target("p", 0.1, "t"))
    assert fig.result() == "pass"
    fig.target = Target("p", 0.1, "t", max_ns=50)
    assert fig.result() == "fail"
    fig.target = Target("q", 1.0, "t")
    assert fig.result() == "n/a"
    assert Measurement.of([1.0, 2.0, 9.0]).median_ns == 2.0


def test_compare_reports_missing_and_failing_peers() -> None:
    def broken(_m: object) -> object:
        raise ValueError("boom")

    fig = Figure("x", "g", "x")
    peers = [Peer("nope", "autocodec_no_such_peer_module", lambda m: lambda: None),
             Peer("json", "json", broken),  # type: ignore[arg-type]
             Peer("dumps", "json", lambda m: lambda: m.dumps([1, 2, 3])),
             Peer("slow", "json", lambda m: lambda: m.dumps(list(range(100))), slow=True)]
    compare(fig, lambda: sum(range(10)), peers, BenchConfig.smoke(), baselines={"len": lambda: len("abc")})
    assert fig.ours is not None
    assert fig.peers["nope"] is None and "peer not installed" in fig.missing["nope"]
    assert fig.peers["json"] is None and fig.missing["json"].startswith("peer failed: ValueError")
    assert all(fig.peers[name] is not None for name in ("dumps", "slow", "len"))
    assert set(fig.ratios()) == {"dumps", "slow", "len"}


def test_without_a_source_checkout_wasm_groups_use_the_default_set(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """As from a wheel: no wasm-src/ and no fixtures/; modules come from the package's pinned
    default set (its staleness test compares it with wasm-src) and inputs are generated."""
    from autocodec.bench import _data
    from autocodec.loader import inspect_module

    monkeypatch.setattr(_data, "WASM_SRC", tmp_path / "wasm-src")
    monkeypatch.setattr(_data, "FIXTURES", tmp_path / "fixtures")
    for name in ("git-raw", "eth-block", "bencode", "keccak-256", "blake3"):
        assert inspect_module(_data.module_bytes(name)).name == name
    report = run(BenchConfig.smoke(), ["codecs", "hashers"])
    assert report.errors == {}
    assert [f.id for f in report.figures] == [*EXPECTED["codecs"], *EXPECTED["hashers"]]
    assert all(f.ours is not None and f.error is None for f in report.figures)


def test_without_a_source_checkout_module_vectors_come_from_the_default_set(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve.rss-per-upgrade`` publishes versions of git-raw with its vectors; from a wheel it
    exited 'needs wasm-src/git-raw/vectors.json'. The vectors are the ones the default set's
    manifests link to: the same values as wasm-src's, for every module of the set."""
    from autocodec import builtin
    from autocodec.bench import _data

    shipped = _data._default_set_vectors()
    sources = {p.parent.name: p for p in _data.WASM_SRC.glob("*/vectors.json")}
    assert "git-raw" in shipped and set(shipped) <= set(sources)
    for name, vectors in shipped.items():
        assert builtin.decode(vectors, "dag-json") == builtin.decode(sources[name].read_bytes(), "dag-json"), name
    monkeypatch.setattr(_data, "WASM_SRC", tmp_path / "wasm-src")
    assert _data.module_vectors_json("git-raw") == shipped["git-raw"]


def test_generated_inputs_decode_in_both_ours_and_the_peers() -> None:
    from autocodec.bench import _data
    from autocodec.loader import Sandbox

    sandbox = Sandbox()
    git = sandbox.load(_data.module_bytes("git-raw")).codec()
    objects = _data._generated_git_objects()
    assert {t for t, _ in objects} == {1, 2, 3, 4}
    assert not [x for x in git.decode_many([raw for _, raw in objects]) if isinstance(x, Exception)]
    eth = sandbox.load(_data.module_bytes("eth-block")).codec()
    headers = eth.decode_many(list(_data._generated_eth_headers()))
    assert not [x for x in headers if isinstance(x, Exception)]
    assert all(isinstance(h, dict) and len(h) >= 15 for h in headers)
    if importlib.util.find_spec("dulwich") is not None:
        import dulwich.objects

        from autocodec.bench._codecs import _dulwich_decoder

        convert = _dulwich_decoder(dulwich.objects)
        assert all(convert(t, raw) is not None for t, raw in objects)


def test_cli_strict_exit_status(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.bench import _runner

    def fake(passes: bool):  # type: ignore[no-untyped-def]
        def group(config: BenchConfig) -> list[Figure]:
            peer = Measurement.of([100.0])
            ours = Measurement.of([50.0 if passes else 500.0])
            return [Figure("call.empty", "calls", "fake", ours=ours, peers={"p": peer}, target=Target("p", 1.0, "t"))]
        return group

    for passes, status in ((True, 0), (False, 1)):
        monkeypatch.setitem(_runner.GROUPS, "calls", fake(passes))
        assert main(["bench", "--strict", "--group", "calls"]) == status
        out = capsys.readouterr().out
        assert ("pass" if passes else "fail") in out
        assert main(["bench", "--group", "calls"]) == 0  # without --strict the numbers never fail the command
        capsys.readouterr()


def test_cli_json_one_group(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec import bench

    monkeypatch.setattr(bench.BenchConfig, "quick", classmethod(lambda cls: cls.smoke()))
    assert main(["bench", "--json", "--quick", "--group", "calls"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [f["id"] for f in doc["figures"]] == list(EXPECTED["calls"])
    assert doc["figures"][0]["ratios"]["Func.__call__"] > 0


def test_generated_blocks_have_the_documented_sizes() -> None:
    from autocodec.bench import _data

    blocks = _data.dag_cbor_blocks()
    assert 150 <= len(blocks["small"]) <= 250 and 90_000 <= len(blocks["nested"]) <= 120_000
    assert 1_000_000 <= len(blocks["bytes"]) <= 1_100_000


def test_cli_group_names_match_the_bench_groups() -> None:
    from autocodec.bench import GROUPS
    from autocodec.cli.cmd_bench import GROUP_NAMES

    assert GROUP_NAMES == tuple(GROUPS)


def _kubo_or_skip() -> None:
    from autocodec.bench._kubo import find_kubo

    if find_kubo() is None:
        if os.environ.get("CI"):
            pytest.fail("Kubo was not built by the setup (tools/setup.d/10-kubo.sh)")
        pytest.skip("Kubo is not built here (./dev setup builds it into .cache/go/bin)")


def test_kubo_group_quick_same_cids_and_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    """``bench --quick --group kubo``: every figure measured on both sides, and both printed the
    same CIDs (file, tree), wrote the same cat output and CAR, and served the same bodies."""
    _kubo_or_skip()
    assert main(["bench", "--json", "--quick", "--group", "kubo"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["errors"] == {} and doc["skipped"] == {}
    by_id = {f["id"]: f for f in doc["figures"]}
    assert list(by_id) == list(EXPECTED["kubo"])
    for fig in by_id.values():
        assert "error" not in fig, fig
        assert fig["median_ns"] > 0 and fig["peers"]["kubo"]["median_ns"] > 0, fig["id"]
        assert fig["ratios"]["kubo"] > 0 and fig["result"] in ("pass", "fail"), fig["id"]
        assert fig["target"]["peer"] == "kubo" and fig["checks"]["kubo_version"] == "0.43.1"
    for fid in ("kubo.add.file", "kubo.add.tree"):
        checks = by_id[fid]["checks"]
        assert checks["same_cid"] is True and checks["autocodec"] == checks["kubo"], checks
        assert checks["kubo"].startswith("Qm")  # CIDv0: Kubo's default
    for fid in ("kubo.cat", "kubo.dag-export", "kubo.gateway.file", "kubo.gateway.raw"):
        checks = by_id[fid]["checks"]
        assert checks["same_bytes"] is True and checks["autocodec"] == checks["kubo"], checks
    assert by_id["kubo.cat"]["checks"]["kubo"] == by_id["kubo.gateway.file"]["checks"]["kubo"]
    imported = by_id["kubo.dag-import"]["checks"]  # both report the file's root pinned, in the same words
    assert imported["same_output"] is True and imported["kubo"] == f"Pinned root\t{by_id['kubo.add.file']['checks']['kubo']}\tsuccess"
    assert by_id["kubo.add.file"]["bytes_per_op"] == 32 << 20
    assert "500 small files" in by_id["kubo.add.tree"]["title"]
    assert set(by_id["kubo.gateway.raw"]["checks"]["requests_per_s"]) == {"kubo", "ours"}
    assert by_id["kubo.rss.add"]["unit"] == by_id["kubo.rss.serve"]["unit"] == "KiB"


def test_kubo_group_without_kubo_is_skipped_in_one_line(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOCODEC_KUBO", str(tmp_path / "no-ipfs-here"))
    assert main(["bench", "--quick", "--group", "kubo"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "kubo" in line]
    assert lines == ["group kubo skipped: Kubo not found ($AUTOCODEC_KUBO names no executable); "
                     "install Kubo or name its ipfs binary in $AUTOCODEC_KUBO"], out
    assert "Traceback" not in out
    assert main(["bench", "--json", "--quick", "--group", "kubo"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["figures"] == [] and set(doc["skipped"]) == {"kubo"} and doc["errors"] == {}


def test_kubo_group_a_difference_is_the_figures_error() -> None:
    from autocodec.bench._kubo import _check

    fig = Figure("kubo.add.file", "kubo", "x")
    _check(fig, "same_cid", "QmA", "QmA")
    assert fig.error is None and fig.checks == {"same_cid": True, "autocodec": "QmA", "kubo": "QmA"}
    _check(fig, "same_cid", "QmA", "QmB")
    assert fig.checks["same_cid"] is False
    assert fig.error == "same cid expected, got autocodec QmA and Kubo QmB"
    assert fig.to_json()["checks"]["same_cid"] is False and fig.to_json()["error"] == fig.error


def test_kubo_group_child_peak_rss_is_the_commands_own() -> None:
    """``kubo.rss.add`` is the command's peak, not this process's: Linux carries a forking
    process's high-water mark across ``exec`` into ``ru_maxrss`` (``--quick`` after the other
    groups showed 196.7 MiB for both sides). A 256 MiB bytearray here must not show in a small child."""
    from autocodec.bench._kubo import _child

    ballast = bytearray(256 << 20)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    with open("/proc/self/status") as status:
        mine = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    assert mine > 256 << 10
    run = _child([sys.executable, "-S", "-c", "print('hi')"], dict(os.environ))
    assert run.out == b"hi\n" and 0 < run.ns
    assert 1 << 10 < run.rss_kib < 64 << 10, (run.rss_kib, mine)
    del ballast
    with pytest.raises(RuntimeError, match=r"exited 3: gone"):
        _child([sys.executable, "-S", "-c", "import sys; sys.stderr.write('gone'); sys.exit(3)"], dict(os.environ))
