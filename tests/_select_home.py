"""A home that trusts the ipld-select module, for the IPVM tests: ``SELECT`` (its bytes),
``SELECT_CID`` and the ``rt`` fixture (a Runtime on the test's home holding and trusting it,
without the default set). Import ``rt`` into a test module to use it there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autocodec.registry import Runtime
from autocodec.verify import module_cid
from tests.conftest import WASM_SRC

SELECT = (WASM_SRC / "ipld-select" / "ipld-select.wasm").read_bytes()
SELECT_CID = module_cid(SELECT)


@pytest.fixture
def rt(home: Path) -> Any:
    with Runtime(home, default_set=False) as runtime:
        runtime.store.put(SELECT_CID, SELECT)
        runtime.trust.allow(str(SELECT_CID))
        yield runtime
