"""The references of DAG nodes, as Kubo's ``ipfs refs`` walks them (its ``RefWriter``).

Invariants:
- A node's references are its links in the order its codec lists them (``links_of``: DAG-PB's
  in link order with their names, any other codec's in document order, named "").
- The walk is Kubo's, depth first: for each link of a node at depth ``d`` the link's node is
  at ``d + 1``; it is reported unless ``unique`` and already reported; it is walked further
  unless ``max_depth`` (>= 0) is reached, or ``unique`` and it was walked from a depth no deeper.
  With ``unique`` what was seen is kept across all the roots of one call, as Kubo keeps it.
- Every reported node's block is read first (a missing block fails there, as in Kubo); the walk
  is iterative, so no DAG is too deep for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ..cid import CID

LinksOf = Callable[[CID, bytes], Sequence[tuple[CID, str]]]


@dataclass
class RefWalk:
    """One ``refs`` call: ``get`` reads a verified block, ``links_of`` lists a block's links."""

    get: Callable[[CID], bytes]
    links_of: LinksOf
    unique: bool = False
    max_depth: int = -1
    _seen: dict[bytes, int] = field(default_factory=dict)

    def _visit(self, cid: CID, depth: int) -> tuple[bool, bool]:
        """(walk deeper, report) for ``cid`` met at ``depth`` (Kubo's ``RefWriter.visit``)."""
        limited = self.max_depth >= 0
        if limited and depth > self.max_depth:
            return False, False
        at_max = limited and depth == self.max_depth
        if not self.unique:
            return not at_max, True
        key = bytes(cid)
        before = self._seen.get(key)
        if before is not None and (not limited or before <= depth):
            return False, False
        self._seen[key] = depth
        return not at_max, before is None

    def refs(self, roots: Iterable[CID]) -> Iterator[tuple[CID, CID, str]]:
        """``(source, target, link name)`` of every reference reported, in Kubo's order."""
        for root in roots:
            stack = [(root, iter(self.links_of(root, self.get(root))), 0)]
            while stack:
                node, links, depth = stack[-1]
                step = next(links, None)
                if step is None:
                    stack.pop()
                    continue
                target, name = step
                deeper, report = self._visit(target, depth + 1)
                if not deeper and not report:
                    continue
                data = self.get(target)
                if report:
                    yield node, target, name
                if deeper:
                    stack.append((target, iter(self.links_of(target, data)), depth + 1))
