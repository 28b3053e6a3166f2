"""``GuestInstance.view``: guest memory as a writable view, one ctypes array type per memory size.

A view was an array of a ctypes type made for its very size (``ctypes.c_char * size``), ~20x the
rest of a view for each size not seen before (sizes vary with every piece ``bao fetch`` places).
It is now a slice of an array over the whole memory; callers get what they got: a writable,
contiguous ``B`` view of exactly ``size`` bytes at ``ptr`` that keeps its owner alive.
"""

from __future__ import annotations

import ctypes
import gc
import struct
import weakref

import pytest

from autocodec.errors import GuestFault
from autocodec.loader import Sandbox
from autocodec.loader._instance import GuestInstance
from tests._probe_codec import module

PAGE = 65536


class _Owner:
    """Stands for the stream that keeps an instance in use."""


def _instance(answer: str = "i32.const 7") -> GuestInstance:
    return Sandbox().load(module(answer=answer)).instance()


def test_a_view_is_the_guests_bytes_there_writable_and_of_its_size() -> None:
    inst, owner = _instance(), _Owner()
    assert inst.call("ac_decode", b"x") == b"\x07"  # the probe writes its answer at 32, its result slot at 16
    assert bytes(inst.view(32, 1, owner)) == b"\x07"
    assert bytes(inst.view(16, 8, owner)) == struct.pack("<II", 32, 1)
    _, base = inst._memory()
    for ptr, size in ((0, 0), (100, 1), (4096, 4097), (PAGE - 3, 3), (0, PAGE)):
        view = inst.view(ptr, size, owner)
        assert (len(view), view.nbytes, view.format, view.readonly, view.contiguous) == (size, size, "B", False, True)
        pattern = bytes((ptr + i) * 31 % 256 for i in range(size))
        view[:] = pattern
        assert ctypes.string_at(base + ptr, size) == pattern  # written in place, in the guest's memory
        assert bytes(inst.view(ptr, size, owner)) == pattern


def test_views_of_many_sizes_share_one_array_type() -> None:
    inst, owner = _instance(), _Owner()
    types = {type(inst.view(i, size, owner).obj) for i, size in enumerate(range(1, 300))}
    assert len(types) == 1  # was one type per size


def test_a_view_keeps_its_owner_alive() -> None:
    inst, owner = _instance(), _Owner()
    gone = weakref.ref(owner)
    view = inst.view(64, 10, owner)
    del owner
    gc.collect()
    assert gone() is not None
    del view
    gc.collect()
    assert gone() is None


@pytest.mark.parametrize(("ptr", "size"), [(PAGE - 1, 2), (PAGE, 1), (0, PAGE + 1), (-1, 1), (8, -1)])
def test_a_range_outside_the_memory_is_a_guest_fault(ptr: int, size: int) -> None:
    inst = _instance()
    with pytest.raises(GuestFault, match="outside the module's 65536-byte memory"):
        inst.view(ptr, size, _Owner())
    assert inst.broken


def test_a_view_after_the_memory_grew_sees_the_new_pages() -> None:
    inst, owner = _instance(answer="memory.grow (i32.const 1)"), _Owner()  # each decode grows one page
    assert len(inst.view(0, PAGE, owner)) == PAGE
    assert inst.call("ac_decode", b"x") == b"\x01"  # the old size in pages
    view = inst.view(PAGE, PAGE, owner)
    assert bytes(view) == bytes(PAGE)  # a new page: zeros
    view[-1] = 5
    assert bytes(inst.view(2 * PAGE - 1, 1, owner)) == b"\x05"
    with pytest.raises(GuestFault, match="131072-byte memory"):
        inst.view(2 * PAGE, 1, owner)
