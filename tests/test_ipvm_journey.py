"""An IPVM user's journey across two nodes (docs/invocations.md, followed from the top).

Node A and node B are two homes, each with the default set (which ships ``ipld-select``), and
node A runs ``autocodec serve`` as a real process on loopback. B's key ``me`` holds a delegation
from A's executor to run ``/wasm/run`` on A. Each test is a step of the journey where what the
runtime did disagreed with what the documentation promises.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autocodec import builtin
from autocodec.cid import encode_varint
from autocodec.verify import module_cid
from tests._cli import run_cli
from tests.conftest import WASM_SRC
from tests._serve_proc import ServeProcess

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Nodes:
    """Node A (serving) and node B (a client home with key ``me`` and its delegation)."""

    a: Path
    b: Path
    url: str
    proof: Path
    tmp: Path

    def remote(self, *job: str) -> list[str]:
        """``run --remote`` from B on A; the args after ``--proof``."""
        return ["run", "--remote", self.url, "--key", "me", "--proof", str(self.proof), *job]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    tmp = tmp_path_factory.mktemp("journey")
    a, b = tmp / "A", tmp / "B"
    run_cli(a, "init")
    run_cli(b, "init")
    me = run_cli(b, "key", "gen", "me").stdout.decode().strip()
    proof = tmp / "me.ucan"
    with ServeProcess(a, tmp) as srv:
        run_cli(a, "ucan", "delegate", "--key", "executor", "--to", me, "--cmd", "/wasm/run",
                "--expires", "3600", "-o", str(proof))
        yield Nodes(a, b, srv.url, proof, tmp)
        with urllib.request.urlopen(srv.url + "/healthz", timeout=10) as resp:  # A stayed up throughout
            assert resp.status == 200


def _receipt_of(lines: list[str]) -> str:
    (line,) = [text for text in lines if text.startswith("receipt ")]
    return line.split()[1]


def test_a_memory_cap_below_the_modules_start_memory_is_an_error_receipt(nodes: Nodes) -> None:
    """The table of outcomes: a memory cap is an error receipt, and a job's memory cap depends on the
    invocation alone. A cap below the memory the module declares at start (ipld-select: 1 MiB) was an
    exception instead: no receipt locally, and a 504 over HTTP ('refused the job (504
    MemoryLimitExceeded)'), whose hint spoke of the module growing its memory."""
    job = ["ipld-select", "select", "--arg", "[1]", "--arg", '""', "--memory", "65536"]
    for home, argv in ((nodes.b, ["run", *job]), (nodes.b, nodes.remote(*job))):
        proc = run_cli(home, *argv, check=False)
        out = proc.stdout.decode().splitlines()
        assert proc.returncode == 1, proc.stderr
        assert out[-1] == ("error MemoryLimitExceeded: the module needs 1048576 bytes of memory at start, "
                           "over the job's memory cap of 65536 bytes")
        receipt = _receipt_of(out)
        shown = json.loads(run_cli(home, "receipt", "show", receipt).stdout.decode().splitlines()[0])
        body = shown["ipvm/receipt@1"]
        assert body["out"]["error"]["kind"] == "MemoryLimitExceeded"
        assert body["meta"] == {"fuel": 0, "module": body["meta"]["module"]}
        assert body["meta"]["module"].startswith("ipld-select@")
        rerun = run_cli(home, "receipt", "verify", receipt, "--rerun").stdout.decode()
        assert "re-run ok: same result" in rerun
        again = run_cli(home, *argv, check=False).stdout.decode()
        assert "cached (not executed again)" in again  # memoized like any error receipt
    ok = run_cli(nodes.b, "run", "ipld-select", "select", "--arg", "[1]", "--arg", '""', "--memory", "1048576")
    assert ok.stdout.decode().splitlines()[-1] == "[1]"  # at the module's start memory it runs


def test_an_input_too_large_to_travel_inline_says_to_ship_it_as_a_block(nodes: Nodes) -> None:
    """A job's inline arguments ride inside its UCAN invocation (at most 1 MiB). A 1.5 MB ``--arg
    @FILE`` was refused as 'InvalidToken: UCAN token is N bytes ... (give a UCAN 1.0 token: a
    DAG-CBOR envelope ...)', naming a token the user never gave. Now one line says why and how:
    the same input stored as a block and passed as ``{"ipvm/block": ...}`` runs on A."""
    from autocodec.builtin import encode

    doc = encode(list(range(300_000)), "dag-cbor")  # 1.4 MB: over a token, under a request
    path = nodes.tmp / "big.cbor"
    path.write_bytes(doc)
    proc = run_cli(nodes.b, *nodes.remote("ipld-select", "count", "--arg", f"@{path}", "--arg", '""'), check=False)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 1 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"autocodec: InvalidInput: the job's arguments are {len(doc) + 98} bytes encoded")
    assert '{"ipvm/block": {"/": CID}}' in err
    cid = run_cli(nodes.b, "block", "put", "--cid-codec", "dag-cbor", str(path)).stdout.decode().strip()
    arg = json.dumps({"ipvm/block": {"/": cid}})
    out = run_cli(nodes.b, *nodes.remote("ipld-select", "count", "--arg", arg, "--arg", '""')).stdout.decode()
    assert out.splitlines()[-1] == "300000"


SPIN_WAT = """(module
  (memory (export "memory") 2)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32) (i32.const 4096))
  (func (export "ac_task") (param $p i32) (param $n i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))"""


def _spin_module() -> bytes:
    """A task module whose one function, ``spin``, loops forever."""
    import wasmtime

    meta = {"abi": 1, "kind": "task", "name": "spin", "codes": [], "version": "1.0.0", "functions": ["spin"],
            "description": "loops forever"}
    name = b"autocodec.module"
    payload = encode_varint(len(name)) + name + builtin.encode(meta, "dag-cbor")
    return bytes(wasmtime.wat2wasm(SPIN_WAT)) + b"\x00" + encode_varint(len(payload)) + payload


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(url + "/healthz", timeout=30) as resp:
        return resp.status == 200


def test_a_task_that_loops_forever_is_stopped_and_its_error_keeps_its_type(nodes: Nodes) -> None:
    """Limits: a loop forever under the default fuel ends in a FuelExhausted receipt; under the
    largest fuel the wall-clock deadline stops it (no receipt: it depends on the host) while A
    answers other requests. Over HTTP that refusal (504 DeadlineExceeded) reached the user as
    'InvalidInput: ... refused the job (504 DeadlineExceeded) ... (check the input)': the client
    re-raised only UCAN errors as themselves. Now it is DeadlineExceeded with the executor's hint."""
    wasm = nodes.tmp / "spin.wasm"
    wasm.write_bytes(_spin_module())
    module = run_cli(nodes.a, "block", "put", str(wasm)).stdout.decode().strip()
    run_cli(nodes.a, "trust", "add", module)
    out = run_cli(nodes.b, *nodes.remote(module, "spin"), check=False).stdout.decode().splitlines()
    assert out[-1] == "error FuelExhausted: the module ran out of fuel"
    assert _receipt_of(out)
    spun: list[Any] = []
    job = threading.Thread(target=lambda: spun.append(
        run_cli(nodes.b, *nodes.remote(module, "spin", "--fuel", "20000000000"), check=False)))
    job.start()
    answered = 0
    while job.is_alive():  # A answers while the job spins on its thread pool
        assert _healthy(nodes.url)
        answered += 1
        time.sleep(0.2)
    job.join()
    (proc,) = spun
    err = proc.stderr.decode().strip()
    assert proc.returncode == 1 and len(err.splitlines()) == 1
    assert err.startswith("autocodec: DeadlineExceeded: executor http://127.0.0.1:")
    assert err.endswith("(the call ran past its wall-clock deadline)")
    assert "receipt " not in proc.stdout.decode() and answered > 0


def test_a_policy_pinning_the_module_by_link_admits_that_module(nodes: Nodes) -> None:
    """docs/invocations.md: a policy ``[["==", ".module", {"/": "bafk..."}]]`` constrains the job's
    module. ``ucan delegate --policy`` read plain JSON, so ``{"/": CID}`` became a map that no link
    equals: the job it was written for was refused (MatchError). Now it is a link: that module runs,
    another is refused, one line each."""
    module = str(module_cid((WASM_SRC / "ipld-select" / "ipld-select.wasm").read_bytes()))  # the set's
    me = run_cli(nodes.b, "key", "show", "me").stdout.decode().strip()
    proof = nodes.tmp / "module.ucan"
    policy = json.dumps([["==", ".module", {"/": module}]])
    run_cli(nodes.a, "ucan", "delegate", "--key", "executor", "--to", me, "--cmd", "/wasm/run",
            "--policy", policy, "-o", str(proof))
    job = ["run", "--remote", nodes.url, "--key", "me", "--proof", str(proof)]
    ok = run_cli(nodes.b, *job, module, "select", "--arg", '{"a": 7}', "--arg", '"a"').stdout.decode()
    assert ok.splitlines()[-1] == "7"
    other = run_cli(nodes.b, *job, "bencode-to-dagcbor", "transcode", "--arg", '"i1e"', check=False)
    err = other.stderr.decode()
    assert other.returncode == 1 and err.count("\n") == 1 and err.startswith("autocodec: MatchError: executor ")


def test_a_revocation_counts_in_the_executors_home_only(nodes: Nodes) -> None:
    """What docs/invocations.md now says of re-delegation and revocation: B's key ``me``
    re-delegates to ``x``, and revokes that in B's home; A, the executor, reads only its own home, so
    ``x`` is still served. A's owner revoking the delegation above cuts the chain off (one ``Revoked``
    line from the CLI)."""
    me = run_cli(nodes.b, "key", "show", "me").stdout.decode().strip()
    x = run_cli(nodes.b, "key", "gen", "x").stdout.decode().strip()
    top, below = nodes.tmp / "top.ucan", nodes.tmp / "x.ucan"
    run_cli(nodes.a, "ucan", "delegate", "--key", "executor", "--to", me, "--cmd", "/wasm/run", "-o", str(top))
    run_cli(nodes.b, "ucan", "delegate", "--key", "me", "--to", x, "--cmd", "/wasm/run", "--proof", str(top),
            "-o", str(below))
    run_cli(nodes.b, "ucan", "revoke", str(below), "--key", "me", "--proof", str(top))
    job = ["run", "--remote", nodes.url, "--key", "x", "--proof", str(below), "--proof", str(top),
           "ipld-select", "select", "--arg", '{"a": 3}', "--arg", '"a"']
    assert run_cli(nodes.b, *job).stdout.decode().splitlines()[-1] == "3"
    run_cli(nodes.a, "ucan", "revoke", str(top), "--key", "executor")
    refused = run_cli(nodes.b, *job, check=False)
    err = refused.stderr.decode()
    assert refused.returncode == 1 and err.count("\n") == 1 and err.startswith("autocodec: Revoked: executor ")
    assert err.rstrip().endswith("(the delegation was revoked; ask its issuer for a new one)")


def _post(url: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url + "/ipvm/invoke", data=body,
                                     headers={"Content-Type": "application/vnd.ipld.dag-cbor"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_refusals_over_http_are_typed_bodies_and_a_replay_is_answered_from_the_cache(nodes: Nodes) -> None:
    """``POST /ipvm/invoke`` as docs/invocations.md describes it: a UCAN refusal is 403 with
    ``{"error", "message", "hint"}``; a replayed invocation (same nonce) is not refused but answered
    from the memo cache (``X-Ipvm-Cached: 1``, the same receipt)."""
    from autocodec.ipvm import Invocation, resolve_module
    from autocodec.ipvm._remote import COMMAND, encode_container, task_args
    from autocodec.registry import Runtime
    from autocodec.verify import KeyRing
    from autocodec.verify.ucan import delegate, invoke, parse_token

    key = KeyRing(nodes.b / "keys").load("me")
    top = parse_token(nodes.proof.read_bytes())
    with Runtime(nodes.b) as runtime:
        task = Invocation(resolve_module(runtime, "ipld-select"), "select", [{"a": 4}, "a"])
    now = int(time.time())

    def send(command: str, proofs: list[Any], args: dict[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:
        token = invoke(key, top.sub, command, args or task_args(task), now=now, proofs=proofs, audience=top.sub)
        return _post(nodes.url, encode_container([token, *proofs]))

    token = invoke(key, top.sub, COMMAND, task_args(task), now=now, proofs=[top], audience=top.sub)
    first, again = (_post(nodes.url, encode_container([token, top])) for _ in range(2))
    assert (first[0], first[1]["X-Ipvm-Cached"], again[0], again[1]["X-Ipvm-Cached"]) == (200, "0", 200, "1")
    assert first[2] == again[2] and first[1]["X-Ipvm-Receipt"] == again[1]["X-Ipvm-Receipt"]
    status, _, body = send("/wasm/other", [top])
    assert status == 403 and json.loads(body)["error"] == "InvalidClaim"
    narrow = delegate(key, key.did, "/wasm/run", now=now, proof=top, policy=[["==", ".function", "count"]])
    status, _, body = send(COMMAND, [top, narrow])
    doc = json.loads(body)
    assert status == 403 and doc["error"] == "MatchError" and doc["hint"] and "count" in doc["message"]
    owner = KeyRing(nodes.a / "keys").load("executor")
    old = delegate(owner, key.did, "/wasm/run", now=now - 100, expires_in=10)
    status, _, body = send(COMMAND, [old])
    doc = json.loads(body)
    assert status == 403 and doc["error"] == "Expired" and "expired at" in doc["message"]
    assert doc["hint"] == "ask for a fresh delegation or invocation"


def test_a_chain_rooted_at_another_executor_is_refused_saying_where_to_send_it(nodes: Nodes) -> None:
    """B invokes A with a delegation from B's own executor (a chain about B): refused, and the hint
    said 'every delegation in the chain must be about the invocation's subject', which the chain
    is; now it says to send the job to the executor the chain is rooted at, or to get a delegation
    from this one."""
    run_cli(nodes.b, "run", "ipld-select", "select", "--arg", "1", "--arg", '""')  # makes B's executor key
    me = run_cli(nodes.b, "key", "show", "me").stdout.decode().strip()
    proof = nodes.tmp / "from-b.ucan"
    run_cli(nodes.b, "ucan", "delegate", "--key", "executor", "--to", me, "--cmd", "/wasm/run", "-o", str(proof))
    proc = run_cli(nodes.b, "run", "--remote", nodes.url, "--key", "me", "--proof", str(proof),
                   "ipld-select", "select", "--arg", "1", "--arg", '""', check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.count("\n") == 1 and err.startswith("autocodec: InvalidSubject: executor ")
    assert err.rstrip().endswith("(send the job to the executor its delegation chain is rooted at, or get a "
                                 "delegation issued by this executor)")
