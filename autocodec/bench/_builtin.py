"""Group 2: the builtin DAG-CBOR and DAG-JSON decoders next to the Python ecosystem's.

Peers, all decoding the same bytes to Python objects:
- cbrrr ``decode_dag_cbor`` (C, strict, links typed as its own ``CID``): the bar to meet;
- libipld ``decode_dag_cbor`` (Rust; links as plain bytes, so less work per link);
- the pure-Python ``dag-cbor`` package (skipped on the ~1 MB block: seconds per call);
- for DAG-JSON: the ``dag-json`` package and stdlib ``json.loads`` on the same text (json
  does not resolve ``{"/": ...}`` links or bytes, so it is a floor, not a peer).
"""

from __future__ import annotations

import json

from ._core import BenchConfig, Figure, Peer, Target, compare
from ._data import dag_cbor_blocks, dag_json_nested

_PURE_PYTHON_MAX = 200_000


def _dag_cbor(label: str, data: bytes, config: BenchConfig) -> Figure:
    from ..builtin import decode

    fig = Figure(f"dagcbor.{label}", "dag-cbor", f"DAG-CBOR decode {label} ({len(data):,} B)",
                 ours_label="builtin", bytes_per_op=len(data), target=Target("cbrrr", 1.3, "<= 1.3x cbrrr"))
    peers = [Peer("cbrrr", "cbrrr", lambda m: lambda: m.decode_dag_cbor(data)),
             Peer("libipld", "libipld", lambda m: lambda: m.decode_dag_cbor(data))]
    if len(data) <= _PURE_PYTHON_MAX:
        peers.append(Peer("dag-cbor (py)", "dag_cbor", lambda m: lambda: m.decode(data), slow=True))
    else:
        fig.missing["dag-cbor (py)"] = "skipped (seconds per call)"
    compare(fig, lambda: decode(data, "dag-cbor"), peers, config)
    return fig


def run(config: BenchConfig) -> list[Figure]:
    from ..builtin import decode

    figures = [_dag_cbor(label, data, config) for label, data in dag_cbor_blocks(config.small_inputs).items()]

    text = dag_json_nested(config.small_inputs)
    fig = Figure("dagjson.nested", "dag-json", f"DAG-JSON decode nested ({len(text):,} B)",
                 ours_label="builtin", bytes_per_op=len(text),
                 target=Target("dag-json (py)", 0.1, ">= 10x faster than dag-json"))
    compare(fig, lambda: decode(text, "dag-json"), [Peer("dag-json (py)", "dag_json", lambda m: lambda: m.decode(text),
                                                         slow=True)],
            config, baselines={"stdlib json": lambda: json.loads(text)})
    figures.append(fig)
    figures.append(_cbor_encode(config))
    return figures


def _cbor_encode(config: BenchConfig) -> Figure:
    """CBOR (0x51) encode of the nested value with its links as text and its map keys in the
    generated (not DAG-CBOR) order: cbrrr's DAG-CBOR encode of it (which sorts keys) is the
    bar; the order-keeping Python writer, what ran before the C one, is a baseline."""
    from ..builtin import _cbor_write, encode
    from ..cid import CID
    from ._data import nested_value

    def text_links(v: object) -> object:
        if type(v) is dict:
            return {k: text_links(x) for k, x in v.items()}
        if type(v) is list:
            return [text_links(x) for x in v]
        return str(v) if isinstance(v, CID) else v

    value = text_links(nested_value(1 if config.small_inputs else 6))
    size = len(encode(value, "cbor"))
    fig = Figure("cbor.encode.nested", "dag-cbor", f"CBOR encode nested, map order kept ({size:,} B)",
                 ours_label="builtin", bytes_per_op=size)
    compare(fig, lambda: encode(value, "cbor"), [Peer("cbrrr", "cbrrr", lambda m: lambda: m.encode_dag_cbor(value))],
            config, baselines={"python writer": lambda: _cbor_write.write(value)})
    return fig
