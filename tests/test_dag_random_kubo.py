"""Random DAGs beside Kubo v0.43.1: IPLD paths (``dag get``, ``dag resolve``), ``dag export``,
``dag stat`` and ``refs`` on the same blocks.

A seeded generator makes a DAG of DAG-CBOR, DAG-JSON and DAG-PB nodes, raw blocks and identity
CIDs, each node linking only to earlier blocks (so every link is held) from maps, lists, the
top of a block and DAG-PB links, under keys and names chosen to collide with what paths treat
specially (``Links``, ``Data``, ``0``, ``-1``, ``01``, the empty string, spaces, ``...``). Every
block goes into a real Kubo daemon (offline, loopback; ``block/put``) and into a home here.
Then:

- paths walked from a random root through the values and links found there, their last step
  sometimes one that does not exist, with and without ``/ipfs/`` or ``/ipld/`` and a trailing
  slash: Kubo's ``dag/get`` (DAG-JSON) and ``dag/resolve`` against ``dag.resolve`` and
  ``dag.resolve_cid`` here, the same text or both refusing;
- every node: ``dag/export`` bytes against ``dag.export_car``, and ``dag/stat`` figures;
- a sample of nodes with ``refs`` options through the CLI against Kubo's ``refs``.

Documented differences, each named where it is allowed: Kubo shows an absent DAG-PB field as
``null`` (docs/bounds.md, "DAG-PB absent fields"); its export stops at a block whose whole value
is a link (docs/cli.md, ``dag export``); its ``dag/stat`` of a DAG of empty blocks answers an
empty body (a NaN ratio, docs/cli.md, ``dag stat``; ``stat`` here gives the figures). Found and first run on 2026-12-07 (docs/fuzzing.md).

A longer run: ``.venv/bin/python -m tests.test_dag_random_kubo NODES PATHS SEED``.
"""

from __future__ import annotations

import io
import json
import random
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from autocodec import builtin
from autocodec.cid import CID
from autocodec.dag import export_car, resolve, resolve_cid, stat
from autocodec.errors import AutocodecError
from autocodec.registry import Runtime
from autocodec.store import CarReader
from tests import _kubo_diff as D
from tests._cli import run_cli
from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

KEYS = ["a", "b", "0", "1", "2", "Links", "Data", "Hash", "with space", "\u00fc", "-1", "01", "x.y", "...", "", "~"]
CODEC_NAMES = {0x71: "dag-cbor", 0x0129: "dag-json", 0x70: "dag-pb", 0x55: "raw"}
REFS_OPTIONS = [[], ["-r"], ["-r", "-u"], ["-r", "-e"], ["-r", "--max-depth", "1"], ["-r", "--max-depth", "2", "-u"],
                ["-r", "--format", "<src> <linkname> <dst>"], ["--format", "<linkname>"]]


def _value(rng: random.Random, links: list[CID], depth: int = 0) -> Any:
    kind = rng.random()
    if depth > 3 or kind < 0.3:
        leaf = rng.random()
        if leaf < 0.35 and links:
            return rng.choice(links)
        if leaf < 0.5:
            return rng.randint(-5, 5)
        if leaf < 0.6:
            return rng.randbytes(rng.randint(0, 4))
        if leaf < 0.7:
            return rng.choice([None, True, False, 1.5])
        return rng.choice(KEYS)
    if kind < 0.65:
        return {key: _value(rng, links, depth + 1) for key in rng.sample(KEYS, rng.randint(0, 5))}
    return [_value(rng, links, depth + 1) for _ in range(rng.randint(0, 4))]


def make_blocks(rng: random.Random, count: int) -> list[tuple[CID, bytes]]:
    """About ``count`` blocks (identity CIDs only linked, never stored), each linking to earlier ones."""
    links: list[CID] = []
    blocks: list[tuple[CID, bytes]] = []
    for _ in range(count):
        codec = rng.choice(["dag-cbor", "dag-cbor", "dag-json", "dag-pb", "raw", "identity"])
        if codec == "identity":
            data = rng.randbytes(rng.randint(0, 20))
            links.append(CID.build(0x55, bytes([0x00, len(data)]) + data))
            continue
        if codec == "raw":
            data = rng.randbytes(rng.randint(0, 20))
        elif codec == "dag-pb":
            names = sorted((rng.choice(KEYS) for _ in range(rng.randint(0, 4) if links else 0)), key=str.encode)
            node: dict[str, Any] = {"Links": [{"Hash": rng.choice(links), "Name": name, "Tsize": rng.randint(0, 9)}
                                              for name in names]}
            if rng.random() < 0.5:
                node["Data"] = rng.randbytes(rng.randint(0, 5))
            data = builtin.encode(node, "dag-pb")
        else:
            try:
                data = builtin.encode(_value(rng, links), codec)
            except AutocodecError:  # e.g. a map that reads back as a link or bytes form in DAG-JSON
                continue
        cid = builtin.cid_for(data, codec)
        links.append(cid)
        blocks.append((cid, data))
    return blocks


@dataclass
class Sides:
    kubo: D.Kubo
    runtime: Runtime
    home: Path
    nodes: list[CID]  # every stored block but the raw ones

    def put(self, blocks: list[tuple[CID, bytes]]) -> None:
        for cid, data in blocks:
            codec = CODEC_NAMES[cid.codec]
            assert self.kubo.block_put_many([data], codec) == [str(cid)]
            assert self.runtime.put(data, codec) == cid
            if cid.codec != 0x55:
                self.nodes.append(cid)


def random_path(rng: random.Random, runtime: Runtime, root: CID) -> str:
    """A path from ``root`` through what is there (a link's block entered), its last step
    sometimes one that is not there."""
    steps: list[str] = []
    cid, value = root, runtime.decode_block(root, runtime.get(root))
    pb_node = cid.codec == 0x70  # at a DAG-PB node's top: its link names are steps too
    for _ in range(rng.randint(0, 6)):
        if pb_node:
            names = [link.get("Name", "") for link in value["Links"]] + ["Links", "Data"]
        elif isinstance(value, dict):
            names = list(value)
        elif isinstance(value, list):
            names = [str(i) for i in range(len(value))]
        else:
            names = []
        if not names or rng.random() < 0.15:
            steps.append(rng.choice([*KEYS, "5", "99"]))
            break
        step = rng.choice(names)
        steps.append(step)
        if pb_node and step not in ("Links", "Data"):
            value = next(link["Hash"] for link in value["Links"] if link.get("Name", "") == step)
        elif isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list):
            value = value[int(step)]
        pb_node = False
        if isinstance(value, CID):
            if value.hash_code == 0x00 or value.codec == 0x55:
                break
            cid, value = value, runtime.decode_block(value, runtime.get(value))
            pb_node = cid.codec == 0x70
    prefix = rng.choice(["", "/ipld/", "/ipfs/"])
    return prefix + str(root) + "".join("/" + step for step in steps) + rng.choice(["", "", "", "/"])


def path_differences(sides: Sides, rng: random.Random, count: int) -> tuple[Counter[str], list[str]]:
    tally: Counter[str] = Counter()
    differences: list[str] = []
    for _ in range(count):
        path = random_path(rng, sides.runtime, rng.choice(sides.nodes))
        status, out = sides.kubo.call(f"dag/get?arg={quote(path, safe='')}&output-codec=dag-json")
        theirs = out.removesuffix(b"\n") if status == 200 and out else None
        try:
            found = resolve(sides.runtime, path)
            mine: bytes | None = builtin.encode(found.value, "dag-json")
            why = ""
            if found.cid.codec == 0x70 and theirs is not None:
                theirs = D.drop_pb_nulls(theirs)
        except AutocodecError as exc:
            mine, why = None, str(exc)
        if theirs == b"null" and mine is None and re.search(r"no field '(Data|Name|Tsize)'", why):
            tally["documented: an absent DAG-PB field, null in Kubo"] += 1
            continue
        tally["both read" if mine is not None and theirs is not None else "both refuse" if mine == theirs else "differ"] += 1
        if mine != theirs:
            differences.append(f"dag get {path}: Kubo {theirs!r:.200}, ours {mine!r:.200} {why}")
            continue
        status, out = sides.kubo.call(f"dag/resolve?arg={quote(path, safe='')}")
        try:
            cid, rest = resolve_cid(sides.runtime, path)
            resolved: Any = {"Cid": {"/": str(cid)}, "RemPath": "".join("/" + seg for seg in rest)}
        except AutocodecError:
            resolved = None
        if resolved != (json.loads(out) if status == 200 else None):
            differences.append(f"dag resolve {path}: Kubo {status} {out!r:.200}, ours {resolved}")
    return tally, differences


def _kubo_export_order(runtime: Runtime, root: CID) -> list[str]:
    """The blocks Kubo's ``dag export`` writes: a depth-first walk that does not follow the link
    a block is made of (docs/cli.md)."""
    order: list[str] = []
    seen: set[CID] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        if cid in seen:
            continue
        seen.add(cid)
        order.append(str(cid))
        data = runtime.get(cid)
        if cid.codec != 0x55 and not isinstance(runtime.decode_block(cid, data), CID):
            stack.extend(reversed(runtime.links(cid, data)))
    return order


def export_differences(sides: Sides) -> tuple[Counter[str], list[str]]:
    tally: Counter[str] = Counter()
    differences: list[str] = []
    for root in sides.nodes:
        status, theirs = sides.kubo.call(f"dag/export?arg={root}")
        out = io.BytesIO()
        export_car(sides.runtime, root, out)
        mine = out.getvalue()
        if status == 200 and theirs == mine:
            tally["export alike"] += 1
        elif status == 200 and [str(c) for c, _ in CarReader(io.BytesIO(theirs))] == _kubo_export_order(sides.runtime, root):
            tally["documented: Kubo's export stops at a block made of a link"] += 1
        else:
            differences.append(f"dag export {root}: Kubo {status} {len(theirs)} bytes, ours {len(mine)} bytes")
        status, text = sides.kubo.call(f"dag/stat?arg={root}&progress=false")
        figures = stat(sides.runtime, [root])
        if status == 200 and not text.strip() and figures.total_size == 0:
            tally["documented: Kubo's JSON of a NaN ratio"] += 1
            continue
        kubo_stat = json.loads(text.splitlines()[-1]) if status == 200 else None
        if kubo_stat is None or (kubo_stat["TotalSize"], kubo_stat["UniqueBlocks"]) != (figures.total_size, figures.unique_blocks):
            differences.append(f"dag stat {root}: Kubo {status} {text!r:.200}, ours {figures}")
    return tally, differences


def refs_differences(sides: Sides, rng: random.Random, count: int) -> list[str]:
    differences: list[str] = []
    flags = {"-r": "recursive=true", "-u": "unique=true", "-e": "edges=true", "--max-depth": "max-depth=", "--format": "format="}
    for _ in range(count):
        root, options = rng.choice(sides.nodes), rng.choice(REFS_OPTIONS)
        query = [f"arg={root}"]
        for i, option in enumerate(options):
            if option in flags:
                query.append(flags[option] + (quote(options[i + 1]) if flags[option].endswith("=") else ""))
        status, out = sides.kubo.call("refs?" + "&".join(query))
        theirs = [json.loads(line) for line in out.splitlines() if line.strip()] if status == 200 else None
        run = run_cli(sides.home, "refs", "--enc", "json", *options, str(root), check=False)
        mine = [json.loads(line) for line in run.stdout.splitlines() if line.strip()] if run.returncode == 0 else None
        if mine != theirs:
            differences.append(f"refs {options} {root}: Kubo {str(theirs):.300}, ours {str(mine):.300} {run.stderr[-200:]!r}")
    return differences


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sides]:
    require_kubo()
    tmp = tmp_path_factory.mktemp("dag-random")
    with KuboRepo.create(tmp / "kubo") as repo, Runtime(tmp / "home", default_set=False) as runtime:
        repo.start()
        both = Sides(D.Kubo(repo.api_port), runtime, tmp / "home", [])
        both.put(make_blocks(random.Random(0), 80))
        yield both


def test_random_paths_get_and_resolve_as_in_kubo(sides: Sides) -> None:
    tally, differences = path_differences(sides, random.Random(1), 400)
    print(dict(tally))
    assert tally["both read"] > 50 and tally["both refuse"] > 50  # the walk reaches values, and misses
    assert not differences, "\n".join(differences[:20])


def test_random_dags_export_and_stat_as_in_kubo(sides: Sides) -> None:
    tally, differences = export_differences(sides)
    print(dict(tally))
    assert tally["export alike"] > 20
    assert not differences, "\n".join(differences[:20])


def test_random_refs_as_in_kubo(sides: Sides) -> None:
    differences = refs_differences(sides, random.Random(2), 24)
    assert not differences, "\n".join(differences[:20])


def main(argv: list[str]) -> int:
    """A longer run against a throw-away Kubo: ``NODES PATHS SEED``."""
    nodes, paths, seed = (int(arg) for arg in argv[:3])
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp, KuboRepo.create(Path(tmp) / "kubo") as repo, \
            Runtime(Path(tmp) / "home", default_set=False) as runtime:
        repo.start()
        both = Sides(D.Kubo(repo.api_port), runtime, Path(tmp) / "home", [])
        both.put(make_blocks(rng, nodes))
        path_tally, differences = path_differences(both, rng, paths)
        export_tally, more = export_differences(both)
        differences += more + refs_differences(both, rng, max(10, paths // 20))
        print(f"{len(both.nodes)} nodes, {paths} paths: {dict(path_tally)}, {dict(export_tally)}, "
              f"{len(differences)} undocumented differences", flush=True)
        for difference in differences[:20]:
            print("  ", difference)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
