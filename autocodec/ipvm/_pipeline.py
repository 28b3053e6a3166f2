"""Pipeline files: several named jobs, some awaiting others, written by hand as JSON.

File (DAG-JSON, so links are ``{"/": "bafy..."}`` and bytes ``{"/": {"bytes": "..."}}``)::

    {"jobs": {
        "doc":  {"module": "bencode-to-dagcbor", "func": "to_dagcbor",
                 "args": [{"ipvm/block": {"/": "bafk..."}}]},
        "info": {"module": "ipld-select", "func": "select", "args": [{"await/ok": "doc"}, "info"]},
        "name": {"module": "ipld-select", "func": "select", "args": [{"await/ok": "info"}, "name"],
                 "fuel": 10000000, "memory": 16777216}},
     "result": "name"}

``module`` is a module CID or the name of a task a pinned set lists (resolved to its CID
now, so the invocations name exact module bytes). ``{"await/ok": "NAME"}`` awaits another
job of the file; ``{"await/ok": {"/": CID}}`` awaits an invocation that already exists.

Invariants:
- Jobs are turned into invocations in dependency order (an invocation embeds the CIDs of
  what it awaits, so a job's CID is known only after its dependencies'); a name awaited
  in a cycle, an unknown name, a job the result does not await (it would never run), or more
  jobs than ``IpvmLimits.max_jobs`` is ``InvalidDocument``.
- The same file always gives the same invocation CIDs (for the same trusted module CIDs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cid import CID
from ..errors import InvalidDocument, InvalidInput
from ._invocation import AWAIT_OK, Invocation, special
from ._modules import resolve_module

_JOB_KEYS = {"module", "func", "args", "fuel", "memory"}


@dataclass(frozen=True)
class Pipeline:
    """The invocations of a pipeline file, by job name, and the job whose result is wanted."""

    invocations: dict[str, CID]
    result: str

    @property
    def target(self) -> CID:
        return self.invocations[self.result]


def load_pipeline(executor: Any, document: Any) -> Pipeline:
    """Turn a decoded pipeline file into stored invocations."""
    if not (callable(getattr(executor, "submit", None)) and hasattr(executor, "limits") and hasattr(executor, "runtime")):
        raise InvalidInput(f"load_pipeline needs an Executor (runtime, limits, submit), not {type(executor).__name__}")
    limits = executor.limits
    if not isinstance(document, dict) or set(document) != {"jobs", "result"}:
        raise InvalidDocument("a pipeline file is a map of jobs and result")
    jobs, result = document["jobs"], document["result"]
    if not isinstance(jobs, dict) or not jobs:
        raise InvalidDocument("pipeline jobs must be a non-empty map of name -> job")
    if len(jobs) > limits.max_jobs:
        raise InvalidDocument(f"the pipeline has {len(jobs)} jobs, over limits.ipvm.max_jobs ({limits.max_jobs})")
    if not isinstance(result, str) or result not in jobs:
        raise InvalidDocument("pipeline result must name one of its jobs")
    for name, job in jobs.items():
        if not isinstance(job, dict) or not {"module", "func"} <= set(job) <= _JOB_KEYS:
            raise InvalidDocument(f"job {name!r} must be a map of module, func and optionally args, fuel, memory")
        if not isinstance(job.get("args", []), list):
            raise InvalidDocument(f"job {name!r}: args must be a list")

    _check_reachable(jobs, result)
    made: dict[str, CID] = {}
    read: dict[str, int] = {}  # job -> its arguments before this index await only jobs made already

    def waiting_on(name: str) -> str | None:
        """The first job ``name`` awaits that is not made yet (None: all are). Each argument is read
        once: the next call starts at the await it returned (made since), so a job of many
        arguments awaiting many jobs costs its arguments plus its awaits, not their product."""
        args = jobs[name].get("args", [])
        for i in range(read.get(name, 0), len(args)):
            form = special(args[i])
            if form is not None and form[0] == AWAIT_OK and isinstance(form[1], str):
                if form[1] not in jobs:
                    raise InvalidDocument(f"job {name!r} argument {i} awaits unknown job {form[1]!r}")
                if form[1] not in made:
                    read[name] = i
                    return form[1]
        read[name] = len(args)
        return None

    def make(name: str) -> CID:
        """The invocation of ``name``, every job it awaits made already."""
        job = jobs[name]
        args: list[Any] = []
        for arg in job.get("args", []):
            form = special(arg)
            if form is not None and form[0] == AWAIT_OK and isinstance(form[1], str):
                arg = {AWAIT_OK: made[form[1]]}
            args.append(arg)
        module = job["module"]
        if not isinstance(module, (str, CID)):
            raise InvalidDocument(f"job {name!r}: module must be a CID or a task name")
        if not isinstance(job["func"], str):
            raise InvalidDocument(f"job {name!r}: func must be text")
        invocation = Invocation(resolve_module(executor.runtime, module), job["func"], args,
                                fuel=job.get("fuel", limits.fuel), memory=job.get("memory", limits.memory_bytes))
        cid: CID = executor.submit(invocation)
        return cid

    for first in sorted(jobs):
        visiting = [first]  # the path of awaits being made, on a stack of its own (not Python's:
        while visiting:     # max_depth may be set past its recursion limit)
            name = visiting[-1]
            if name in made:
                visiting.pop()
                continue
            dep = waiting_on(name)
            if dep is None:
                made[name] = make(name)
                visiting.pop()
            elif dep in visiting:
                cycle = " -> ".join([*visiting[visiting.index(dep):], dep])
                raise InvalidDocument(f"the pipeline's jobs await each other in a cycle: {cycle}")
            elif len(visiting) > limits.max_depth:
                raise InvalidDocument(f"the pipeline's await chain is deeper than {limits.max_depth}")
            else:
                visiting.append(dep)
    return Pipeline(made, result)


def _check_reachable(jobs: dict[str, Any], result: str) -> None:
    """``InvalidDocument`` naming a job that neither is the result nor is awaited by it, directly
    or not: running the pipeline would never run it (a forgotten ``await/ok``, most likely). An
    await of an unknown name is left for ``make`` to report."""
    seen = {result}
    todo = [result]
    while todo:
        for arg in jobs[todo.pop()].get("args", []):
            form = special(arg)
            if form is not None and form[0] == AWAIT_OK and isinstance(form[1], str) and form[1] in jobs \
                    and form[1] not in seen:
                seen.add(form[1])
                todo.append(form[1])
    idle = sorted(name for name in jobs if name not in seen)
    if idle:
        raise InvalidDocument(f"pipeline job {idle[0]!r} is neither the result {result!r} nor awaited by it, so it "
                              f"would never run" + (f" ({len(idle) - 1} more like it)" if len(idle) > 1 else ""),
                              hint=f'await it from the result\'s jobs ({{"await/ok": "{idle[0]}"}}), or remove it')
