"""DAG-PB (0x70): the protobuf form of UnixFS nodes, strictly per the DAG-PB spec.

Spec: ipld.io/specs/codecs/dag-pb/spec. Schema (protobuf field numbers)::

    PBNode { Links: [PBLink] = 2 (repeated, first);  Data: bytes = 1 (optional, last) }
    PBLink { Hash: bytes = 1 (a CID);  Name: string = 2 (optional);  Tsize: uint64 = 3 (optional) }

Invariants:
- Data model: ``{"Links": [{"Hash": CID, "Name"?: str, "Tsize"?: int}, ...], "Data"?: bytes}``;
  ``Links`` is always present on decode (possibly empty), ``Data`` only when the block has it.
- Decode accepts the canonical byte layout and one other: the Links entries as one run before
  or after Data (a node with Data first decodes, as Kubo's go-codec-dagpb and the UnixFS spec's
  "decoders MUST accept both field orderings" have it; Links on both sides of Data is refused),
  at most one Data, inside a link Hash then Name then Tsize each at most once, Hash present and
  a valid CID, the right wire type for every field, minimal varints, Tsize < 2^64, and nothing
  else (unknown fields, groups, fixed-width types, trailing garbage are refused). Failures are
  ``InvalidBlock``. A Data-first block decodes to the value of its canonical (Links-first)
  twin, so re-encoding it gives that twin, not the block.
- A Name is the link's bytes as a ``str``: UTF-8, and any byte that is not part of UTF-8 as a
  surrogate escape (U+DC80-U+DCFF, PEP 383, as ``os.listdir`` gives such file names). Kubo
  stores a file name's bytes as they are (``ipfs add`` of a directory whose names are not
  UTF-8) and reads them back; so does this codec, and encode writes the escaped bytes back, so
  such a node round-trips to its CID. Its DAG-JSON shows each escaped byte as ``\ufffd``, as
  Kubo's ``dag get`` does (``_jsontext``).
- Encode accepts exactly the data model above (no extra keys, no nulls, links sorted by the
  UTF-8 bytes of Name with a missing Name as empty, as the spec requires) and writes the
  canonical layout, so decode(encode(x)) == x. Failures are ``EncodeError``.
- An absent Data, Name or Tsize is absent from the value, as the official IPLD fixtures spell
  it (``dagpb_empty``: ``{"Links":[]}``). Kubo 0.43.1's ``dag get`` shows them as ``null``,
  a view its own ``dag put`` refuses ("AssignNull called on a dagpb.Bytes node"); not copied.
"""

from __future__ import annotations

from typing import Any

from ..cid import CID
from ..config import DecodeLimits
from ..errors import EncodeError, InvalidBlock, InvalidCID
from . import _native

_MAX_U64 = (1 << 64) - 1


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """A minimal protobuf varint (at most 10 bytes, < 2^64) at ``pos``."""
    if pos < end and data[pos] < 0x80:  # one byte: almost every key and length
        return data[pos], pos + 1
    value = shift = 0
    start = pos
    while True:
        if pos >= end:
            raise InvalidBlock("dag-pb: truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if byte == 0 and pos - start > 1:
                raise InvalidBlock("dag-pb: non-minimal varint")
            if value > _MAX_U64:
                raise InvalidBlock("dag-pb: varint over 64 bits")
            return value, pos
        shift += 7
        if pos - start >= 10:
            raise InvalidBlock("dag-pb: varint longer than 10 bytes")


def _field(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(field number, wire type, position after the key)."""
    if pos < end and data[pos] < 0x80:
        key = data[pos]
        return key >> 3, key & 7, pos + 1
    key, pos = _varint(data, pos, end)
    return key >> 3, key & 7, pos


def _length_delimited(data: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    size, pos = _varint(data, pos, end)
    if size > end - pos:
        raise InvalidBlock(f"dag-pb: {what} length {size} runs past the end ({end - pos} bytes left)")
    return pos, pos + size


def _py_link_cid(raw: bytes) -> CID:
    try:
        return CID(raw)
    except InvalidCID as exc:
        raise InvalidBlock(f"dag-pb: link Hash is not a valid CID: {exc.message}") from None


def _c_link_cid(raw: bytes) -> CID:
    try:
        return _native.link(raw)  # type: ignore[misc]  # same structure rules, in C
    except ValueError as exc:
        raise InvalidBlock(f"dag-pb: link Hash is not a valid CID: {exc}") from None


_link_cid = _py_link_cid if _native.link is None else _c_link_cid


def _decode_link(data: bytes, pos: int, end: int) -> dict[str, Any]:
    link: dict[str, Any] = {}
    last = 0
    while pos < end:
        num, wire, pos = _field(data, pos, end)
        if num <= last or num > 3:
            if num in (1, 2, 3):
                raise InvalidBlock(f"dag-pb: link field {num} duplicated or out of order (Hash, Name, Tsize)")
            raise InvalidBlock(f"dag-pb: unknown link field {num}")
        last = num
        if num == 3:
            if wire != 0:
                raise InvalidBlock(f"dag-pb: link Tsize has wire type {wire}, expected 0 (varint)")
            link["Tsize"], pos = _varint(data, pos, end)
            continue
        if wire != 2:
            raise InvalidBlock(f"dag-pb: link field {num} has wire type {wire}, expected 2 (bytes)")
        start, pos = _length_delimited(data, pos, end, "link field")
        if num == 1:
            link["Hash"] = _link_cid(data[start:pos])
        else:
            link["Name"] = data[start:pos].decode("utf-8", "surrogateescape")
    if "Hash" not in link:
        raise InvalidBlock("dag-pb: link without a Hash")
    return {"Hash": link["Hash"], **{k: link[k] for k in ("Name", "Tsize") if k in link}}


_c_decode = _native.pb_decode


def decode(data: bytes, limits: DecodeLimits) -> dict[str, Any]:
    if len(data) > limits.max_block_bytes:
        raise InvalidBlock(f"dag-pb: block of {len(data)} bytes is over max_block_bytes ({limits.max_block_bytes})")
    data = bytes(data)
    if _c_decode is not None:  # the C twin accepts exactly what this decoder accepts, ~30x faster
        try:
            return _c_decode(data)  # type: ignore[no-any-return]
        except ValueError:
            pass  # refused: the Python decoder below says precisely why
    return py_decode(data)


def py_decode(data: bytes) -> dict[str, Any]:
    """The reference decoder (the C twin's rules are these)."""
    end = len(data)
    pos = 0
    links: list[dict[str, Any]] = []
    node: dict[str, Any] = {}
    links_before_data = False  # Data closed a run of Links: another link is a second Links section
    while pos < end:
        num, wire, pos = _field(data, pos, end)
        if num not in (1, 2):
            raise InvalidBlock(f"dag-pb: unknown node field {num}")
        if wire != 2:
            raise InvalidBlock(f"dag-pb: node field {num} has wire type {wire}, expected 2 (bytes)")
        if num == 1 and "Data" in node:
            raise InvalidBlock("dag-pb: duplicate Data section")
        if num == 2 and links_before_data:
            raise InvalidBlock("dag-pb: Links on both sides of Data (duplicate Links section)")
        start, pos = _length_delimited(data, pos, end, "node field")
        if num == 1:
            node["Data"] = data[start:pos]
            links_before_data = bool(links)
        else:
            links.append(_decode_link(data, start, pos))
    node["Links"] = links
    return node


# --- encode -------------------------------------------------------------------------------


def _put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _put_bytes(out: bytearray, key: int, payload: bytes) -> None:
    out.append(key)
    _put_varint(out, len(payload))
    out += payload


def _check_link(link: Any, index: int) -> bytes:
    """Validate one link of the data model; return its Name's bytes (for the sort check)."""
    if type(link) is not dict:
        raise EncodeError(f"dag-pb: Links[{index}] is not a map (bad link)")
    extra = set(link) - {"Hash", "Name", "Tsize"}
    if extra:
        raise EncodeError(f"dag-pb: Links[{index}] has extraneous properties {sorted(map(str, extra))}")
    if "Hash" not in link:
        raise EncodeError(f"dag-pb: Links[{index}] must have a Hash")
    if type(link["Hash"]) is not CID:
        raise EncodeError(f"dag-pb: Links[{index}].Hash must be a CID")
    name = b""
    if "Name" in link:
        if type(link["Name"]) is not str:
            raise EncodeError(f"dag-pb: Links[{index}].Name must be a string")
        try:
            name = link["Name"].encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raise EncodeError(f"dag-pb: Links[{index}].Name has a lone surrogate that is no escaped byte") from None
    if "Tsize" in link:
        tsize = link["Tsize"]
        if type(tsize) is not int:
            raise EncodeError(f"dag-pb: Links[{index}].Tsize must be an integer")
        if not 0 <= tsize <= _MAX_U64:
            raise EncodeError(f"dag-pb: Links[{index}].Tsize must be in [0, 2^64)")
    return name


def sort_links(value: Any) -> Any:
    """``value`` with its ``Links`` in the order the spec requires of an encoded node: by the
    UTF-8 bytes of Name (a missing one as empty), stably, as Kubo's ``dag put`` stores them
    (the codec's ``encode`` refuses unsorted links instead of reordering what it was given).
    Anything that is not a node with a list of links comes back as it is, for ``encode`` to judge."""
    if type(value) is not dict or type(value.get("Links")) is not list:
        return value

    def name(link: Any) -> bytes:
        found = link.get("Name", "") if type(link) is dict else ""
        try:
            return found.encode("utf-8", "surrogateescape") if type(found) is str else b""
        except UnicodeEncodeError:  # a lone surrogate that is no escaped byte: encode refuses it
            return b""

    return {**value, "Links": sorted(value["Links"], key=name)}


def encode(value: Any, limits: DecodeLimits) -> bytes:
    if type(value) is not dict:
        raise EncodeError(f"dag-pb: a node must be a map, not {type(value).__name__}")
    extra = set(value) - {"Data", "Links"}
    if extra:
        raise EncodeError(f"dag-pb: node has extraneous properties {sorted(map(str, extra))}")
    links = value.get("Links")
    if type(links) is not list:
        raise EncodeError("dag-pb: Links must be a list")
    if "Data" in value and type(value["Data"]) is not bytes:
        raise EncodeError("dag-pb: Data must be bytes")
    names = [_check_link(link, i) for i, link in enumerate(links)]
    if any(names[i] > names[i + 1] for i in range(len(names) - 1)):
        raise EncodeError("dag-pb: links must be sorted by the UTF-8 bytes of Name")
    out = bytearray()
    for link, name in zip(links, names):
        body = bytearray()
        _put_bytes(body, 0x0A, bytes(link["Hash"]))
        if "Name" in link:
            _put_bytes(body, 0x12, name)
        if "Tsize" in link:
            body.append(0x18)
            _put_varint(body, link["Tsize"])
        _put_bytes(out, 0x12, bytes(body))
    if "Data" in value:
        _put_bytes(out, 0x0A, value["Data"])
    return bytes(out)


class DagPb:
    name = "dag-pb"
    code = 0x70
    decode = staticmethod(decode)
    encode = staticmethod(encode)
