"""UnixFS audit beside Kubo 0.43.1 (s11): what a hostile DAG author can put in a UnixFS node and
how each side reads it.

- The UnixFS ``Data`` message is read as protobuf-go reads it for Kubo: a field of a number it
  does not know, or of a known number in another wire type (groups too, nested), is skipped, in
  the message and in its mtime; wire types 6 and 7, a stray or mismatched end of group, an
  unterminated group and field numbers past 2^29-1 are refused. Here every such field was
  refused (``unexpected field``), so ``cat``, ``ls`` and ``get`` failed where Kubo reads the node.
- An mtime given twice is merged, as protobuf merges a message field (HEAD read the last alone,
  so seconds then nanoseconds was refused). An mtime whose nanoseconds are given but not 1 to
  999,999,999 (explicit 0 included) is no mtime, as boxo's ``ModTime`` reads it (``get`` writes
  the time of the call); here 10^9 and more was refused and an explicit 0 kept the seconds.
- A name is looked up in a HAMT shard as go-unixfsnode looks it up: its slot must be set in the
  bitfield and the link is the one at the count of set bits below the slot; here the first link
  whose name started with the slot's digits was taken, so a lying bitfield, links out of order
  or lower-case digits resolved differently from Kubo.

- ``add`` of a named pipe given as the path itself reads it to its end as a file, without mode
  or mtime (go-ipfs-cmds does so for Kubo 0.43.1; ``ipfs add pipe`` prints the CID of its
  bytes, ``-w`` and ``--preserve-mtime`` alike); it was refused (``not a regular file``). A pipe
  inside an added folder stays refused by both (``unrecognized file type``).

The expected answers below were measured with Kubo 0.43.1 (``ipfs cat`` of the node imported
with ``dag import``); ``test_kubo_reads_them_as_this_package_does`` measures them again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import CID, encode_varint
from autocodec.errors import InvalidBlock, PathNotFound
from autocodec.store import BlockStore
from autocodec.unixfs import AddOptions, _hamt, _pb, add_path, cat, resolve
from tests._kubo import KUBO_BIN, KuboRepo, require_kubo

FILE = _pb.encode(_pb.UnixfsData(_pb.FILE, b"hi", 2))  # a file node's Data: "hi"


def _tag(number: int, wire: int) -> bytes:
    return encode_varint(number << 3 | wire)


# Data bytes -> what Kubo's ipfs cat gives (b"hi", or None: refused)
DATA_CASES: dict[str, tuple[bytes, bytes | None]] = {
    "unknown varint": (FILE + _tag(9, 0) + b"\x01", b"hi"),
    "unknown bytes, first": (_tag(9, 2) + b"\x02zz" + FILE, b"hi"),
    "unknown fixed64": (FILE + _tag(9, 1) + bytes(8), b"hi"),
    "unknown fixed32": (FILE + _tag(9, 5) + bytes(4), b"hi"),
    "unknown group": (FILE + _tag(9, 3) + _tag(9, 0) + b"\x01" + _tag(9, 4), b"hi"),
    "nested groups": (FILE + _tag(9, 3) + _tag(10, 3) + _tag(9, 0) + b"\x01" + _tag(10, 4) + _tag(9, 4), b"hi"),
    "field 2^29-1": (FILE + _tag((1 << 29) - 1, 0) + b"\x01", b"hi"),
    "blocksizes as fixed64": (FILE + _tag(4, 1) + bytes(8), b"hi"),
    "mode as bytes": (FILE + _tag(7, 2) + b"\x01\x07", b"hi"),
    "mtime as varint": (FILE + _tag(8, 0) + b"\x05", b"hi"),
    "mtime with an unknown field": (FILE + _tag(8, 2) + b"\x04\x08\x01\x18\x05", b"hi"),
    "Data as varint": (b"\x08\x02\x10\x01\x18\x00", b""),  # skipped: an empty file
    "mtime in two parts": (FILE + _tag(8, 2) + b"\x02\x08\x01" + _tag(8, 2) + b"\x05\x15\x05\x00\x00\x00", b"hi"),
    "field 2^29": (FILE + _tag(1 << 29, 0) + b"\x01", None),
    "wire type 6": (FILE + _tag(9, 6) + b"\x01", None),
    "field 0": (FILE + b"\x00\x01", None),
    "stray end of group": (FILE + _tag(9, 4), None),
    "mismatched end of group": (FILE + _tag(9, 3) + _tag(10, 4), None),
    "unterminated group": (FILE + _tag(9, 3) + _tag(9, 0) + b"\x01", None),
    "truncated unknown bytes": (FILE + _tag(9, 2) + b"\x05zz", None),
    "Type as bytes": (b"\x0a\x01\x02\x12\x02hi\x18\x02", None),  # then no Type
    "mtime without seconds": (FILE + _tag(8, 2) + b"\x05\x15\x01\x00\x00\x00", None),
}


class Blocks(dict[CID, bytes]):
    def put(self, data: bytes, codec: str) -> CID:
        cid = builtin.cid_for(data, codec)
        self[cid] = data
        return cid

    def node(self, data: bytes, links: list[tuple[str, CID]] = []) -> CID:  # noqa: B006
        body = b"".join(_field(2, _field(1, bytes(c)) + _field(2, n.encode())) for n, c in links)
        return self.put(body + _field(1, data), "dag-pb")


def _field(number: int, body: bytes) -> bytes:
    return _tag(number, 2) + encode_varint(len(body)) + body


def _ours(blocks: Blocks, path: str) -> bytes | None:
    try:
        return b"".join(cat(blocks, resolve(blocks, path)))
    except (InvalidBlock, PathNotFound):
        return None


@pytest.mark.parametrize("case", list(DATA_CASES))
def test_data_fields_kubo_skips_are_skipped_and_the_rest_refused(case: str) -> None:
    data, kubo_cat = DATA_CASES[case]
    blocks = Blocks()
    root = blocks.node(data)
    assert _ours(blocks, str(root)) == kubo_cat


@pytest.mark.parametrize("nanos,mtime", [(None, (1, 0)), (5, (1, 5)), (999_999_999, (1, 999_999_999)),
                                         (0, None), (1_000_000_000, None), (0xFFFFFFFF, None)])
def test_mtime_nanoseconds_outside_1_to_999999999_are_no_mtime(nanos: int | None, mtime: tuple[int, int] | None) -> None:
    """Kubo's get writes the time of the call for these (measured), the seconds otherwise."""
    time = b"\x08\x01" + (b"" if nanos is None else b"\x15" + nanos.to_bytes(4, "little"))
    assert _pb.decode(FILE + _tag(8, 2) + bytes([len(time)]) + time).mtime == mtime


@pytest.mark.parametrize("second,mtime", [(b"\x15\x05\x00\x00\x00", (1, 5)), (b"\x08\x07", (7, 0))])
def test_an_mtime_given_twice_is_merged_as_protobuf_merges_it(second: bytes, mtime: tuple[int, int]) -> None:
    """Kubo's get dates the file 1.000000005 and 7 s (measured); HEAD refused the first."""
    data = FILE + _tag(8, 2) + b"\x02\x08\x01" + _tag(8, 2) + bytes([len(second)]) + second
    assert _pb.decode(data).mtime == mtime


NAMES = ("alpha", "beta", "gamma")


def _slot(name: str) -> int:
    return _hamt.slot_path(name)[0]


def _shard(blocks: Blocks, *, bits: list[int] | None = None, digits: str = "{:02X}", reverse: bool = False,
           names: tuple[str, ...] = NAMES) -> CID:
    """A one-level HAMT (fanout 256) over raw leaves holding each name's bytes."""
    slots = [_slot(n) for n in names] if bits is None else bits
    bitfield = sum(1 << s for s in set(slots))
    links = [(digits.format(_slot(n)) + n, blocks.put(n.encode(), "raw")) for n in sorted(names, key=_slot)]
    data = _pb.encode(_pb.UnixfsData(_pb.HAMT_SHARD, bitfield.to_bytes((bitfield.bit_length() + 7) // 8, "big"),
                                     hash_type=_hamt.MURMUR3_X64_64, fanout=256))
    return blocks.node(data, links[::-1] if reverse else links)


# shard -> what Kubo's ipfs cat SHARD/NAME gives for alpha, beta, gamma (None: refused)
def _hamt_cases() -> dict[str, tuple[Blocks, CID, tuple[bytes | None, ...]]]:
    slots = sorted(NAMES, key=_slot)
    out = {}
    for label, kwargs in {
        "as Kubo writes it": {},
        "lower-case digits": {"digits": "{:02x}"},
        "links out of order": {"reverse": True},
        "a bit under the first slot too": {"bits": [_slot(n) for n in NAMES] + [_slot(slots[0]) - 1]},
        "the last slot's bit missing": {"bits": [_slot(n) for n in slots[:2]]},
        "no bitfield": {"bits": []},
        "a bit past the links": {"bits": [_slot(n) for n in NAMES], "names": tuple(slots[:2])},
    }.items():
        blocks = Blocks()
        out[label] = (blocks, _shard(blocks, **kwargs), ())  # type: ignore[arg-type]
    expected: dict[str, tuple[bytes | None, ...]] = {
        "as Kubo writes it": tuple(n.encode() for n in slots),
        "lower-case digits": tuple(n.encode() for n in slots),
        "links out of order": (None, slots[1].encode(), None),
        "a bit under the first slot too": (None, None, None),
        "the last slot's bit missing": (slots[0].encode(), slots[1].encode(), None),
        "no bitfield": (None, None, None),
        "a bit past the links": (slots[0].encode(), slots[1].encode(), None),
    }
    return {label: (blocks, root, expected[label]) for label, (blocks, root, _) in out.items()}


HAMT_CASES = _hamt_cases()


@pytest.mark.parametrize("case", list(HAMT_CASES))
def test_a_hamt_name_is_found_through_the_bitfield_as_kubo_finds_it(case: str) -> None:
    """The names in slot order; each looked up as go-unixfsnode looks it up (module docstring)."""
    blocks, root, expected = HAMT_CASES[case]
    assert tuple(_ours(blocks, f"{root}/{name}") for name in sorted(NAMES, key=_slot)) == expected


@pytest.mark.slow
@pytest.mark.ipfs
def test_kubo_reads_them_as_this_package_does(tmp_path: Path) -> None:
    """Every case above through Kubo 0.43.1's ``ipfs cat``: the bytes, or a refusal, as here."""
    require_kubo()
    blocks = Blocks()
    paths: dict[str, bytes | None] = {}
    for data, _kubo_cat in DATA_CASES.values():
        root = blocks.node(data)
        paths[str(root)] = _ours(Blocks({root: blocks[root]}), str(root))
    for _blocks, root, _expected in HAMT_CASES.values():
        blocks.update(_blocks)
        for name in NAMES:
            paths[f"{root}/{name}"] = _ours(_blocks, f"{root}/{name}")
    with KuboRepo.create(tmp_path / "kubo") as kubo:
        kubo.import_blocks(blocks)
        assert {path: kubo.cat_or_none(path) for path in paths} == paths


PIPED = b"fifo data\n" * 100
PIPED_CID = "Qmdi67GNWUgf7hEKG1WvGpTfcDzuJWTgG3Lg8aisYGunz7"  # Kubo 0.43.1: ipfs add --only-hash PIPE, fed PIPED


def _feed(pipe: Path, data: bytes) -> threading.Thread:
    def write() -> None:
        with open(pipe, "wb") as out:
            out.write(data)
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _finish(pipe: Path, writer: threading.Thread) -> None:
    """Let the writer end even when nothing opened the pipe (a reader that refused it)."""
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        writer.join(60)
    finally:
        os.close(reader)


@pytest.mark.parametrize("options", [AddOptions(), AddOptions(preserve_mode=True, preserve_mtime=True)],
                         ids=["default", "preserve"])
def test_a_named_pipe_given_by_path_is_added_as_the_file_it_carries(tmp_path: Path, options: AddOptions) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    writer = _feed(pipe, PIPED)
    with BlockStore.open(tmp_path / "home") as store:
        try:
            added = add_path(store, pipe, options)
        finally:
            _finish(pipe, writer)
        assert [(a.path, str(a.cid), a.size) for a in added] == [("pipe", PIPED_CID, len(PIPED))]
        assert b"".join(cat(store, added[-1].cid)) == PIPED


@pytest.mark.slow
@pytest.mark.ipfs
def test_add_of_a_named_pipe_prints_what_kubo_prints(tmp_path: Path) -> None:
    require_kubo()
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    env = {k: v for k, v in os.environ.items() if k != "AUTOCODEC_HOME"}
    ours_cmd = [sys.executable, "-m", "autocodec", "--home", str(tmp_path / "home")]
    with KuboRepo.create(tmp_path / "kubo") as kubo:
        for flags in ([], ["-w"], ["--preserve-mtime", "--cid-version=1"]):
            printed = []
            for cmd, run_env in (([str(KUBO_BIN)], kubo.env()), (ours_cmd, env)):
                writer = _feed(pipe, PIPED)
                proc = subprocess.run([*cmd, "add", *flags, str(pipe)], env=run_env, capture_output=True, timeout=120)
                _finish(pipe, writer)
                printed.append((proc.returncode, proc.stdout))
            assert printed[0] == printed[1], flags
            assert printed[0][0] == 0


class CountingBlocks(Blocks):
    reads = 0

    def get(self, cid: CID) -> bytes:  # type: ignore[override]
        self.reads += 1
        return self[cid]


def _diamond(blocks: Blocks, leaf: bytes, depth: int) -> CID:
    """A file node of two links to one node of two links to ... ``depth`` levels over ``leaf``."""
    node, size = blocks.put(leaf, "raw"), len(leaf)
    for _ in range(depth):
        meta = _pb.UnixfsData(_pb.FILE, b"", 2 * size, (size, size))
        node, size = blocks.node(_pb.encode(meta), [("", node), ("", node)]), 2 * size
    return node


def test_a_diamond_of_empty_nodes_is_read_once_per_level() -> None:
    """2^12 paths to an empty leaf: HEAD read a block per path, 2^13 - 1 reads (Kubo 0.43.1 walks
    every path too: its cat of a 2^16 diamond took as long as ours did, 2.5 s); now one read per
    node and level, so 2^40 paths cost no more."""
    blocks = CountingBlocks()
    root = _diamond(blocks, b"", 12)
    assert b"".join(cat(blocks, root)) == b""
    assert blocks.reads <= 2 * 13


def test_a_diamond_with_bytes_is_still_read_per_path() -> None:
    blocks = CountingBlocks()
    root = _diamond(blocks, b"ab", 6)
    assert b"".join(cat(blocks, root)) == b"ab" * 64
    assert blocks.reads == 2 ** 7 - 1
