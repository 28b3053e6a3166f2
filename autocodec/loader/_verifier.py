"""The ``verifier`` kind's adapter over a ``LoadedModule`` (docs/abi.md section 3, verifier).

Invariants:
- One decode or encode stream keeps one guest instance for its whole life and nothing else
  (the guest's stream state lives in its statics); a fresh stream gets a fresh instance.
- No guest call receives more than ``limits.stream_chunk_bytes`` (+ the 4-byte frame head):
  the caller (``autocodec.bao``) sizes its pieces; bigger inputs are refused here.
- Guest output is untrusted: the update head's counts must lie within what was given,
  ``need`` must be 0..3, a reported verified range must lie inside the data taken, and a
  stream never hands out more verified bytes than it took data bytes (content is part of the
  data: an encoding, a slice or the content itself), else ``GuestFault`` (the instance then
  broken); an error status is a ``GuestError``.
- With the optional exports ``ac_vfy_tree``/``ac_vfy_data`` (``DecodeStream.held_tree``), the
  outboard is pushed ahead into the guest and data goes in as it was read (no frame to build);
  with ``ranges`` the guest names the verified bytes as a range of that data (outboard: where
  they are; combined and slice: moved down over the consumed input) and ``Step.verified`` is a
  view of that data (no copy out). Old modules keep the one-frame protocol.
- ``DecodeStream.pull`` reads the next data straight into the guest's input region (no bytes
  object, no copy in) and, with ``ranges``, gives the verified bytes as a view of that region:
  the view is valid only until the stream's next call (the caller writes it out first). It
  goes through ``GuestInstance.prepare_input``/``view``/``finish`` (guest memory is the
  instance's to hand out).
- A stream gets a fresh instance unless the caller hands it one (``instance=``, from
  ``Verifier.instance``) that ran earlier streams *of the same operation* (the tiles of one
  content, one after another on one thread): the guest sees nothing it was not shown by that
  operation, as with one stream over the whole content.
- Chunk groups (``group_log`` > 0, modules with ``ac_vfy_groups``: ``Verifier.max_group_log``):
  leaves of 2^group_log chunks, only the parents above them in the encoding (Iroh's
  bao-tree); the init calls name the group log, nothing else changes.
- A ``SandboxError`` or ``GuestError`` out of a stream's call names its module
  (``AutocodecError.module``), attached only when raised; a decode stream's ``GuestError`` (the
  module refused the encoding, slice or outboard) carries ``REFUSED_HINT``, not the codec hint
  its ``InvalidBlock`` class has.
- Subtree streams (``subtree=``/``first=``, modules with ``ac_vfy_parent``: ``Verifier.joins``)
  encode or verify one subtree of a larger content, without a header, against a non-root
  chaining value; ``Joiner.parent`` gives a parent node's chaining value, so the host joins
  subtrees handled by different instances (threads: each stream's instance is its own).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from ..abi import Status
from ..errors import GuestError, GuestFault, InvalidInput, SandboxError

if TYPE_CHECKING:  # pragma: no cover
    from ..errors import ModuleRef
    from ._instance import GuestInstance
    from ._sandbox import LoadedModule

UNKNOWN_LENGTH = (1 << 64) - 1
"""Encode length (and decode count) meaning "not known in advance" / "to the end"."""

_HEAD = struct.Struct("<IIB")
_U32 = struct.Struct("<I")
_INIT = struct.Struct("<32sBQQ")
_INIT_FLAGS = struct.Struct("<32sBQQB")
_INIT_SUBTREE = struct.Struct("<32sBQQBQQQQ")
_RANGE = struct.Struct("<II")
INIT_RANGES = 1
INIT_SUBTREE = 2
INIT_GROUPS = 4
TREE_HOLD = 256 * 1024
"""Outboard bytes the bao module holds at most (``ac_vfy_tree``)."""
_ENC = struct.Struct("<QB")
_ENC_SUBTREE = struct.Struct("<QBQ")


@dataclass(frozen=True, slots=True)
class Subtree:
    """One subtree of a larger content for a subtree stream: ``length`` content bytes from chunk
    ``first``, whose nodes start at ``tree_at`` (outboard: in the outboard) and ``data_at``
    (the content, or the combined encoding) -- the offsets only name places in messages."""

    first: int
    length: int
    tree_at: int = 0
    data_at: int = 0

MODE_COMBINED, MODE_OUTBOARD, MODE_SLICE, MODE_HASH = 0, 1, 2, 2
NEED_TREE, NEED_DATA, DONE, FAILED = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Step:
    """What one ``DecodeStream.update`` did: bytes taken from each stream, which stream it
    needs next (``NEED_TREE``/``NEED_DATA``), ``DONE``, or ``FAILED`` (a node failed its
    check: ``verified`` holds what was checked before it, ``final`` raises the failure), and
    the newly verified content."""

    tree_used: int
    data_used: int
    need: int
    verified: memoryview


_P = ParamSpec("_P")
_R = TypeVar("_R")


REFUSED_HINT = ("the encoding, slice or outboard does not match the root hash or is malformed: check it "
                "(and the content beside an outboard), and get it again from a source you trust")
"""A decode stream's ``GuestError`` hint: what a verifier refusing its input means (the class's
own hint speaks of a codec's block)."""
PARAMS_HINT = ("the verifier module refused this stream's root, mode, range or chunk groups: check them "
               "against what the module supports")
"""The hint of a ``GuestError`` out of a decode stream's start (its parameters, not its input)."""


def _blame(exc: SandboxError | GuestError, module: ModuleRef, hint: str = REFUSED_HINT) -> None:
    """Name ``module`` on ``exc``; a ``GuestError`` whose status is the ABI's invalid input (the
    verifier refused) gets ``hint`` (out of memory or an internal error keep theirs)."""
    exc.from_module(module)
    if isinstance(exc, GuestError) and exc.code == Status.ERR_INVALID:
        exc.hint = hint


def _named(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """``method`` of a ``DecodeStream``, whose module errors name its module (``LoadedModule.ref``)
    and, refused, say what was refused (``__init__``: the parameters; the rest: the input)."""
    hint = PARAMS_HINT if method.__name__ == "__init__" else REFUSED_HINT

    @wraps(method)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except (SandboxError, GuestError) as exc:
            _blame(exc, args[0]._loaded.ref, hint)  # type: ignore[attr-defined]
            raise
    return call


class DecodeStream:
    """Incremental verification of one encoding against a root hash (one guest instance).
    One thread at a time: a call from a second thread meanwhile is ``InvalidInput``."""

    @_named
    def __init__(self, loaded: LoadedModule, root: bytes, mode: int, start: int, count: int, *,
                 ranges: bool = False, subtree: Subtree | None = None, instance: GuestInstance | None = None,
                 group_log: int = 0) -> None:
        self._loaded = loaded
        if len(root) != 32:
            raise InvalidInput("a Bao root hash is 32 bytes")
        if not (0 <= start < 1 << 64 and 0 <= count < 1 << 64):
            raise InvalidInput("a Bao range's start and count are unsigned 64-bit numbers")
        self._instance: GuestInstance = instance if instance is not None else loaded.instance()
        self._max = loaded.limits.stream_chunk_bytes
        self._taken = 0  # data bytes the guest took (``data_used``, summed over the steps)
        self._given = 0  # verified bytes it handed out: never more than ``_taken``
        self.held_tree = "ac_vfy_data" in loaded.info.exports and "ac_vfy_tree" in loaded.info.exports
        """Whether ``tree``/``data`` are available (else only the one-frame ``update``)."""
        # combined and slice ranges are compacted in the guest's copy of the input: a view of
        # that copy (``pull`` writes into the guest) shows them; outboard ones are in place
        self.ranges = ranges and self.held_tree
        self._mode = mode
        groups = _group_param(loaded, group_log)
        flags = (INIT_RANGES if self.ranges else 0) | (INIT_GROUPS if groups else 0)
        if subtree is not None:
            if "ac_vfy_parent" not in loaded.info.exports:
                raise InvalidInput(f"verifier {loaded.info.name} has no subtree streams (no ac_vfy_parent)")
            self._instance.call("ac_vfy_init", _INIT_SUBTREE.pack(
                bytes(root), mode, start, count, flags | INIT_SUBTREE, subtree.first, subtree.length, subtree.tree_at,
                subtree.data_at) + groups)
        elif flags:
            self._instance.call("ac_vfy_init", _INIT_FLAGS.pack(bytes(root), mode, start, count, flags) + groups)
        else:
            self._instance.call("ac_vfy_init", _INIT.pack(bytes(root), mode, start, count))

    @property
    def max_piece(self) -> int:
        """The most tree + data bytes one ``update`` may carry."""
        return self._max

    @_named
    def update(self, tree: bytes | memoryview, data: bytes | memoryview) -> Step:
        if len(tree) + len(data) > self._max:
            raise InvalidInput(f"one verifier update carries at most {self._max} bytes")
        out = self._instance.call("ac_vfy_update", b"".join((_U32.pack(len(tree)), tree, data)))
        if len(out) < _HEAD.size:
            raise GuestFault("ac_vfy_update returned no 9-byte head")
        tree_used, data_used, need = _HEAD.unpack_from(out)
        if tree_used > len(tree) or data_used > len(data) or need > FAILED:
            raise GuestFault("ac_vfy_update's head is outside what it was given")
        return self._counted(Step(tree_used, data_used, need, memoryview(out)[_HEAD.size:]), "ac_vfy_update")

    @_named
    def tree(self, tree: bytes | memoryview) -> int:
        """Hand outboard bytes to the guest ahead of the data that needs them (at most
        ``TREE_HOLD`` held); returns how many it holds now."""
        if len(tree) > TREE_HOLD:
            raise InvalidInput(f"the verifier holds at most {TREE_HOLD} outboard bytes")
        out = self._instance.call("ac_vfy_tree", tree)
        if len(out) != 4:
            raise GuestFault("ac_vfy_tree returned no 4-byte count")
        held: int = _U32.unpack(out)[0]
        if held > TREE_HOLD:
            raise GuestFault("ac_vfy_tree claims to hold more than it can")
        return held

    @_named
    def data(self, data: bytes | memoryview) -> Step:
        """One step over ``data`` (the outboard from what ``tree`` handed over). With
        ``ranges`` (outboard mode) the verified bytes are a view of ``data`` itself."""
        if len(data) > self._max:
            raise InvalidInput(f"one verifier update carries at most {self._max} bytes")
        if self.ranges and self._mode != MODE_OUTBOARD:
            raise InvalidInput("a combined or slice stream with ranges is read with pull (its bytes move in the guest)")
        return self._step(self._instance.call("ac_vfy_data", data), memoryview(data))

    def _step(self, out: bytes, data: memoryview) -> Step:
        """The checked ``Step`` of ``ac_vfy_data``'s output over ``data``."""
        if len(out) < _HEAD.size:
            raise GuestFault("ac_vfy_data returned no 9-byte head")
        tree_used, data_used, need = _HEAD.unpack_from(out)
        if tree_used > TREE_HOLD or data_used > len(data) or need > FAILED:
            raise GuestFault("ac_vfy_data's head is outside what it was given")
        if not self.ranges:
            return self._counted(Step(tree_used, data_used, need, memoryview(out)[_HEAD.size:]), "ac_vfy_data")
        if len(out) != _HEAD.size + _RANGE.size:
            raise GuestFault("ac_vfy_data returned no verified range")
        at, length = _RANGE.unpack_from(out, _HEAD.size)
        if at + length > data_used:
            raise GuestFault("ac_vfy_data's verified range is outside the data it took")
        return Step(tree_used, data_used, need, data[at:at + length])

    def _counted(self, step: Step, op: str) -> Step:
        """``step`` once its verified bytes are counted against the data taken; ``GuestFault``
        (the instance broken) when the stream would have handed out more than it took."""
        self._taken += step.data_used
        self._given += len(step.verified)
        if self._given > self._taken:
            self._instance.broken = True
            raise GuestFault(f"{op} claims {self._given} verified bytes from {self._taken} data bytes taken: "
                             "a verifier hands out only bytes it was given")
        return step

    @_named
    def pull(self, read_into: Callable[[memoryview], int], size: int, carry: bytes) -> tuple[Step, memoryview, bool]:
        """One ``data`` step over ``carry`` followed by up to ``size - len(carry)`` bytes that
        ``read_into`` (a ``readinto``: bytes read, 0 at the end) puts straight into the guest's
        input. Returns the step, the data it was given (a view valid until the next call, for
        the caller to keep what was not used) and whether the source ended."""
        if size > self._max or len(carry) > size:
            raise InvalidInput(f"one verifier update carries at most {self._max} bytes")
        inst = self._instance
        ptr = inst.prepare_input(size)
        region = inst.view(ptr, size, self)  # keeps this stream (its instance, memory) alive
        region[:len(carry)] = carry
        got, ended = fill_from(read_into, region[len(carry):])
        n = len(carry) + got
        del region  # the call may move the memory: view it anew after
        out = inst.finish("ac_vfy_data", ptr, n)
        region = inst.view(ptr, n, self)
        return self._step(out, region), region, ended

    @property
    def instance(self) -> GuestInstance:
        """The guest instance this stream runs in (for the caller's next stream of the same
        operation, ``instance=``)."""
        return self._instance

    def region(self, size: int) -> tuple[int, memoryview]:
        """Room for ``size`` data bytes in the guest, to be verified where they are in windows
        (``data_at``): its address and a writable view (valid until the next call). The room
        is the instance's until its next stream; calls of this stream keep it."""
        inst = self._instance
        ptr = inst.prepare_input(size)
        return ptr, inst.view(ptr, size, self)

    def data_at(self, ptr: int, size: int) -> tuple[int, int, int, int, int]:
        """One ``data`` step over the ``size`` (at most ``max_piece``) bytes at ``ptr``, inside
        ``region``: ``(tree_used, data_used, need, verified address, verified length)``. Needs
        ``ranges``. A combined (or slice) stream's verified bytes are moved down to ``ptr``; an outboard
        stream's (its parents held by ``tree`` before ``region`` was taken) are where they are.
        Either way they stay in the guest, untouched by later windows (they start past the
        bytes used), until the instance's next stream; ``view`` shows them."""
        if not self.ranges or size > self._max:
            raise InvalidInput("data_at verifies a stream with ranges, a window of at most max_piece bytes")
        try:  # inline, not ``_named``: the per-window path pays nothing unless it raises
            out = self._instance.call_in_place("ac_vfy_data", ptr, size)
            if len(out) != _HEAD.size + _RANGE.size:
                raise GuestFault("ac_vfy_data returned no verified range")
            tree_used, data_used, need = _HEAD.unpack_from(out)
            at, length = _RANGE.unpack_from(out, _HEAD.size)
            if ((tree_used and self._mode != MODE_OUTBOARD) or tree_used > TREE_HOLD or data_used > size
                    or need > FAILED or at + length > data_used):
                raise GuestFault("ac_vfy_data's head is outside what it was given")
        except (SandboxError, GuestError) as exc:
            _blame(exc, self._loaded.ref)
            raise
        return tree_used, data_used, need, ptr + at, length

    def view(self, ptr: int, size: int) -> memoryview:
        """Guest memory ``[ptr, ptr + size)`` (bytes ``data_at`` verified), valid until the
        instance's next call."""
        return self._instance.view(ptr, size, self)

    @_named
    def final(self) -> None:
        """``GuestError`` unless every node of the encoding (or slice) was verified."""
        self._instance.call("ac_vfy_final")


def max_group_log(loaded: LoadedModule) -> int:
    """The largest chunk group log the module's streams take (0: Bao's 1 KiB leaves only)."""
    if "ac_vfy_groups" not in loaded.info.exports:
        return 0
    try:
        out = loaded.run("ac_vfy_groups", b"")
        if len(out) != 1:
            raise GuestFault("ac_vfy_groups returned no 1-byte group log")
    except (SandboxError, GuestError) as exc:
        exc.from_module(loaded.ref)
        raise
    return out[0]


def _group_param(loaded: LoadedModule, group_log: int) -> bytes:
    """The init calls' trailing group-log byte (empty for Bao's 1 KiB leaves)."""
    if group_log == 0:
        return b""
    most = max_group_log(loaded)
    if not 0 < group_log <= most:
        raise InvalidInput(f"verifier {loaded.info.name} takes chunk groups of 2^0..2^{most} chunks, not 2^{group_log}")
    return bytes([group_log])


def fill_from(read_into: Callable[[memoryview], int], room: memoryview) -> tuple[int, bool]:
    """Fill ``room`` from ``read_into``: ``(bytes read, whether the source ended)``."""
    got = 0
    while got < len(room):
        n = read_into(room[got:])
        if not n:
            return got, True
        got += n
    return got, False


class EncodeStream:
    """Post-order Bao nodes of a content stream (one guest instance); ``final`` gives the rest
    and the 32-byte root hash. One thread at a time (as ``DecodeStream``)."""

    def __init__(self, loaded: LoadedModule, length: int, mode: int, first: int | None = None,
                 instance: GuestInstance | None = None, group_log: int = 0) -> None:
        """With ``first``, the content is the subtree from chunk ``first`` (a multiple of 256) of a
        larger content and ``final`` ends with its chaining value; with ``group_log``, leaves of
        2^group_log chunks (no parents inside them)."""
        if first is not None and "ac_vfy_parent" not in loaded.info.exports:
            raise InvalidInput(f"verifier {loaded.info.name} has no subtree streams (no ac_vfy_parent)")
        groups = _group_param(loaded, group_log)
        self._instance: GuestInstance = instance if instance is not None else loaded.instance()
        self._max = loaded.limits.stream_chunk_bytes
        params = _ENC.pack(length, mode) if first is None else _ENC_SUBTREE.pack(length, mode, first)
        self._instance.call("ac_enc_init", params + groups)

    @property
    def max_piece(self) -> int:
        return self._max

    def update(self, data: bytes | memoryview) -> bytes:
        if len(data) > self._max:
            raise InvalidInput(f"one encoder update carries at most {self._max} bytes")
        return self._instance.call("ac_enc_update", data)

    def pull(self, read_into: Callable[[memoryview], int], size: int) -> tuple[bytes | memoryview, int, bool]:
        """``update`` over up to ``size`` bytes that ``read_into`` puts straight into the
        guest's input: ``(output, bytes read, whether the source ended)``. The output is a view
        of the guest's result (valid until the next call) when the data went in directly."""
        if size > self._max:
            raise InvalidInput(f"one encoder update carries at most {self._max} bytes")
        inst = self._instance
        ptr = inst.prepare_input(size)
        got, ended = fill_from(read_into, inst.view(ptr, size, self))  # the view dies before the call
        if not got:
            return b"", 0, ended
        return inst.finish_view("ac_enc_update", ptr, got, self), got, ended

    def final(self) -> tuple[bytes, bytes]:
        """``(remaining post-order nodes, root hash)`` (a subtree's: its chaining value)."""
        out = self._instance.call("ac_enc_final")
        if len(out) < 32:
            raise GuestFault("ac_enc_final returned no 32-byte root hash")
        return out[:-32], out[-32:]


class Joiner:
    """Chaining values of parent nodes (``ac_vfy_parent``) from one guest instance; one thread
    at a time (as ``DecodeStream``)."""

    def __init__(self, loaded: LoadedModule) -> None:
        self._instance: GuestInstance = loaded.instance()

    def parent(self, node: bytes, *, root: bool) -> bytes:
        """The 32-byte chaining value of a 64-byte parent node (the root hash with ``root``)."""
        if len(node) != 64:
            raise InvalidInput("a Bao parent node is 64 bytes")
        out = self._instance.call("ac_vfy_parent", bytes(node) + (b"\x01" if root else b"\x00"))
        if len(out) != 32:
            raise GuestFault("ac_vfy_parent returned no 32-byte chaining value")
        return out


class Verifier:
    """A verifier module (Bao): streams that verify and streams that encode. Safe to share
    between threads; each stream it makes is one thread's."""

    def __init__(self, loaded: LoadedModule) -> None:
        if loaded.info.kind != "verifier":
            raise InvalidInput(f"module {loaded.info.name} is a {loaded.info.kind}, not a verifier")
        self._loaded = loaded
        self.name = loaded.info.name
        self._max_group_log: int | None = None

    @property
    def joins(self) -> bool:
        """Whether the module has subtree streams and ``joiner`` (encoding and verifying on
        several threads)."""
        return "ac_vfy_parent" in self._loaded.info.exports

    @property
    def max_group_log(self) -> int:
        """The largest chunk group log its streams take (0: 1 KiB leaves only, Bao's format)."""
        if self._max_group_log is None:
            self._max_group_log = max_group_log(self._loaded)
        return self._max_group_log

    def decoder(self, root: bytes, mode: int = MODE_COMBINED, start: int = 0,
                count: int = UNKNOWN_LENGTH, *, ranges: bool = False, subtree: Subtree | None = None,
                instance: GuestInstance | None = None, group_log: int = 0) -> DecodeStream:
        return DecodeStream(self._loaded, root, mode, start, count, ranges=ranges, subtree=subtree, instance=instance,
                            group_log=group_log)

    def encoder(self, length: int = UNKNOWN_LENGTH, mode: int = MODE_COMBINED, *,
                first: int | None = None, instance: GuestInstance | None = None, group_log: int = 0) -> EncodeStream:
        return EncodeStream(self._loaded, length, mode, first, instance, group_log)

    def instance(self) -> GuestInstance:
        """A fresh guest instance for streams of one operation run one after another
        (``instance=``): each stream's ``ac_vfy_init``/``ac_enc_init`` starts it anew, and its
        grown memory is not faulted in again per stream."""
        return self._loaded.instance()

    def joiner(self) -> Joiner:
        if not self.joins:
            raise InvalidInput(f"verifier {self.name} has no ac_vfy_parent")
        return Joiner(self._loaded)
