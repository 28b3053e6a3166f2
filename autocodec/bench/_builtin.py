"""Group 2: the builtin DAG-CBOR and DAG-JSON decoders next to the Python ecosystem's.

Peers, all decoding the same bytes to Python objects:
- cbrrr ``decode_dag_cbor`` (C, strict, links typed as its own ``CID``): the bar to meet;
- libipld ``decode_dag_cbor`` (Rust; links as plain bytes, so less work per link);
- the pure-Python ``dag-cbor`` package (skipped on the ~1 MB block: seconds per call);
- for DAG-JSON: the ``dag-json`` package and stdlib ``json.loads`` on the same text (json
  does not resolve ``{"/": ...}`` links or bytes, so it is a floor, not a peer).
"""

from __future__ import annotations

from ._core import BenchConfig, Figure, Target, add_peer, measure
from ._data import dag_cbor_blocks, dag_json_nested

_PURE_PYTHON_MAX = 200_000


def _dag_cbor(label: str, data: bytes, config: BenchConfig) -> Figure:
    from ..builtin import decode

    fig = Figure(f"dagcbor.{label}", "dag-cbor", f"DAG-CBOR decode {label} ({len(data):,} B)",
                 ours_label="builtin", bytes_per_op=len(data), target=Target("cbrrr", 1.3, "<= 1.3x cbrrr"))
    fig.ours = measure(lambda: decode(data, "dag-cbor"), config)
    add_peer(fig, "cbrrr", "cbrrr", lambda m: lambda: m.decode_dag_cbor(data), config)
    add_peer(fig, "libipld", "libipld", lambda m: lambda: m.decode_dag_cbor(data), config)
    if len(data) <= _PURE_PYTHON_MAX:
        add_peer(fig, "dag-cbor (py)", "dag_cbor", lambda m: lambda: m.decode(data), config,
                 rounds=min(config.rounds, 5))
    else:
        fig.missing["dag-cbor (py)"] = "skipped (seconds per call)"
    return fig


def run(config: BenchConfig) -> list[Figure]:
    from ..builtin import decode

    figures = [_dag_cbor(label, data, config) for label, data in dag_cbor_blocks(config.small_inputs).items()]

    text = dag_json_nested(config.small_inputs)
    fig = Figure("dagjson.nested", "dag-json", f"DAG-JSON decode nested ({len(text):,} B)",
                 ours_label="builtin", bytes_per_op=len(text),
                 target=Target("dag-json (py)", 0.1, ">= 10x faster than dag-json"))
    fig.ours = measure(lambda: decode(text, "dag-json"), config)
    add_peer(fig, "dag-json (py)", "dag_json", lambda m: lambda: m.decode(text), config, rounds=min(config.rounds, 5))
    add_peer(fig, "stdlib json", "json", lambda m: lambda: m.loads(text), config)
    figures.append(fig)
    return figures
