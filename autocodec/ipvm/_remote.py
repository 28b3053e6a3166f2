"""Remote invocations: jobs pushed to another node as UCAN 1.0 ``/wasm/run`` invocations.

Wire format (docs/invocations.md, "Remote invocation"): ``POST /ipvm/invoke`` with a UCAN
container, the DAG-CBOR map ``{"ctn-v1": [token bytes, ...]}`` holding exactly one invocation
and the delegations its ``prf`` names, and optionally ``"ipvm/blocks": [[CID, bytes], ...]``:
the invocation blocks the job awaits (a pipeline) and the blocks it reads, which the
executor would otherwise have to fetch from its own sources. The invocation's arguments describe the job::

    {"module": <link>, "function": "select", "args": [ARG, ...], "fuel": N, "memory": BYTES}

which is exactly an IPVM ``Invocation`` (``task_of``), so the memo cache keys on the task's
content: the same pure job, asked by anyone with any nonce, runs once per executor. The answer
is the signed receipt block (``application/vnd.ipld.dag-cbor``, header ``X-Ipvm-Receipt``).

Invariants:
- The executor runs a job only after ``validate_invocation`` succeeds with itself as the
  executor, the invocation's subject is the executor's own DID (its compute is the resource),
  the command is covered by ``/wasm/run``, and no delegation in the chain is revoked in the
  executor's home (read per request, so a revocation by any process counts at once).
- Every job the invocation awaits must satisfy the chain's policies as the invoked one does. It
  is read from the shipped blocks or this executor's store, never fetched: nothing a request
  asks for leaves the executor before the request is admitted.
- Nothing a request ships is stored unless the request is admitted: the blocks (at most
  ``IpvmLimits.max_jobs``) are checked against their CIDs in memory, the awaited invocations
  are read from them for the policy check, and only once the chain, every policy and the
  issuer's budget allow the job are the blocks it needs (the invocations it awaits, the
  ``ipvm/block`` blocks its jobs read) written; others are dropped. An awaited invocation is
  then run (or found memoized) by this executor like any job: results are never taken on the
  client's word.
- Admission is per delegate (``Scheduler``, ``budget_holder``): a job is charged to the principal
  this executor delegated to (the chain's first audience other than itself), whoever of its
  re-delegates signed the invocation, so fresh keys cannot multiply a budget. Over a budget is
  ``RateLimited`` (HTTP 429) at once. The fuel charged is the task's and that of every job it
  awaits (transitively).
- The client accepts a receipt only if it is signed by the executor it addressed (the chain's
  subject) and ``ran`` is the task it asked for; it stores the receipt and the task locally. So
  the executor answers with a receipt of its own: one its ``Executor`` found cached from another
  executor it trusts (``trusted_executors``) makes it run the job again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..cid import CID
from ..config import IpvmLimits, RemoteLimits
from ..errors import AutocodecError, InvalidDocument, InvalidInput
from ..verify.ucan import (
    ERRORS,
    EvalBudget,
    InvalidClaim,
    InvalidSubject,
    InvalidToken,
    Token,
    Validated,
    invoke,
    parse_token,
    validate_invocation,
)
from ..verify.ucan._validate import MAX_CHAIN
from ._invocation import Invocation
from ._receipt import Receipt

COMMAND = "/wasm/run"
CONTAINER_KEY = "ctn-v1"
BLOCKS_KEY = "ipvm/blocks"
RECEIPT_HEADER = "X-Ipvm-Receipt"
_ARG_KEYS = {"module", "function", "args", "fuel", "memory"}
MAX_CONTAINER_TOKENS = 2 * MAX_CHAIN + 2
"""The most tokens a container may hold: the largest legitimate one is a delegated revocation
(the invocation, the revoked delegation, its path witness and the ``/ucan/revoke`` chain, each of
at most ``MAX_CHAIN`` delegations); a job needs its invocation and one chain."""


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


def encode_container(tokens: list[Token], blocks: Sequence[tuple[CID, bytes]] = ()) -> bytes:
    from ..builtin import encode

    value: dict[str, Any] = {CONTAINER_KEY: [t.data for t in tokens]}
    if blocks:
        value[BLOCKS_KEY] = [[cid, data] for cid, data in blocks]
    return encode(value, "dag-cbor")


CONTAINER_HINT = (f"send a UCAN container: the DAG-CBOR map {{{CONTAINER_KEY!r}: [the invocation's and its "
                  f"delegations' token bytes]}}, optionally with {BLOCKS_KEY!r}: [[CID, bytes], ...] "
                  "(docs/invocations.md, 'Remote invocation')")


def split_container(data: bytes, limits: RemoteLimits) -> tuple[list[bytes], list[tuple[CID, bytes]]]:
    """``(token bytes, shipped blocks)`` of a request, no token decoded; ``InvalidToken`` for
    anything else. The container's items are byte strings, so this costs about a copy of them."""
    from ..builtin import decode

    if len(data) > limits.max_request_bytes:
        raise InvalidToken(f"the UCAN container is {len(data)} bytes, over {limits.max_request_bytes}",
                           hint=CONTAINER_HINT)
    try:
        value = decode(bytes(data), "dag-cbor")
    except AutocodecError as exc:
        raise InvalidToken(f"the request is not a DAG-CBOR UCAN container: {exc.message}", hint=CONTAINER_HINT) from None
    ok_keys = isinstance(value, dict) and CONTAINER_KEY in value and set(value) <= {CONTAINER_KEY, BLOCKS_KEY}
    items = value.get(CONTAINER_KEY) if ok_keys else None
    if not isinstance(items, list) or not all(isinstance(i, bytes) for i in items) or len(items) > MAX_CONTAINER_TOKENS:
        raise InvalidToken(f"a UCAN container is {{{CONTAINER_KEY!r}: [token bytes, ...]}} (at most "
                           f"{MAX_CONTAINER_TOKENS})",
                           hint=CONTAINER_HINT)
    shipped = value.get(BLOCKS_KEY, [])
    if not isinstance(shipped, list) or not all(
            isinstance(b, list) and len(b) == 2 and isinstance(b[0], CID) and isinstance(b[1], bytes) for b in shipped):
        raise InvalidToken(f"{BLOCKS_KEY!r} must be a list of [CID, bytes] pairs", hint=CONTAINER_HINT)
    return items, [(b[0], b[1]) for b in shipped]


def decode_container(data: bytes, limits: RemoteLimits) -> tuple[Token, list[Token], list[tuple[CID, bytes]]]:
    """``(invocation, delegations, shipped blocks)`` of a request, every token decoded;
    ``InvalidToken`` for anything else. An executor reads requests with ``vouched_container``."""
    items, shipped = split_container(data, limits)
    tokens = [parse_token(item) for item in items]
    invocations = [t for t in tokens if t.kind == "inv"]
    if len(invocations) != 1:
        raise InvalidToken(f"the container holds {len(invocations)} invocations; exactly one is expected",
                           hint=CONTAINER_HINT)
    return invocations[0], [t for t in tokens if t.kind == "dlg"], shipped


def vouched_container(data: bytes, limits: RemoteLimits, executor: str, explain: Callable[[Token, list[Token]], Any],
                      *, command: str, about_executor: bool = True
                      ) -> tuple[Token, list[Token], list[tuple[CID, bytes]]]:
    """``decode_container`` for an executor, which decodes only the tokens vouched for from
    ``executor`` (``_envelope.parse_vouched``: issued by it or by a delegate it reaches, or named by
    CID by such a token), each after its signature verified; the others are never decoded.

    Before any signature, the invocation's heads must name ``command`` (``InvalidClaim``) and,
    with ``about_executor``, ``executor`` as its subject (``InvalidSubject``). When the invocation,
    or a delegation its ``prf`` names, is not vouched for, the request cannot be authorized:
    ``explain(invocation, delegations)`` runs the caller's chain checks on tokens made of the
    heads (``_envelope.stub``) to raise the error they fail with, as if all had been decoded;
    ``InvalidClaim`` when they fail none (or the heads were too many to read)."""
    from ..verify.ucan._envelope import parse_vouched, stub

    items, shipped = split_container(data, limits)
    tokens, envelopes = parse_vouched(items, executor, before=lambda envs: _check_heads(
        envs, executor, command, about_executor))
    at = next(i for i, envelope in enumerate(envelopes) if envelope.kind == "inv")
    invocation = tokens[at]
    held = {token.cid for token in tokens if token is not None}
    if invocation is not None and all(cid in held for cid in invocation.payload["prf"]):
        if about_executor and invocation.sub != executor:
            raise _not_about(invocation.what, invocation.sub, executor)
        return invocation, [token for token in tokens if token is not None and token.kind == "dlg"], shipped
    stubs = [token if token is not None else stub(envelope) for token, envelope in zip(tokens, envelopes, strict=True)]
    if all(token is not None for token in stubs):
        whole = [token for token in stubs if token is not None]
        explain(whole[at], [token for token in whole if token.kind == "dlg"])
    raise InvalidClaim(f"invocation {envelopes[at].cid}: the delegations in the request do not lead from this executor "
                       f"({executor}) to its issuer {str(envelopes[at].iss)[:80]}; what was not vouched for was "
                       "not read", hint="send the chain of delegations from this executor to the invoker, root first")


def _check_heads(envelopes: list[Any], executor: str, command: str, about_executor: bool) -> None:
    """The checks on a request's heads before any signature: one invocation, for ``command`` and
    (with ``about_executor``) about ``executor``."""
    invocations = [envelope for envelope in envelopes if envelope.kind == "inv"]
    if len(invocations) != 1:
        raise InvalidToken(f"the container holds {len(invocations)} invocations; exactly one is expected",
                           hint=CONTAINER_HINT)
    head = invocations[0]
    sub, cmd = head.fields.get("sub", executor), head.fields.get("cmd")  # unread (budget): decided after decoding
    if about_executor and sub != executor:
        raise _not_about(f"invocation {head.cid}", sub, executor)
    if cmd != command:
        raise InvalidClaim(f"this executor takes {command} here, not {str(cmd)[:80]}",
                           hint="send jobs to /ipvm/invoke and revocations to /ipvm/revoke")


def _not_about(what: str, subject: Any, executor: str) -> InvalidSubject:
    return InvalidSubject(f"{what} is about {str(subject)[:80]}; this executor is {executor}",
                          hint="send the job to the executor its delegation chain is rooted at, or get a "
                               "delegation issued by this executor")


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

    ``scheduler`` (per-issuer admission), ``revoked`` and ``revocations`` are injected.
    ``revocations`` (the home's ``Revocations``) records delivered revocations, each voiding its
    delegation only in the chains that hold a delegation its revoker issued (ucan-wg/revocation);
    ``revoked`` (or None) is an extra check voiding a delegation in every chain.
    """

    def __init__(self, executor: Any, scheduler: Any, revoked: Any, stream: Any = None,
                 revocations: Any = None) -> None:
        self.executor = executor
        self.scheduler = scheduler
        self.revoked = revoked
        self.stream = stream
        self.revocations = revocations

    @property
    def did(self) -> str:
        return str(self.executor.key.did)

    def handle(self, container: bytes, *, now: int | None = None) -> tuple[CID, bytes, bool]:
        """Validate and run one pushed job; ``(receipt CID, receipt block, cached)``."""
        now = int(time.time()) if now is None else now
        revokers = self.revocations.revokers if self.revocations is not None else None

        def explain(invocation: Token, proofs: list[Token]) -> None:
            validate_invocation(invocation, proofs, now, executor=self.did, revoked=self.revoked, revokers=revokers)

        invocation, proofs, shipped = vouched_container(container, self.scheduler.limits, self.did, explain,
                                                        command=COMMAND)
        budget = EvalBudget()  # one policy budget for the invoked job and every job it awaits
        validated = validate_invocation(invocation, proofs, now, executor=self.did, revoked=self.revoked,
                                        budget=budget, revokers=revokers)
        task = task_of(invocation.payload["args"], self.executor.limits)
        blocks = self._verified(shipped)
        awaited = self._authorize_awaits(validated, task, blocks, budget)
        account = budget_holder(validated.chain, invocation.iss, self.did)
        with self.scheduler.admit(account, task.fuel + sum(job.fuel for job in awaited.values())):
            needed = _needed(task, awaited)
            self.executor.runtime.store.put_many((cid, data) for cid, data in blocks.items() if cid in needed)
            outcome = self.executor.run(task)
            if outcome.receipt.issuer != self.did:  # another executor's, cached: the client takes only ours
                outcome = self.executor.run(task, no_cache=True)
        block = self.executor.runtime.store.get(outcome.receipt_cid)
        if self.stream is not None and not outcome.cached:
            self.stream.append(outcome.receipt_cid, outcome.invocation, source="remote", issuer=invocation.iss)
        return outcome.receipt_cid, block, outcome.cached


    def revoke(self, container: bytes, *, now: int | None = None) -> dict[str, Any]:
        """``accept_revocation``'s answer alone."""
        return self.accept_revocation(container, now=now)[0]

    def accept_revocation(self, container: bytes, *, now: int | None = None,
                          also: Callable[[sqlite3.Connection, bytes], None] | None = None,
                          relayed: bool = False) -> tuple[dict[str, Any], bytes]:
        """Record one delivered ``/ucan/revoke`` invocation in this executor's revocation store;
        ``{"revoked": CID, "revocation": CID, "new": bool}`` (``new`` False: it was already revoked).

        The container holds the revocation and the revoked delegation with its path witness
        (``args.path``, root first), and the ``/ucan/revoke`` delegations its ``prf`` names when it
        acts on delegated authority (then its revoker is that chain's root issuer). Refused unless ``check_revocation`` accepts it with this
        executor as the owner and, for anyone else, the path starts at a delegation this executor
        issued about itself: a chain it never granted is not its to store (ucan-wg/revocation lets an
        executor require the witness against spurious revocations). Also returns the revocation's
        own container: its invocation, the revoked delegation, its path and the authority it names,
        nothing else the request held (what is passed on to peers). ``also(conn, own)`` runs in the
        transaction that records a new revocation (``Revocations.record``): gossip logs it there.
        Its own time bounds are ``check_revocation``'s (``Expired``, ``TooEarly``); ``relayed`` (a
        peer executor recorded it and passes it on: ``ipvm._gossip``) takes it past its own ``exp``.
        """
        from ..verify.ucan import REVOKE_COMMAND, check_revocation, revoker

        now = int(time.time()) if now is None else now

        def chain(invocation: Token, delegations: list[Token]) -> tuple[Token, tuple[Token, ...], list[Token]]:
            """The revoked delegation, its path and the revocation's authority, once this executor may take it."""
            delegation, proofs = _revocation_chain(invocation, delegations)
            authority = [token for token in delegations if token.cid in invocation.payload["prf"]]
            root = proofs[0] if proofs else delegation
            if (revoker(invocation, authority, now=now, relayed=relayed) != self.did
                    and not root.iss == root.sub == self.did):
                raise InvalidSubject(f"delegation {delegation.cid}'s path starts at {root.what}, not at a delegation "
                                     f"this executor ({self.did}) issued", hint=REVOKE_PATH_HINT)
            return delegation, proofs, authority

        def explain(invocation: Token, delegations: list[Token]) -> None:
            delegation, proofs, authority = chain(invocation, delegations)
            check_revocation(invocation, delegation, proofs, owner=self.did, authority=authority, now=now,
                             relayed=relayed)

        invocation, delegations, shipped = vouched_container(container, self.scheduler.limits, self.did, explain,
                                                             command=REVOKE_COMMAND, about_executor=False)
        if shipped:
            raise InvalidToken(f"a revocation ships no {BLOCKS_KEY!r}", hint=REVOKE_CONTAINER_HINT)
        delegation, proofs, authority = chain(invocation, delegations)
        if self.revocations is None:
            raise InvalidClaim("this executor keeps no revocation store")
        own = encode_container([invocation, *{t.cid: t for t in (delegation, *proofs, *authority)}.values()])
        with self.scheduler.admit(invocation.iss, 0):  # the issuer's slots, as for a job
            added = self.revocations.record(invocation, delegation, proofs, owner=self.did, now=now,
                                            authority=authority, relayed=relayed,
                                            also=None if also is None else (lambda conn: also(conn, own)))
        return {"revoked": str(delegation.cid), "revocation": str(invocation.cid), "new": added}, own

    def _verified(self, shipped: list[tuple[CID, bytes]]) -> dict[CID, bytes]:
        """The shipped blocks, each checked against its CID (and the block size limit) as the
        store would, but held in memory: nothing is written for a request not yet admitted."""
        runtime = self.executor.runtime
        if len(shipped) > self.executor.limits.max_jobs:
            raise InvalidInput(f"{len(shipped)} blocks shipped with the job, over limits.ipvm.max_jobs "
                               f"({self.executor.limits.max_jobs})", hint="ship only the blocks the pipeline needs")
        limit = runtime.limits.decode.max_block_bytes
        for cid, data in shipped:
            if len(data) > limit:
                raise InvalidInput(f"block {cid} shipped with the job is {len(data)} bytes, over the {limit}-byte "
                                   "block limit", hint="ship only blocks within the executor's block limit")
            runtime.store.verify(cid, data)  # HashMismatch, UnknownHash: not the block its CID names
        return dict(shipped)

    def _awaited(self, cid: CID, parent: CID, blocks: dict[CID, bytes]) -> Invocation:
        """The awaited invocation ``cid``: from the shipped blocks, else from this executor's
        store. Never fetched: a request not yet admitted makes no network request."""
        from ..errors import BlockNotFound

        data = blocks.get(cid)
        if data is None:
            try:
                data = self.executor.runtime.store.get(cid)
            except BlockNotFound:
                raise InvalidInput(f"{cid}, awaited by invocation {parent}, was neither shipped with the request "
                                   "nor is it stored here",
                                   hint=f"ship every invocation the job awaits in the container's {BLOCKS_KEY!r}") from None
        if cid.codec != 0x71:
            raise InvalidDocument(f"{cid}, awaited by invocation {parent}, is not a dag-cbor block, so not an "
                                  "invocation", hint="an await/ok argument links an invocation block")
        try:
            return Invocation.decode(data, self.executor.limits)
        except InvalidDocument as exc:
            raise InvalidDocument(f"{cid}, awaited by invocation {parent}, is not an invocation: {exc.message}",
                                  hint="an await/ok argument links an invocation block") from None

    def _authorize_awaits(self, validated: Validated, task: Invocation,
                          blocks: dict[CID, bytes], budget: EvalBudget) -> dict[CID, Invocation]:
        """Every job the task awaits (transitively) must be one the chain's policies allow too:
        a pipeline cannot smuggle a job the delegation would refuse. Returns those jobs (read
        from ``blocks`` first, nothing stored): the issuer's budget is charged with their fuel
        beside the task's own (each awaited job may run, so a pipeline's budget is every job's,
        not only the last one's). ``budget`` is the one the invoked job's policies were
        evaluated with: the 1,000,000 statements cover the whole request, and the policies are the
        ones it parsed (each parsed once per request)."""
        from ..verify.ucan import MatchError, failing_statement
        from ..verify.ucan._policy import brief

        limits = self.executor.limits
        policies = list(zip(validated.chain, validated.policies, strict=True))
        found: dict[CID, Invocation] = {}
        todo = [(cid, task.cid) for cid in task.awaits]
        while todo:
            cid, parent = todo.pop()
            if cid in found:
                continue
            if len(found) >= limits.max_jobs:
                raise InvalidInput(f"the job awaits more than {limits.max_jobs} invocations")
            awaited = found[cid] = self._awaited(cid, parent, blocks)
            args = task_args(awaited)
            for token, policy in policies:  # each checked once for the request, not once per job
                failed = failing_statement(policy, args, budget)
                if failed is not None:
                    raise MatchError(f"awaited job {cid} violates delegation {token.cid}'s policy statement "
                                     f"{brief(failed)}")
            todo.extend((dep, cid) for dep in awaited.awaits)
        return found


REVOKE_CONTAINER_HINT = (f"send a UCAN container {{{CONTAINER_KEY!r}: [the /ucan/revoke invocation's, the revoked "
                         "delegation's and its path's token bytes]} (docs/invocations.md, 'Revocation')")
REVOKE_PATH_HINT = ("revoke with the delegations from this executor's own down to the revoked one as the path "
                    "(root first), or ask the executor's owner to revoke it")


def _revocation_chain(invocation: Token, delegations: list[Token]) -> tuple[Token, tuple[Token, ...]]:
    """The revoked delegation and its path witness, as the revocation names them by CID, from the
    container's delegations; ``UnavailableProof`` for one not shipped."""
    from ..verify.ucan import UnavailableProof, revoked_cid
    from ..verify.ucan._revocations import witness_path

    by_cid = {token.cid: token for token in delegations}
    wanted = [revoked_cid(invocation), *witness_path(invocation)]
    missing = [cid for cid in wanted if cid not in by_cid]
    if missing:
        raise UnavailableProof(f"revocation {invocation.cid} names delegation {missing[0]}, which the container "
                               "does not hold", hint="ship the revoked delegation and every delegation of its path")
    return by_cid[wanted[0]], tuple(by_cid[cid] for cid in wanted[1:])


def budget_holder(chain: Sequence[Token], invoker: str, executor: str) -> str:
    """The principal whose admission budget a job is charged to: the first audience of the chain
    other than the executor itself, i.e. the principal this executor granted the authority to.
    Every re-delegation below it shares that budget, so a delegate cannot multiply it by
    delegating on to fresh keys of its own. A job with no delegation (the executor's own key)
    is charged to its invoker."""
    for token in chain:
        if token.aud is not None and token.aud != executor:
            return token.aud
    return invoker


def _needed(task: Invocation, awaited: dict[CID, Invocation]) -> set[CID]:
    """The blocks a pipeline may read: the invocations it awaits and every ``ipvm/block`` argument."""
    from ._invocation import BLOCK, special

    needed = set(awaited)
    for job in (task, *awaited.values()):
        needed.update(form[1] for form in map(special, job.args) if form is not None and form[0] == BLOCK)
    return needed


def shipped_blocks(store: Any, task: Invocation, limits: IpvmLimits) -> list[tuple[CID, bytes]]:
    """The invocation blocks ``task`` awaits (transitively) and the ``ipvm/block`` blocks its jobs
    read, as far as ``store`` has them: what an executor needs to run a pipeline built here."""
    from ._invocation import BLOCK, special

    out: dict[CID, bytes] = {}

    def add_args(args: list[Any]) -> None:
        for arg in args:
            form = special(arg)
            if form is not None and form[0] == BLOCK and isinstance(form[1], CID) and form[1] not in out:
                if store.has(form[1]):
                    out[form[1]] = store.get(form[1])

    add_args(task.args)
    todo = list(task.awaits)
    while todo:
        cid = todo.pop()
        if cid in out:
            continue
        if len(out) >= limits.max_jobs:
            raise InvalidInput(f"the pipeline needs more than {limits.max_jobs} blocks",
                               hint="raise limits.ipvm.max_jobs, or split the pipeline")
        data = store.get(cid)
        out[cid] = data
        awaited = Invocation.decode(data, limits)
        add_args(awaited.args)
        todo.extend(awaited.awaits)
    return list(out.items())


@dataclass(frozen=True)
class LocalSubmitter:
    """What ``load_pipeline`` needs to write a pipeline's invocations into a store without an
    executor key: the runtime (to resolve task names), the limits, and ``submit``."""

    runtime: Any
    limits: IpvmLimits

    def submit(self, invocation: Invocation) -> CID:
        Invocation.from_value(invocation.to_value(), self.limits)
        cid, data = invocation.block()
        self.runtime.store.put(cid, data)
        return cid


def run_remote(runtime: Any, url: str, key: Any, task: Invocation, proofs: list[Token], *,
               executor: str | None = None, timeout_s: float = 120.0) -> RemoteOutcome:
    """Push ``task`` to the executor at ``url`` with the delegation chain ``proofs`` (in any order:
    ``chain_order`` lists them root first).

    The executor's DID is the chain's subject, or ``executor``, or else the one the executor names (``GET
    /ipvm/executor``: a job without delegations, which it refuses unless the key is its own). The
    receipt is verified, then stored with the task in ``runtime``'s store.
    """
    from ..builtin import cid_for
    from ..sources import Deadline, exchange
    from ._cache import ReceiptCache

    proofs = chain_order(proofs, key.did)
    subject = executor or (proofs[0].sub if proofs else None) or executor_did(url, timeout_s)
    now = int(time.time())
    _check_inline_size(task)
    token = invoke(key, subject, COMMAND, task_args(task), now=now, proofs=proofs, audience=subject)
    body = encode_container([token, *proofs], shipped_blocks(runtime.store, task, runtime.limits.ipvm))
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


def send_revocation(url: str, revocation: Token, delegation: Token, proofs: Sequence[Token], *,
                    timeout_s: float = 60.0, authority: Sequence[Token] = ()) -> dict[str, Any]:
    """Deliver ``revocation`` of ``delegation`` (with its path ``proofs``, root first, and the
    ``/ucan/revoke`` delegations its ``prf`` names, ``authority``) to the executor at ``url``
    (``POST /ipvm/revoke``); its JSON answer ``{"revoked", "revocation", "new"}``, or the typed
    error it refused with."""
    import json

    from ..sources import Deadline, exchange

    body = encode_container([revocation, *{t.cid: t for t in (delegation, *proofs, *authority)}.values()])
    answer = exchange("POST", url.rstrip("/") + "/ipvm/revoke", what=f"executor {url}", deadline=Deadline(timeout_s),
                      read_timeout=timeout_s, cap=64 * 1024,
                      headers={"Content-Type": "application/vnd.ipld.dag-cbor", "Accept": "application/json"},
                      body=body)
    if answer.status != 200:
        raise _remote_error(answer.status, answer.body, url)
    try:
        doc = json.loads(answer.body)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("revoked") != str(delegation.cid):
        raise InvalidDocument(f"executor {url} did not confirm the revocation of {delegation.cid}",
                              hint="is it an autocodec serve that takes revocations?")
    return doc


_TOKEN_ROOM = 4096
"""Bytes a ``/wasm/run`` invocation token needs beside its args (DIDs, up to 32 proof CIDs, nonce,
times, signature), kept free below the token cap when checking a job's inline arguments."""


def _check_inline_size(task: Invocation) -> None:
    """``InvalidInput`` when a job's arguments cannot fit in the UCAN invocation that carries them
    (``MAX_TOKEN_BYTES``, which every executor enforces), with the way to send a large input."""
    from ..builtin import encode
    from ..verify.ucan._token import MAX_TOKEN_BYTES

    size = len(encode(task_args(task), "dag-cbor"))
    if size > MAX_TOKEN_BYTES - _TOKEN_ROOM:
        raise InvalidInput(
            f"the job's arguments are {size} bytes encoded, and they travel inside its UCAN invocation, which "
            f"holds at most {MAX_TOKEN_BYTES} bytes",
            hint='store a large input as a block and pass {"ipvm/block": {"/": CID}}: the block is shipped '
                 "beside the invocation")


def chain_order(proofs: Sequence[Token], invoker: str) -> list[Token]:
    """``proofs`` in the order an invocation's ``prf`` lists them (root first), found by walking
    back from ``invoker``: the delegation to it, then the one to that one's issuer, and so on.
    The user gives the delegations in any order; when they are not one such chain (one missing,
    two to the same principal) they are returned as given, for the executor to say what is wrong."""
    left = list(proofs)
    chain: list[Token] = []
    principal = invoker
    while left:
        to_it = [token for token in left if token.aud == principal]
        if len(to_it) != 1:
            return list(proofs)
        chain.append(to_it[0])
        left.remove(to_it[0])
        principal = to_it[0].iss
    return chain[::-1]


def executor_did(url: str, timeout_s: float = 30.0) -> str:
    """The DID an executor at ``url`` signs receipts with (``GET /ipvm/executor``), for a job
    sent without delegations: the executor then decides (``InvalidClaim`` unless the key is its own)."""
    import json

    from ..sources import Deadline, exchange

    answer = exchange("GET", url.rstrip("/") + "/ipvm/executor", what=f"executor {url}", deadline=Deadline(timeout_s),
                      read_timeout=timeout_s, cap=64 * 1024)
    if answer.status != 200:
        raise _remote_error(answer.status, answer.body, url)
    try:
        did = json.loads(answer.body)["did"]
    except (ValueError, KeyError, TypeError):
        did = None
    if not isinstance(did, str) or not did.startswith("did:key:"):
        raise InvalidDocument(f"executor {url} did not name its DID", hint="is it an autocodec serve?")
    return did


_HOST_ERRORS = ("DeadlineExceeded", "NotTrusted", "BlockNotFound", "ModuleRejected", "MemoryLimitExceeded",
                "SandboxError", "InvalidDocument", "InvalidInput", "StoreError")
"""Errors an executor answers a job with that are not UCAN refusals, re-raised as themselves by the
client (each takes ``(message, hint=...)``): what went wrong there keeps its type and its hint."""


def _remote_error(status: int, body: bytes, url: str) -> AutocodecError:
    """The typed error an executor's JSON error body names (``{"error", "message", "hint"}``), with
    the executor's hint when it gave one."""
    import json

    from .. import errors

    try:
        doc = json.loads(body)
        name, message = str(doc["error"]), str(doc.get("message", ""))
        hint = doc.get("hint") if isinstance(doc.get("hint"), str) else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return errors.SourceUnavailable(f"executor {url} answered HTTP {status}", hint="is it an autocodec serve?")
    if status == 429:
        return errors.RateLimited(f"executor {url}: {message}")
    cls: type[AutocodecError] | None = ERRORS.get(name)
    if cls is None and name in _HOST_ERRORS:
        cls = getattr(errors, name)
    if cls is not None:
        return cls(f"executor {url}: {message}", hint=hint)
    if status == 403:
        return errors.NotTrusted(f"executor {url} refused: {name}: {message}")
    return InvalidInput(f"executor {url} refused the job ({status} {name}): {message}")
