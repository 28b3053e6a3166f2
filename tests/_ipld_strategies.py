"""Hypothesis strategies for data-model values: ``values`` (any IPLD value: null, booleans,
integers across the 65-bit range, finite floats, text, bytes, CIDv1 and CIDv0 links, nested
lists and maps) and ``plain_values`` (what plain JSON and CBOR hold: no bytes, no links).
"""

from __future__ import annotations

from hypothesis import strategies as st

from autocodec import CID
from autocodec.builtin import cid_for

links = st.builds(
    lambda data, codec, hash_name: cid_for(data, codec, hash_name),
    st.binary(max_size=64),
    st.sampled_from(["raw", "dag-cbor", "dag-pb", "dag-json", 0x78, 0x90]),
    st.sampled_from(["sha2-256", "sha2-512", "blake2b-256", "sha3-224", "identity", "blake2s-8"]),
) | st.builds(lambda d: cid_for(d, "dag-pb").to_v1(), st.binary())
v0_links = st.binary(max_size=16).map(lambda d: CID(bytes(cid_for(d, "dag-pb").multihash)))

ints = st.integers(min_value=-(1 << 64), max_value=(1 << 64) - 1)
floats = st.floats(allow_nan=False, allow_infinity=False)
keys = st.text(max_size=12).filter(lambda k: k != "/")
scalars = st.none() | st.booleans() | ints | floats | st.text(max_size=40) | st.binary(max_size=40) | links | v0_links
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=60,
)
plain_values = st.recursive(
    st.none() | st.booleans() | ints | floats | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=40,
)
