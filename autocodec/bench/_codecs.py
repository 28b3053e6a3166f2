"""Group 3: Wasm codecs next to the best Python library for the same format.

Each side turns the same native bytes into Python objects a program can use:
- git-raw (git objects from ``fixtures/git``) vs dulwich: ``ShaFile.from_raw_string`` and
  field access into a dict shaped like ours (hashes left as 20 raw bytes; we build CIDs);
- eth-block (``fixtures/eth`` headers, frontier to prague) vs pyrlp: ``rlp.decode`` plus the
  named fields with integers converted (hashes left as bytes; we build CIDs);
- bencode (the fixture torrent plus generated ones) vs fastbencode ``bdecode`` (Rust; keys
  stay bytes, we decode them to str).

Our side is measured one call per block (``Codec.decode``: an instance reset to its initial
state each call) and batched (``Codec.decode_many``: one call per batch), both including the conversion of
the guest's DAG-CBOR output to Python objects by the builtin decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._core import BenchConfig, Figure, Peer, Target, measure_interleaved, peer_call
from ._data import eth_headers, git_objects, module_bytes, repeat_to, torrents

_ETH_FIELDS = ("ParentCID", "UnclesCID", "Coinbase", "StateRootCID", "TxRootCID", "RctRootCID", "Bloom",
               "Difficulty", "Number", "GasLimit", "GasUsed", "Time", "Extra", "MixDigest", "Nonce", "BaseFee",
               "WithdrawalsHash", "BlobGasUsed", "ExcessBlobGas", "ParentBeaconRoot", "RequestsHash")
_ETH_INTS = frozenset({"Difficulty", "Number", "GasLimit", "GasUsed", "Time", "BaseFee", "BlobGasUsed",
                       "ExcessBlobGas"})


def _text(value: bytes | None) -> str | bytes | None:
    """Text when it is UTF-8, else the bytes (as git-raw does for legacy encodings)."""
    if value is None:
        return None
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value


def _sha(hexsha: bytes | None) -> bytes | None:
    return bytes.fromhex(hexsha.decode()) if hexsha is not None else None


def _person(line: bytes | None, when: int | None, tz: int | None) -> dict[str, Any] | None:
    if line is None:
        return None
    name, _, email = line.rpartition(b" <")
    tz = tz or 0
    sign = "-" if tz < 0 else "+"
    hours, minutes = divmod(abs(tz) // 60, 60)
    return {"name": _text(name), "email": _text(email.rstrip(b">")), "date": str(when),
            "timezone": f"{sign}{hours:02d}{minutes:02d}"}


def _dulwich_decoder(objects_mod: Any) -> Callable[[int, bytes], Any]:
    from_raw = objects_mod.ShaFile.from_raw_string

    def convert(type_num: int, raw: bytes) -> Any:
        obj = from_raw(type_num, raw[raw.index(b"\0") + 1 :])
        if type_num == 1:
            return {"tree": _sha(obj.tree), "parents": [_sha(p) for p in obj.parents],
                    "author": _person(obj.author, obj.author_time, obj.author_timezone),
                    "committer": _person(obj.committer, obj.commit_time, obj.commit_timezone),
                    "message": _text(obj.message), "signature": obj.gpgsig, "mergetag": list(obj.mergetag)}
        if type_num == 2:
            return [{"hash": _sha(sha), "mode": f"{mode:06o}", "name": _text(name)}
                    for name, mode, sha in obj.iteritems()]
        if type_num == 4:
            kind, sha = obj.object
            return {"object": _sha(sha), "type": _text(kind.type_name), "tag": _text(obj.name),
                    "tagger": _person(obj.tagger, obj.tag_time, obj.tag_timezone), "message": _text(obj.message)}
        return obj.data

    return convert


def _rlp_header(rlp: Any, data: bytes) -> dict[str, Any]:
    items = rlp.decode(data)
    return {name: (int.from_bytes(value, "big") if name in _ETH_INTS else value)
            for name, value in zip(_ETH_FIELDS, items, strict=False)}  # older forks have fewer fields


def _codec_figures(name: str, fmt: str, codec: Any, blocks: list[bytes], config: BenchConfig,
                   peer: Peer | None,
                   batched_target: Target | None, single_target: Target | None = None) -> list[Figure]:
    single = Figure(f"codec.{name}.single", "codecs", f"{fmt} decode, 1 per call",
                    ours_label=f"wasm {name}", target=single_target)
    batch = Figure(f"codec.{name}.batched", "codecs", f"{fmt} decode, batched",
                   ours_label=f"wasm {name}", target=batched_target)
    distinct = list(dict.fromkeys(blocks))
    calls = {"\0single": (lambda: [codec.decode(b) for b in distinct], len(distinct)),
             "\0batched": (lambda: codec.decode_many(blocks), len(blocks))}
    fn = peer_call(batch, peer, config) if peer else None
    if peer and fn:
        calls[peer.name] = (fn, len(blocks))
    times = measure_interleaved(calls, config)
    single.ours = times.pop("\0single")
    batch.ours = times.pop("\0batched")
    batch.peers.update(times)
    single.peers, single.missing = dict(batch.peers), dict(batch.missing)
    return [single, batch]


def run(config: BenchConfig) -> list[Figure]:
    from ..loader import Sandbox

    sandbox = Sandbox()
    figures: list[Figure] = []

    objs = repeat_to(git_objects(), config.batch_items)
    git = sandbox.load(module_bytes("git-raw")).codec()

    def dulwich(mod: Any) -> Callable[[], object]:
        convert = _dulwich_decoder(mod)
        return lambda: [convert(t, raw) for t, raw in objs]

    figures += _codec_figures("git-raw", "git", git, [raw for _, raw in objs], config,
                              Peer("dulwich", "dulwich.objects", dulwich),
                              Target("dulwich", 1.0, "<= dulwich (batched)"),
                              Target("dulwich", 1.5, "<= 1.5x dulwich (1 per call)"))

    headers = repeat_to(eth_headers(), config.batch_items)
    eth = sandbox.load(module_bytes("eth-block")).codec()
    figures += _codec_figures("eth-block", "eth header", eth, headers, config,
                              Peer("pyrlp", "rlp", lambda m: lambda: [_rlp_header(m, h) for h in headers]),
                              Target("pyrlp", 1.0, "<= pyrlp (batched)"),
                              Target("pyrlp", 1.5, "<= 1.5x pyrlp (1 per call)"))

    tors = torrents(config.batch_items)
    bencode = sandbox.load(module_bytes("bencode")).codec()
    figures += _codec_figures("bencode", "bencode", bencode, tors, config,
                              Peer("fastbencode", "fastbencode", lambda m: lambda: [m.bdecode(t) for t in tors]), None,
                              Target("fastbencode", 3.0, "<= 3x fastbencode (1 per call)"))
    for fig in figures:
        fig.note = ("one call per block (a reset instance, issue 19)" if fig.id.endswith("single")
                    else "one call per batch")
    return figures
