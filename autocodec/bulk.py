"""Bulk work over every core (issue 19): many decodes, links or digests spread over forked
worker processes, results exactly the serial ones, in order. See ``autocodec.loader._pool``
for the invariants and docs/performance.md for when it pays (results that are small to
send back: digests, links, verdicts; decoded values must be rebuilt in this process).

    from autocodec.bulk import decode_many, digest_many, links_many, workers_for
    values = decode_many(codec, blocks)            # workers_for(len(blocks), bytes) processes
    digests = digest_many(hasher, inputs, workers=2)
"""

from __future__ import annotations

from .loader._pool import MIN_BYTES, MIN_ITEMS, cores, decode_many, digest_many, links_many, run_bulk, workers_for

__all__ = ["decode_many", "digest_many", "links_many", "run_bulk", "workers_for", "cores", "MIN_ITEMS", "MIN_BYTES"]
