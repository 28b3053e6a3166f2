"""Bulk work over every core (issue 19): many decodes, links, digests or block checks spread
over a persistent pool of forked worker processes, or over threads where the work runs with the
GIL released (hashlib; extension hashers whose batch frames run in one C call,
``Hasher.batches_off_gil``), results exactly the serial ones, in order. See
``autocodec.loader._pool`` for the pool's invariants, ``autocodec.loader._threads`` for the
threads', ``autocodec.store._verify_many`` for block checks, and docs/performance.md for
when it pays (large jobs whose results are small to send back: digests, links, verdicts;
``decode_many`` runs the guest calls in the workers and converts the output here).

    from autocodec.bulk import decode_many, digest_many, links_many, workers_for
    values = decode_many(codec, blocks)            # workers_for(len(blocks), bytes) processes
    digests = digest_many(hasher, inputs)          # digest_workers(hasher, len(inputs), bytes)
    job = register(fn)                             # fn(list of items) -> one result per item
    results = run_bulk(job, items)                 # reuses the pool across calls
    verifier = BlockVerifier(store.verify, hasher_for)
    verdicts = verifier.check(pairs)               # True: the block hashes to its CID
    with LinksAhead(runtime) as ahead:             # a DAG walk/export with links found in bulk
        autocodec.dag.export_car(runtime, root, out, ahead=ahead)
"""

from __future__ import annotations

from .loader._pool import (
    DIGEST_MIN_AVERAGE,
    MIN_BYTES,
    MIN_ITEMS,
    THREAD_DIGEST_MIN_BYTES,
    cores,
    decode_many,
    digest_many,
    digest_workers,
    links_many,
    prepare,
    register,
    run_bulk,
    shutdown,
    unregister,
    workers_for,
)
from .dag._ahead import LinksAhead
from .store._verify_many import BlockVerifier, put_many_verified, runtime_verifier

__all__ = [
    "decode_many",
    "digest_many",
    "links_many",
    "register",
    "unregister",
    "prepare",
    "run_bulk",
    "shutdown",
    "workers_for",
    "digest_workers",
    "cores",
    "BlockVerifier",
    "LinksAhead",
    "put_many_verified",
    "runtime_verifier",
    "MIN_ITEMS",
    "MIN_BYTES",
    "DIGEST_MIN_AVERAGE",
    "THREAD_DIGEST_MIN_BYTES",
]
