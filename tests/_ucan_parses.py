"""For the tests of when a UCAN chain's policies are parsed: the ``parses`` fixture counts the
policies parsed (through the checker every path uses, ``_policy._checked``: instrumentation, not
a stand-in), and ``job`` is the task arguments of one ipld-select call.
"""

from __future__ import annotations

from typing import Any

import pytest

from autocodec.ipvm import Invocation
from autocodec.ipvm._remote import task_args
from autocodec.verify.ucan import _policy
from tests._select_home import SELECT_CID


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the policies parsed (one entry per parse) from here on."""
    seen: list[int] = []
    real = _policy._checked

    def counting(policy: Any) -> Any:
        seen.append(1)
        return real(policy)

    monkeypatch.setattr(_policy, "_checked", counting)
    return seen


def job(n: int = 1) -> dict[str, Any]:
    return task_args(Invocation(SELECT_CID, "select", [{"a": n}, "a"]))
