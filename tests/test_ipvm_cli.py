"""``autocodec run`` and ``autocodec receipt`` end to end, in a fresh home (default set pinned)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocodec.cli._app import main
from autocodec.verify import module_cid
from tests.conftest import WASM_SRC

SELECT_CID = module_cid((WASM_SRC / "ipld-select" / "ipld-select.wasm").read_bytes())
TORRENT = b"d4:infod6:lengthi3e4:name5:helloee"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def test_run_prints_receipt_and_result_then_hits_the_cache(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("run", str(SELECT_CID), "select", "--arg", '{"a": [1, {"b": "x"}]}', "--arg", '"a/1/b"')
    status, lines, _ = _run(capsys, *args)
    assert status == 0 and lines[0].startswith("receipt bafyrei") and "cached" not in lines[0]
    assert lines[1] == '"x"'
    receipt = lines[0].split()[1]
    status, again, _ = _run(capsys, *args)
    assert status == 0 and again[0] == f"receipt {receipt}  cached (not executed again)" and again[1] == '"x"'
    status, fresh, _ = _run(capsys, *args, "--no-cache")
    assert status == 0 and fresh[0] == f"receipt {receipt}"

    status, shown, _ = _run(capsys, "receipt", "show", receipt)
    assert status == 0 and '"ipvm/receipt@1"' in shown[0] and shown[1].startswith("signature ok: did:key:")
    status, verified, _ = _run(capsys, "receipt", "verify", receipt, "--rerun")
    assert status == 0 and verified[-1].startswith("re-run ok: same result")


def test_run_by_task_name_and_error_receipts_exit_1(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, _ = _run(capsys, "run", "ipld-select", "keys", "--arg", '{"b": 1, "a": 2}', "--arg", '""')
    assert status == 0 and lines[1] == '["a","b"]'
    status, lines, err = _run(capsys, "run", "ipld-select", "select", "--arg", "[1]", "--arg", '"5"', "--fuel", "100000")
    assert status == 1 and lines[1].startswith("error GuestError: index 5 out of range")
    assert err.startswith("autocodec: GuestError: index 5 out of range") and len(err.strip().splitlines()) == 1
    assert lines[0].split()[1] in err  # the error receipt's CID
    status, lines, err = _run(capsys, "run", "ipld-select", "count", "--arg", json.dumps({"a": list(range(3000))}),
                              "--arg", '"a"', "--fuel", "1000")
    assert status == 1 and lines[1].startswith("error FuelExhausted") and err.startswith("autocodec: FuelExhausted")


def test_refusals_are_one_line_errors(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stranger = "bafkreie3a54yr47mgvryjnqyfkwqbheuae2jwq6cnoc7zm4ewytot445ga"
    status, _, err = _run(capsys, "run", stranger, "select")
    assert status == 1 and "NotTrusted" in err and f"autocodec trust add {stranger}" in err
    assert len(err.strip().splitlines()) == 1
    status, _, err = _run(capsys, "run", "ipld-select", "select", "--arg", "{bad")
    assert status == 1 and "not DAG-JSON" in err
    status, _, err = _run(capsys, "run", "ipld-select", "nope")
    assert status == 1 and "no function 'nope'" in err
    with pytest.raises(SystemExit) as usage:
        _run(capsys, "run")
    err = capsys.readouterr().err
    assert usage.value.code == 1 and "--pipeline" in err and err.count("\n") == 1  # a usage error (issue 17)
    status, _, err = _run(capsys, "receipt", "verify", str(SELECT_CID))  # a module: a raw block
    assert status == 1 and "InvalidInput" in err and "not a receipt" in err


def test_pipeline_file(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    block = tmp_path / "t.torrent"
    block.write_bytes(TORRENT)
    status, lines, _ = _run(capsys, "block", "put", "--codec", "bencode", str(block))
    assert status == 0
    block_cid = lines[-1].split()[0]
    pipeline = {"jobs": {
        "doc": {"module": "bencode-to-dagcbor", "func": "to_dagcbor", "args": [{"ipvm/block": {"/": block_cid}}]},
        "info": {"module": "ipld-select", "func": "select", "args": [{"await/ok": "doc"}, "info"]},
        "name": {"module": "ipld-select", "func": "select", "args": [{"await/ok": "info"}, "name"]},
    }, "result": "name"}
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps(pipeline))
    status, first, _ = _run(capsys, "run", "--pipeline", str(path))
    assert status == 0 and first[-1] == '{"/":{"bytes":"aGVsbG8"}}'  # b"hello"
    assert sum(line.startswith("job ") for line in first) == 2
    status, second, _ = _run(capsys, "run", "--pipeline", str(path))
    assert status == 0 and "cached" in second[-2] and second[-2].split()[1] == first[-2].split()[1]
    path.write_text(json.dumps({**pipeline, "result": "nobody"}))
    status, _, err = _run(capsys, "run", "--pipeline", str(path))
    assert status == 1 and "InvalidDocument" in err


def test_share_receipts_by_car(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    job = ("run", "ipld-select", "count", "--arg", '{"a": [1, 2, 3]}', "--arg", '"a"')
    status, lines, _ = _run(capsys, "--home", a, *job)
    assert status == 0 and lines[1] == "3"
    receipt = lines[0].split()[1]
    status, did, _ = _run(capsys, "--home", a, "key", "show", "executor")
    executor = did[-1].split()[-1]
    assert executor.startswith("did:key:")
    car = str(tmp_path / "receipt.car")
    assert _run(capsys, "--home", a, "car", "export", receipt, "-o", car)[0] == 0
    assert _run(capsys, "--home", b, "car", "import", car)[0] == 0
    status, lines, _ = _run(capsys, "--home", b, "receipt", "reindex")
    assert status == 0 and lines[-1].startswith("indexed ") and lines[-1] != "indexed 0 receipts"
    status, shared, _ = _run(capsys, "--home", b, *job, "--executor", executor)
    assert status == 0 and shared[0] == f"receipt {receipt}  cached (not executed again)" and shared[1] == "3"
    status, mine, _ = _run(capsys, "--home", b, *job)  # a's receipt is only a claim to b's own executor
    assert status == 0 and "cached" not in mine[0] and mine[0].split()[1] != receipt
    status, again, _ = _run(capsys, "--home", b, *job, "--executor", executor)  # both cached now: b's own first
    assert status == 0 and again[0] == f"{mine[0]}  cached (not executed again)"


def test_file_arguments(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torrent = tmp_path / "t.torrent"
    torrent.write_bytes(TORRENT)
    status, lines, _ = _run(capsys, "run", "bencode-to-dagcbor", "transcode", "--arg", f"@{torrent}")
    assert status == 0 and lines[1] == '{"info":{"length":3,"name":{"/":{"bytes":"aGVsbG8"}}}}'
    status, _, err = _run(capsys, "run", "bencode-to-dagcbor", "transcode", "--arg", f"@{tmp_path / 'missing'}")
    assert status == 1 and "cannot read" in err
