"""Review of the s11 UnixFS audit (7c61174, a8732d7) beside Kubo 0.43.1: where its readers differ.

- Kubo resolves a path (``cat``, ``get``, ``dag get``, the gateway) through go-unixfsnode, whose
  own decoder of the UnixFS ``Data`` refuses a known field in another wire type or given twice
  (go-unixfsnode v1.10.6 ``data/unmarshal.go``); the node is then plain DAG-PB to the resolver,
  its links looked up by their names. Its ``ls`` reads the node with protobuf-go, which skips
  such a field. The audit made every reader skip it, so a HAMT shard with one was walked by
  hash on a path where Kubo looks the name up literally (``cat SHARD/alpha`` gave alpha where
  Kubo says ``no link named "alpha"``; ``cat SHARD/F1alpha`` the reverse). A child shard so
  written is refused by both.
- That decoder skips field numbers 2^29 to 2^31-1 (``protowire.ConsumeFieldValue``), which
  protobuf-go refuses for ``cat``: such a shard is walked by hash on a path (it was plain here).
- go-bitfield refuses a bitfield longer than fanout/8 bytes (``bitfield too small``); here it
  was read.
- protobuf-go parses each part of an mtime given twice alone before merging: a field cut across
  the two parts is refused by Kubo; here the parts were joined first, so it was read.
- ``cat``'s memo of nodes holding no bytes (c663b95) keys on (CID, depth) and is taken only when
  the parent says 0 bytes, after the first read has checked the node: a node that says 0 but
  holds bytes is refused on that first read (as before the memo), never dropped silently.

Expected answers were measured with Kubo 0.43.1 (``ipfs cat`` / ``ipfs ls`` of the nodes imported
with ``dag import``); ``test_kubo_reads_them_as_this_package_does`` measures them again.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import CID
from autocodec.dag import resolve as dag_resolve
from autocodec.errors import InvalidBlock, NotFound
from autocodec.unixfs import _hamt, _pb, cat
from autocodec.unixfs._ls import ls
from tests._kubo import KUBO_BIN, KuboRepo, require_kubo
from tests.test_s11_unixfs_audit import FILE, NAMES, Blocks, _ours, _slot, _tag

SLOTS = sorted(NAMES, key=_slot)
LITERAL = f"{_slot(SLOTS[0]):02X}{SLOTS[0]}"  # the first link's name, looked up as a name


def _shard(blocks: Blocks, extra: bytes = b"", width: int | None = None) -> CID:
    """The audit's one-level HAMT (fanout 256) with ``extra`` after its Data fields; ``width``:
    the bitfield's length in bytes (zero-padded on the left)."""
    bitfield = sum(1 << _slot(n) for n in NAMES)
    size = (bitfield.bit_length() + 7) // 8 if width is None else width
    links = [(f"{_slot(n):02X}{n}", blocks.put(n.encode(), "raw")) for n in SLOTS]
    data = _pb.encode(_pb.UnixfsData(_pb.HAMT_SHARD, bitfield.to_bytes(size, "big"), hash_type=_hamt.MURMUR3_X64_64,
                                     fanout=256)) + extra
    return blocks.node(data, links)


HASHED = (*(n.encode() for n in SLOTS), None)  # alpha.. by hash; the literal link name: no such link
LITERALLY = (None, None, None, SLOTS[0].encode())  # plain DAG-PB: only the literal link name resolves
SHARD_CASES: dict[str, tuple[bytes, int | None, tuple[bytes | None, ...]]] = {
    # extra Data bytes, bitfield width -> ipfs cat of SHARD/<each name in slot order>, SHARD/LITERAL
    "unknown field 9 (read as a shard)": (_tag(9, 0) + b"\x01", None, HASHED),
    "filesize as bytes": (_tag(3, 2) + b"\x01\x07", None, LITERALLY),
    "blocksizes as fixed64": (_tag(4, 1) + bytes(8), None, LITERALLY),
    "mode as bytes": (_tag(7, 2) + b"\x01\x07", None, LITERALLY),
    "mtime as varint": (_tag(8, 0) + b"\x01", None, LITERALLY),
    "hashType as bytes": (_tag(5, 2) + b"\x01\x07", None, LITERALLY),
    "fanout as bytes": (_tag(6, 2) + b"\x01\x07", None, LITERALLY),
    "Data as varint": (_tag(2, 0) + b"\x01", None, LITERALLY),
    "hashType given twice": (_tag(5, 0) + b"\x22", None, LITERALLY),
    "blocksizes packed and unpacked": (_tag(4, 0) + b"\x01" + _tag(4, 2) + b"\x01\x01", None, LITERALLY),
    "mode over 32 bits": (_tag(7, 0) + b"\x80\x80\x80\x80\x10", None, LITERALLY),
    "mtime twice": (_tag(8, 2) + b"\x02\x08\x01" + _tag(8, 2) + b"\x02\x08\x02", None, LITERALLY),
    "field 2^29 (protowire skips it)": (_tag(1 << 29, 0) + b"\x01", None, HASHED),
    "field 2^31-1": (_tag((1 << 31) - 1, 0) + b"\x01", None, HASHED),
    "field 2^31 (no protobuf tag)": (_tag(1 << 31, 0) + b"\x01", None, LITERALLY),
    "bitfield of 32 bytes (leading zeros)": (b"", 32, HASHED),
    "bitfield of 33 bytes": (b"", 33, (None, None, None, None)),
}


def _paths(root: CID) -> list[str]:
    return [*(f"{root}/{name}" for name in SLOTS), f"{root}/{LITERAL}"]


@pytest.mark.parametrize("case", list(SHARD_CASES))
def test_a_path_reads_a_shard_as_go_unixfsnode_reads_it(case: str) -> None:
    """HEAD walked each by hash (8 mistyped/doubled rows, and the 33-byte bitfield, differ)."""
    extra, width, kubo_cat = SHARD_CASES[case]
    blocks = Blocks()
    root = _shard(blocks, extra, width)
    assert tuple(_ours(blocks, path) for path in _paths(root)) == kubo_cat


class DagBlocks(Blocks):
    """``Blocks`` as a ``dag`` path's block source (dag-pb and raw, builtin decoders)."""

    def decode_block(self, cid: CID, data: bytes, *, verified: bool = False) -> object:
        return builtin.decode(data, "dag-pb" if cid.codec == 0x70 else "raw")


def test_dag_paths_read_a_mistyped_shard_by_link_name_too() -> None:
    blocks = DagBlocks()
    root = _shard(blocks, _tag(3, 2) + b"\x01\x07")
    assert dag_resolve(blocks, f"{root}/{LITERAL}").cid == blocks.put(SLOTS[0].encode(), "raw")
    with pytest.raises(NotFound):
        dag_resolve(blocks, f"{root}/{SLOTS[0]}")


def test_ls_still_lists_a_mistyped_shard_as_a_shard() -> None:
    """Kubo's ls reads the node with protobuf-go (measured: alpha, beta, gamma)."""
    blocks = Blocks()
    root = _shard(blocks, _tag(3, 2) + b"\x01\x07")
    assert sorted(entry.name for entry in ls(blocks, root)) == sorted(NAMES)


def _nested(blocks: Blocks, child_extra: bytes) -> CID:
    """A root shard whose slot for alpha holds a child shard holding alpha (Data + ``child_extra``)."""
    name = SLOTS[0]
    first, second = _hamt.slot_path(name)[:2]
    leaf = blocks.put(name.encode(), "raw")
    child_data = _pb.encode(_pb.UnixfsData(_pb.HAMT_SHARD, (1 << second).to_bytes(32, "big").lstrip(b"\0"),
                                           hash_type=_hamt.MURMUR3_X64_64, fanout=256)) + child_extra
    child = blocks.node(child_data, [(f"{second:02X}{name}", leaf)])
    root_data = _pb.encode(_pb.UnixfsData(_pb.HAMT_SHARD, (1 << first).to_bytes(32, "big").lstrip(b"\0"),
                                          hash_type=_hamt.MURMUR3_X64_64, fanout=256))
    return blocks.node(root_data, [(f"{first:02X}", child)])


@pytest.mark.parametrize("child_extra,kubo_cat", [(b"", SLOTS[0].encode()), (_tag(9, 0) + b"\x01", SLOTS[0].encode()),
                                                  (_tag(3, 2) + b"\x01\x07", None)],
                         ids=["as written", "unknown field", "filesize as bytes"])
def test_a_child_shard_go_unixfsnode_cannot_decode_is_refused(child_extra: bytes, kubo_cat: bytes | None) -> None:
    blocks = Blocks()
    assert _ours(blocks, f"{_nested(blocks, child_extra)}/{SLOTS[0]}") == kubo_cat


SPLIT_MTIMES = {  # FILE + two mtime parts -> ipfs cat
    "a fixed32 cut across the parts": (_tag(8, 2) + b"\x05\x08\x01\x15\x05\x00" + _tag(8, 2) + b"\x02\x00\x00", None),
    "a varint cut across the parts": (_tag(8, 2) + b"\x01\x08" + _tag(8, 2) + b"\x01\x01", None),
    "whole parts": (_tag(8, 2) + b"\x02\x08\x01" + _tag(8, 2) + b"\x05\x15\x05\x00\x00\x00", b"hi"),
}


@pytest.mark.parametrize("case", list(SPLIT_MTIMES))
def test_each_part_of_an_mtime_is_parsed_alone_before_the_merge(case: str) -> None:
    """HEAD joined the parts first, so a field cut across them was read (Kubo refuses the node)."""
    extra, kubo_cat = SPLIT_MTIMES[case]
    blocks = Blocks()
    assert _ours(blocks, str(blocks.node(FILE + extra))) == kubo_cat


def test_a_node_said_to_hold_no_bytes_but_holding_some_is_refused_not_dropped() -> None:
    """The (CID, depth) memo skips only a node already read and checked at that depth, so the
    refusal stands (Kubo 0.43.1 prints b"xx": the documented size-check difference, docs/unixfs.md)."""
    blocks = Blocks()
    leaf = blocks.put(b"x", "raw")
    root = blocks.node(_pb.encode(_pb.UnixfsData(_pb.FILE, b"", 0, (0, 0))), [("", leaf), ("", leaf)])
    with pytest.raises(InvalidBlock, match="parent says 0"):
        b"".join(cat(blocks, root))


@pytest.mark.slow
@pytest.mark.ipfs
def test_kubo_reads_them_as_this_package_does(tmp_path: Path) -> None:
    """Every case above through Kubo 0.43.1: ``ipfs cat`` of each path, ``ipfs ls`` of a shard."""
    require_kubo()
    blocks = Blocks()
    expected: dict[str, bytes | None] = {}
    for extra, width, kubo_cat in SHARD_CASES.values():
        expected.update(zip(_paths(_shard(blocks, extra, width)), kubo_cat, strict=True))
    for child_extra in (b"", _tag(9, 0) + b"\x01", _tag(3, 2) + b"\x01\x07"):
        path = f"{_nested(blocks, child_extra)}/{SLOTS[0]}"
        expected[path] = _ours(blocks, path)
    for extra, kubo_cat in SPLIT_MTIMES.values():
        expected[str(blocks.node(FILE + extra))] = kubo_cat
    listed = _shard(blocks, _tag(3, 2) + b"\x01\x07")
    with KuboRepo.create(tmp_path / "kubo") as kubo:
        kubo.import_blocks(blocks)
        assert {path: kubo.cat_or_none(path) for path in expected} == expected
        env = kubo.env()
        names = subprocess.run([str(KUBO_BIN), "ls", str(listed)], env=env, capture_output=True, timeout=60, check=True)
        assert sorted(line.split()[-1] for line in names.stdout.decode().splitlines()) == sorted(NAMES)
