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
    return figures
