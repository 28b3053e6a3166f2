"""A server whose child-compile slots are all taken says so as a busy server does: 503, not 502.

``CompileBusy`` (loader/_compile.py, ``SandboxLimits.concurrent_compiles``) is a passing state,
like ``FetchBusy``; the client may retry. Both the JSON routes and ``/ipfs/`` map it the same way.
"""

from __future__ import annotations

import pytest

from autocodec import errors
from autocodec.config import SandboxLimits
from autocodec.loader._compile import compile_slot
from autocodec.serve._app import status_for
from autocodec.serve._gateway_error import status_for_gateway


def _busy() -> errors.CompileBusy:
    limits = SandboxLimits(concurrent_compiles=1, compile_timeout_ms=1)
    with compile_slot(limits), pytest.raises(errors.CompileBusy) as caught, compile_slot(limits):
        pass
    return caught.value


def test_a_busy_compile_is_503_on_every_route() -> None:
    exc = _busy()
    assert isinstance(exc, errors.SandboxError)  # still a sandbox error for library callers
    assert status_for(exc) == 503
    assert status_for_gateway(exc) == 503
    assert status_for(errors.ModuleRejected("bad module")) == 502  # a refused module stays 502
