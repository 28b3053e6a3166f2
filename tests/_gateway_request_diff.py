"""The request grammar of ``tests/test_serve_request_fuzz.py`` sent to Kubo's gateway and to
``autocodec serve`` over the same blocks, the answers grouped by how they differ: a tool for
finding differences (each one found is then pinned by a named test in ``test_gateway_kubo.py``
and written in docs/gateway.md), not a test itself; many groups it prints are documented ones
(a block missing, TARs of non-UnixFS blocks and their member times, raw non-ASCII bytes in the
target, Kubo's short bodies for ranges it ignores).

    .venv/bin/python -m tests._gateway_request_diff REQUESTS SEED [--hosts]

Only ``/ipfs/`` requests go to both (the world's Bao blob, DNSLink names and, unless
``--hosts``, ``Host`` headers are left out); bodies are compared de-chunked, HTML pages (each server's own) not at all.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from tests import test_serve_request_fuzz as grammar
from tests._kubo import KuboRepo
from tests._serve_proc import ServeProcess

_LEFT_OUT_HEADERS = ("Host", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Ipfs-Gateway-Prefix")


def dechunked(header_lines: list[bytes], body: bytes) -> bytes:
    if not any(line.lower().startswith(b"transfer-encoding: chunked") for line in header_lines):
        return body
    out, at = bytearray(), 0
    while (end := body.find(b"\r\n", at)) >= 0:
        size = int(body[at:end].split(b";")[0] or b"0", 16)
        if not size:
            break
        out += body[end + 2:end + 2 + size]
        at = end + 2 + size + 2
    return bytes(out)


def content_type(header_lines: list[bytes]) -> bytes:
    return next((line[13:].strip() for line in header_lines if line.lower().startswith(b"content-type:")), b"")


def _names(path: str, cid_text: str) -> bool:
    """Whether ``path``'s first segment after ``/ipfs/`` is ``cid_text``'s CID in any spelling."""
    from autocodec import CID
    from autocodec.errors import AutocodecError

    try:
        return CID.parse(path.split("/")[2].split("?")[0]) == CID.parse(cid_text)
    except (AutocodecError, IndexError):
        return False


def main(requests: int, seed: int, hosts: bool = False) -> int:
    """``hosts``: send the grammar's ``Host`` headers too (subdomain forms on ``localhost``; never
    a DNSLink name, which needs DNS here and there)."""
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="gateway-diff-"))
    home = folder / "home"
    home.mkdir()
    (home / "config.toml").write_text('[dns.resolvers]\n"." = "dns://127.0.0.1:9"\n')  # no DNSLink here
    from autocodec import CID, builtin
    from autocodec.registry import Runtime

    with Runtime(home) as runtime:
        world = grammar._build(runtime, folder)
        missing = CID.parse(world.roots["missing"])
        held = {cid: runtime.store.get(cid) for cid in [missing, *(link["Hash"] for link in builtin.decode(
            runtime.store.get(missing), "dag-pb")["Links"])] if runtime.store.has(cid)}
    kubo = KuboRepo.create(folder / "kubo")
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    for name, root in world.roots.items():
        if name in ("blob", "identity", "missing"):
            continue
        car = folder / f"{name}.car"
        with open(car, "wb") as out:
            subprocess.run([sys.executable, "-m", "autocodec", "dag", "export", root], stdout=out, check=True, env=env)
        kubo.ipfs("dag", "import", "--pin-roots=false", car)
    kubo.import_blocks(held)  # the DAG with its first chunk missing, as it is here
    blob = world.roots["blob"]
    groups: Counter[object] = Counter()
    examples: dict[object, list[object]] = {}
    kubo.start()
    try:
        with ServeProcess(home, folder, "--workers", "2") as ours:
            for _ in range(requests):
                method = rng.choice(["GET"] * 5 + ["HEAD"] * 2)
                path = grammar._path(rng, world)
                query = grammar._query(rng)
                if not path.startswith("/ipfs/") or _names(path, blob) or "autocodec-convert" in query:
                    continue
                target = (path + query).encode("utf-8", "surrogatepass")
                if rng.random() < 0.15:
                    target = grammar._mutated(rng, target)
                headers = {k: v for k, v in grammar._headers(rng, world).items()
                           if k not in _LEFT_OUT_HEADERS or (hosts and k == "Host" and "example" not in v)}
                try:
                    mine = grammar._exchange(ours.url, method, target, headers)
                except (OSError, ValueError) as exc:
                    groups[("no answer from ours", type(exc).__name__)] += 1
                    continue
                try:
                    theirs = grammar._exchange(kubo.gateway_url, method, target, headers)
                except (OSError, ValueError) as exc:
                    groups[("no answer from Kubo", type(exc).__name__)] += 1
                    continue
                if b"Invalid char in url" in mine[2]:
                    groups["raw byte: the parser's 400 (documented)"] += 1
                    continue
                if mine[0] == 400 and b"Got more than 65536 bytes" in mine[2]:
                    groups["a header line over 64 KiB: the parser's 400 (documented bound)"] += 1
                    continue
                if mine[0] != theirs[0]:
                    key: object = (mine[0], theirs[0])
                elif (mine[0] == 200 and method == "GET" and b"text/html" not in content_type(theirs[1])
                      and dechunked(*mine[1:]) != dechunked(*theirs[1:])):
                    key = ("body", mine[0])
                else:
                    continue
                groups[key] += 1
                shown = {name: value if len(value) < 120 else f"{value[:100]}... ({len(value)} chars)"
                         for name, value in headers.items()}
                examples.setdefault(key, []).append((method, target[:200], shown, mine[2][:160], theirs[2][:160]))
    finally:
        kubo.stop()
    for key, count in groups.most_common():
        print(f"{key} (ours, Kubo's): {count}")
        for example in examples.get(key, [])[:4]:
            print("    ", example)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2]), hosts="--hosts" in sys.argv[3:]))
