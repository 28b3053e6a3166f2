"""Kubo 0.43.1's gateway and ``autocodec serve`` over the same small trustless-gateway fixtures
(tests/test_s11_trustless_audit.py): a file whose one leaf repeats, a trickle file, a HAMT
directory, a DAG-CBOR node linking a UnixFS directory and a file, and two DAGs with a block
missing mid-DAG (a file's middle leaf; a DAG-CBOR node's raw child), removed from both sides.

Kubo runs ``--offline``, so a missing block is its offline answer, not a wait for the network.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

from tests._gateway_http import GatewaySides

REPEATED = b"R" * 1024 * 3 + b"the tail, a leaf of its own\n"  # 1024-byte chunks: one leaf three times, then the tail
TRICKLE = bytes(range(256)) * 40  # 10 240 bytes in 100-byte chunks, trickle layout


def car_blocks(body: bytes | None) -> list[str]:
    """The CIDs of a CAR body's sections in order (its header's roots first, as ``roots=...``),
    read as far as they parse: a cut CAR lists what it holds."""
    from autocodec.store import CarReader

    if not body:
        return []
    reader = CarReader(io.BytesIO(body))
    out = ["roots=" + ",".join(str(r) for r in reader.roots)]
    try:
        for cid, _data in reader:
            out.append(str(cid))
    except Exception as exc:  # noqa: BLE001 - a cut CAR: what parsed, then why it stopped
        out.append(f"<stopped: {type(exc).__name__}>")
    return out


@contextlib.contextmanager
def built(tmp: Path) -> Iterator[GatewaySides]:
    from tests._cli import run_cli
    from tests._kubo import KuboRepo, require_kubo
    from tests._serve_proc import ServeProcess

    require_kubo()
    kubo = KuboRepo.create(tmp / "kubo")
    kubo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")
    ids: dict[str, str] = {}

    def add(name: str, data: bytes, *flags: str) -> str:
        path = tmp / name
        path.write_bytes(data)
        return str(kubo.ipfs("add", "-Q", "--cid-version=1", *flags, path).stdout.decode().strip())

    ids["repeated"] = add("repeated", REPEATED, "--chunker=size-1024")
    ids["trickle"] = add("trickle", TRICKLE, "--chunker=size-100", "--trickle")
    hamt = tmp / "hamt"
    hamt.mkdir()
    for i in range(60):
        (hamt / f"{i:02d}.txt").write_text(f"{i}\n")
    (hamt / "sub").mkdir()
    (hamt / "sub" / "deep.txt").write_text("deep\n")
    ids["hamt"] = kubo.ipfs("add", "-Q", "-r", "--cid-version=1", hamt).stdout.decode().strip()
    small = tmp / "small"
    (small / "inner").mkdir(parents=True)
    (small / "inner" / "f.txt").write_text("inside the inner folder\n")
    (small / "g.txt").write_text("beside it\n")
    ids["dir"] = kubo.ipfs("add", "-Q", "-r", "--cid-version=1", small).stdout.decode().strip()
    doc = {"a": {"b": [1, 2]}, "dir": {"/": ids["dir"]}, "file": {"/": ids["repeated"]}}
    ids["cbor"] = kubo.ipfs("dag", "put", input=json.dumps(doc).encode()).stdout.decode().strip()
    # missing mid-DAG: a file's second leaf, a DAG-CBOR node's raw child
    ids["holed"] = add("holed", b"".join(bytes([65 + i]) * 1024 for i in range(4)), "--chunker=size-1024", "--pin=false")
    links = json.loads(kubo.ipfs("dag", "get", ids["holed"]).stdout)["Links"]
    ids["hole"] = links[1]["Hash"]["/"]
    ids["child"] = kubo.ipfs("block", "put", "--cid-codec", "raw", input=b"a child that goes missing\n"
                             ).stdout.decode().strip()
    kept = kubo.ipfs("block", "put", "--cid-codec", "raw", input=b"a child that stays\n").stdout.decode().strip()
    ids["kept"] = kept
    ids["cbor_holed"] = kubo.ipfs("dag", "put", "--pin=false", input=json.dumps(
        {"gone": {"/": ids["child"]}, "kept": {"/": kept}}).encode()).stdout.decode().strip()
    home = tmp / "home"
    home.mkdir()
    for name in ("repeated", "trickle", "hamt", "dir", "cbor", "holed", "cbor_holed"):
        car = tmp / f"{name}.car"
        car.write_bytes(kubo.ipfs("dag", "export", ids[name]).stdout)
        run_cli(home, "car", "import", str(car))
    for gone in (ids["hole"], ids["child"]):
        kubo.ipfs("block", "rm", gone)
        run_cli(home, "block", "rm", gone)
    kubo.start()
    try:
        with ServeProcess(home, tmp) as ours:
            yield GatewaySides(kubo.gateway_url, ours.url, ids)
    finally:
        kubo.stop()
