"""The IPFS node of the integration tests is Kubo (``tests/_kubo.py``); this keeps the old names.

js-ipfs 0.66.1 (npm), the earlier test node, was dropped: deprecated since 2023, its gateway
ignores ``?format=raw`` (so it is not a trustless gateway and ``decode --gateway`` failed for every
non-raw block), and Kubo is what users run. A second implementation is only worth its npm install
and CI time when it behaves like one users meet; this one did not.
"""

from __future__ import annotations

from pathlib import Path

from tests._kubo import KuboRepo, kubo_available

available = kubo_available


def new_node(root: Path) -> KuboRepo:
    """A fresh offline Kubo repo under ``root`` (call ``start()`` for its daemon)."""
    return KuboRepo.create(root / "ipfs-repo")
