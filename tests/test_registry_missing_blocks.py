"""A block a pinned set needs, removed from the store behind the registry's back (the library's
``BlockStore.delete`` does not guard pins; the CLI's ``block rm`` does): the error names the
module and the set and says how to repair, and the repair brings the codec back."""

from __future__ import annotations

from pathlib import Path

import pytest

import autocodec
from autocodec.errors import BlockNotFound

BLOB = b"blob 1\x00x"


def test_a_module_missing_from_the_store_names_its_set_and_the_repair(tmp_path: Path) -> None:
    with autocodec.Runtime(tmp_path / "home") as rt:
        module = rt.resolve("codec", "git-raw").module
        assert module is not None and rt.store.delete(module)
    with autocodec.Runtime(tmp_path / "home") as rt:  # a new process: nothing loaded yet
        with pytest.raises(BlockNotFound) as info:
            autocodec.decode(BLOB, "git-raw", runtime=rt)
        assert "git-raw" in info.value.message and "autocodec-default" in info.value.message
        assert "pin repair" in info.value.hint
        rt.pins.repair()
        assert autocodec.decode(BLOB, "git-raw", runtime=rt) == BLOB  # a blob is its whole object
