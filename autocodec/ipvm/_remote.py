"""Remote invocations: jobs pushed to another node as UCAN 1.0 ``/wasm/run`` invocations.

Wire format (docs/invocations.md, "Remote invocation"): ``POST /ipvm/invoke`` with a UCAN
container, the DAG-CBOR map ``{"ctn-v1": [token bytes, ...]}`` holding exactly one invocation
and the delegations its ``prf`` names. The invocation's arguments describe the job::

    {"module": <link>, "function": "select", "args": [ARG, ...], "fuel": N, "memory": BYTES}

which is exactly an IPVM ``Invocation`` (``task_of``), so the memo cache keys on the task's
content: the same pure job, asked by anyone with any nonce, runs once per executor. The answer
is the signed receipt block (``application/vnd.ipld.dag-cbor``, header ``X-Ipvm-Receipt``).

Invariants:
- The executor runs a job only after ``validate_invocation`` succeeds with itself as the
  executor, the invocation's subject is the executor's own DID (its compute is the resource),
  the command is covered by ``/wasm/run``, and no delegation in the chain is revoked in the
  executor's home (read per request, so a revocation by any process counts at once).
- Admission is per issuer (``Scheduler``): over a budget is ``RateLimited`` (HTTP 429) at once.
- The client accepts a receipt only if it is signed by the executor it addressed (the chain's
  subject) and ``ran`` is the task it asked for; it stores the receipt and the task locally.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..cid import CID
from ..config import IpvmLimits, RemoteLimits
from ..errors import AutocodecError, InvalidDocument, InvalidInput
from ..verify.ucan import (
    ERRORS,
    InvalidClaim,
    InvalidSubject,
    InvalidToken,
    Token,
    invoke,
    parse_token,
    validate_invocation,
)
from ._invocation import Invocation
from ._receipt import Receipt

COMMAND = "/wasm/run"
CONTAINER_KEY = "ctn-v1"
RECEIPT_HEADER = "X-Ipvm-Receipt"
_ARG_KEYS = {"module", "function", "args", "fuel", "memory"}


def task_args(task: Invocation) -> dict[str, Any]:
    """The UCAN ``args`` describing an IPVM task."""
    return {"module": task.module, "function": task.func, "args": list(task.args), "fuel": task.fuel,
            "memory": task.memory}


def task_of(args: Any, limits: IpvmLimits) -> Invocation:
    """The IPVM task a ``/wasm/run`` invocation's ``args`` describe (limits checked)."""
    if not isinstance(args, dict) or not {"module", "function"} <= set(args) <= _ARG_KEYS:
        raise InvalidDocument("/wasm/run args are {module, function, args?, fuel?, memory?}")
    value = {"rsc": args["module"], "op": "wasm/run",
             "input": {"func": args["function"], "args": args.get("args", [])},
             "meta": {"fuel": args.get("fuel", limits.fuel), "memory": args.get("memory", limits.memory_bytes)},
             "nnc": ""}
    return Invocation.from_value(value, limits)


def encode_container(tokens: list[Token]) -> bytes:
    from ..builtin import encode

    return encode({CONTAINER_KEY: [t.data for t in tokens]}, "dag-cbor")


def decode_container(data: bytes, limits: RemoteLimits) -> tuple[Token, list[Token]]:
    """``(invocation, delegations)`` of a container; ``InvalidToken`` for anything else."""
    from ..builtin import decode

    if len(data) > limits.max_request_bytes:
        raise InvalidToken(f"the UCAN container is {len(data)} bytes, over {limits.max_request_bytes}")
    try:
        value = decode(bytes(data), "dag-cbor")
    except AutocodecError as exc:
        raise InvalidToken(f"the request is not a DAG-CBOR UCAN container: {exc.message}") from None
    items = value.get(CONTAINER_KEY) if isinstance(value, dict) and len(value) == 1 else None
    if not isinstance(items, list) or not all(isinstance(i, bytes) for i in items) or len(items) > 64:
        raise InvalidToken(f"a UCAN container is {{{CONTAINER_KEY!r}: [token bytes, ...]}} (at most 64)")
    tokens = [parse_token(item) for item in items]
    invocations = [t for t in tokens if t.kind == "inv"]
    if len(invocations) != 1:
        raise InvalidToken(f"the container holds {len(invocations)} invocations; exactly one is expected")
    return invocations[0], [t for t in tokens if t.kind == "dlg"]


@dataclass(frozen=True)
class RemoteOutcome:
    """What a remote job gave: the verified receipt and whether the executor had it cached."""

    task: Invocation
    invocation: Token
    receipt_cid: CID
    receipt: Receipt
    cached: bool


class RemoteExecutor:
    """The server side: validates pushed invocations and runs them on a local ``Executor``.

    ``revoked`` and ``scheduler`` are injected (the home's revocation table, per-issuer admission).
    """

    def __init__(self, executor: Any, scheduler: Any, revoked: Any, stream: Any = None) -> None:
        self.executor = executor
        self.scheduler = scheduler
        self.revoked = revoked
        self.stream = stream

    @property
    def did(self) -> str:
        return str(self.executor.key.did)

    def handle(self, container: bytes, *, now: int | None = None) -> tuple[CID, bytes, bool]:
        """Validate and run one pushed job; ``(receipt CID, receipt block, cached)``."""
        invocation, proofs = decode_container(container, self.scheduler.limits)
        now = int(time.time()) if now is None else now
        if invocation.sub != self.did:
            raise InvalidSubject(f"invocation {invocation.cid} is about {invocation.sub}; this executor is {self.did}")
        if invocation.cmd != COMMAND:
            raise InvalidClaim(f"this executor runs {COMMAND}, not {invocation.cmd}")
        validate_invocation(invocation, proofs, now, executor=self.did, revoked=self.revoked)
        task = task_of(invocation.payload["args"], self.executor.limits)
        with self.scheduler.admit(invocation.iss, task.fuel):
            outcome = self.executor.run(task)
        block = self.executor.runtime.store.get(outcome.receipt_cid)
        if self.stream is not None and not outcome.cached:
            self.stream.append(outcome.receipt_cid, outcome.invocation, source="remote", issuer=invocation.iss)
        return outcome.receipt_cid, block, outcome.cached


def run_remote(runtime: Any, url: str, key: Any, task: Invocation, proofs: list[Token], *,
               executor: str | None = None, timeout_s: float = 120.0) -> RemoteOutcome:
    """Push ``task`` to the executor at ``url`` with the delegation chain ``proofs`` (root first).

    The executor's DID is the chain's subject (or ``executor`` for a self-issued job). The
    receipt is verified, then stored with the task in ``runtime``'s store.
    """
    from ..builtin import cid_for
    from ..sources import Deadline, exchange
    from ._cache import ReceiptCache

    subject = executor or (proofs[0].sub if proofs else None)
    if subject is None:
        raise InvalidInput("no delegation names the executor", hint="give the delegation the executor issued")
    now = int(time.time())
    token = invoke(key, subject, COMMAND, task_args(task), now=now, proofs=proofs, audience=subject)
    body = encode_container([token, *proofs])
    answer = exchange("POST", url.rstrip("/") + "/ipvm/invoke", what=f"executor {url}", deadline=Deadline(timeout_s),
                      read_timeout=timeout_s, cap=runtime.limits.decode.max_block_bytes,
                      headers={"Content-Type": "application/vnd.ipld.dag-cbor",
                               "Accept": "application/vnd.ipld.dag-cbor"}, body=body)
    if answer.status != 200:
        raise _remote_error(answer.status, answer.body, url)
    receipt = Receipt.verify_block(answer.body)
    if receipt.issuer != subject:
        raise InvalidClaim(f"the receipt is signed by {receipt.issuer}, not by the executor {subject}")
    if receipt.ran != task.cid:
        raise InvalidDocument(f"the receipt is for {receipt.ran}, not for the task {task.cid}")
    receipt_cid = cid_for(answer.body, "dag-cbor")
    claimed = answer.headers.get(RECEIPT_HEADER.lower())
    if claimed is not None and claimed != str(receipt_cid):
        raise InvalidDocument(f"the executor named receipt {claimed[:80]}, but sent {receipt_cid}")
    task_cid, task_block = task.block()
    runtime.store.put(task_cid, task_block)
    ReceiptCache(runtime.store).put(receipt_cid, answer.body, receipt)
    return RemoteOutcome(task, token, receipt_cid, receipt, answer.headers.get("x-ipvm-cached") == "1")


def _remote_error(status: int, body: bytes, url: str) -> AutocodecError:
    """The typed error an executor's JSON error body names (``{"error", "message", "hint"}``)."""
    import json

    from ..errors import RateLimited, SourceUnavailable

    try:
        doc = json.loads(body)
        name, message = str(doc["error"]), str(doc.get("message", ""))
    except (ValueError, KeyError, TypeError):
        return SourceUnavailable(f"executor {url} answered HTTP {status}", hint="is it an autocodec serve?")
    if status == 429:
        return RateLimited(f"executor {url}: {message}")
    cls = ERRORS.get(name)
    if cls is not None:
        return cls(f"executor {url}: {message}")
    if status == 403:
        from ..errors import NotTrusted

        return NotTrusted(f"executor {url} refused: {name}: {message}")
    return InvalidInput(f"executor {url} refused the job ({status} {name}): {message}")
