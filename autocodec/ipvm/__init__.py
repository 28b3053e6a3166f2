"""IPVM: run Wasm task functions on IPLD data as content-addressed invocations with signed receipts.

Public API (shapes in docs/invocations.md):

- ``Invocation(module, func, args, fuel=, memory=, issuer=)``: one job; ``.block()`` -> (CID, bytes)
- ``Receipt``: a signed claim of an invocation's result; ``Receipt.verify_block(bytes)``
- ``Executor(runtime, key=None, key_name=None)``: ``submit``, ``run`` (memoized), ``run_all``
  (a pipeline: the DAG awaited from a target), ``verify(receipt_cid, rerun=)``
- ``Outcome``: invocation CID, receipt CID, receipt, whether it came from the cache (``run_all``
  releases each job's receipt from memory once no later job awaits it; it is read back from the store)
- ``load_pipeline(executor, document) -> Pipeline``: a pipeline file's jobs as invocations
- ``ReceiptCache``: the invocation -> receipt index (``rebuild`` from receipt blocks)
- ``executor_key(home, name=None)``: the home's executor signing key (made on first use)

Invariants: only trusted modules run (pinned set or allow-listed CID); a job's own failure
(guest error, fuel, memory, trap) is an error *receipt*, a host condition is an exception;
identical invocations have identical CIDs and, run by the same executor, identical receipts.
"""

from __future__ import annotations

from ._cache import ReceiptCache
from ._executor import Executor, Outcome
from ._invocation import AWAIT_OK, BLOCK, OP, VALUE, Invocation
from ._keys import EXECUTOR_KEY, executor_key
from ._modules import resolve_module, trusted_module
from ._pipeline import Pipeline, load_pipeline
from ._receipt import PAYLOAD_TYPE, TAG, Receipt

__all__ = [
    "AWAIT_OK",
    "BLOCK",
    "EXECUTOR_KEY",
    "OP",
    "PAYLOAD_TYPE",
    "TAG",
    "VALUE",
    "Executor",
    "Invocation",
    "Outcome",
    "Pipeline",
    "Receipt",
    "ReceiptCache",
    "executor_key",
    "load_pipeline",
    "resolve_module",
    "trusted_module",
]
