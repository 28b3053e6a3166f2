"""Every codec autocodec ships, fetched from a real Kubo daemon (v0.43.1, ``tests/_kubo.py``) by RPC
(``--node``) and through Kubo's trustless gateway (``--gateway``), verified and decoded.

- Builtin codecs (dag-cbor, dag-json, dag-pb, raw): the blocks are made by Kubo itself (``dag put``,
  ``add``) and autocodec's ``decode`` output must equal Kubo's own ``dag get`` byte for byte.
- Extension codecs: every codec module in ``wasm-src/`` (found by its ``module.json``, so new
  modules are picked up), every decodable case of its ``vectors.json``. Kubo computes each CID
  (``block put --cid-codec C --mhtype H`` with the family's hash: sha1 for git, keccak-256 for
  Ethereum, dbl-sha2-256 for Bitcoin and Zcash), which must equal autocodec's; then a fresh home
  holding only the modules (no blocks) decodes each case through the node and through the gateway
  and must get the vector's expected value.
"""

from __future__ import annotations

import hashlib
import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from autocodec import CID
from autocodec.builtin import decode as builtin_decode
from autocodec.builtin import encode as builtin_encode
from autocodec.codes import codec_name, hash_code
from tests._cli import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

REPO = Path(__file__).resolve().parents[1]
WASM_SRC = REPO / "wasm-src"
BUILTIN_CODECS = {0x55, 0x70, 0x71, 0x0129}


def _family_hash(code: int) -> str:
    """The hash function a codec's blocks are addressed with in their own ecosystem."""
    if code == 0x78:
        return "sha1"  # git object ids
    if 0x90 <= code <= 0x9A:
        return "keccak-256"  # Ethereum
    if 0xB0 <= code <= 0xB2 or 0xC0 <= code <= 0xC1:
        return "dbl-sha2-256"  # Bitcoin, Zcash
    return "sha2-256"


def _digest(name: str, data: bytes) -> bytes:
    if name == "keccak-256":
        from Crypto.Hash import keccak  # reference keccak (test dependency)

        return keccak.new(data=data, digest_bits=256).digest()
    if name == "dbl-sha2-256":
        return hashlib.sha256(hashlib.sha256(data).digest()).digest()
    return hashlib.new({"sha1": "sha1", "sha2-256": "sha256"}[name], data).digest()


def _modules(kind: str) -> list[tuple[dict[str, Any], Path]]:
    found = []
    for meta_path in sorted(WASM_SRC.glob("*/module.json")):
        meta = json.loads(meta_path.read_text())
        wasm = meta_path.parent / f"{meta_path.parent.name}.wasm"
        if meta.get("kind") == kind and wasm.is_file():
            found.append((meta, wasm))
    return found


CODEC_MODULES = _modules("codec")
HASHER_MODULES = {code: wasm for meta, wasm in _modules("hasher") for code in meta.get("codes", [])}


@cache
def _cases(module_dir: str) -> list[tuple[bytes, Any]]:
    """The (block, expected value) cases of a module's vectors that decode successfully, one per block."""
    doc = builtin_decode((WASM_SRC / module_dir / "vectors.json").read_bytes(), "dag-json")
    cases: dict[bytes, Any] = {}
    for case in doc["cases"]:
        if "decode" in case and "expect" in case:
            cases.setdefault(bytes(case["decode"]), case["expect"])
    return list(cases.items())


def test_codec_modules_are_found() -> None:
    names = {meta["name"] for meta, _ in CODEC_MODULES}
    assert {"git-raw", "eth-block", "bitcoin-block"} <= names, names


@pytest.mark.parametrize("meta,wasm", CODEC_MODULES, ids=[m["name"] for m, _ in CODEC_MODULES])
def test_extension_codec_blocks_from_kubo_by_node_and_gateway(kubo_node, tmp_path: Path, meta: dict[str, Any],
                                                              wasm: Path) -> None:
    from autocodec.registry import Runtime

    code = meta["codes"][0]
    hash_name = _family_hash(code)
    cases = _cases(wasm.parent.name)
    assert cases, f"{meta['name']} has no decodable vectors"
    files = []
    for i, (block, _expect) in enumerate(cases):
        files.append(tmp_path / f"block{i:05d}")  # the ipfs CLI takes file arguments in name order
        files[-1].write_bytes(block)
    out = kubo_node.ipfs("block", "put", "--cid-codec", f"0x{code:x}", "--mhtype", hash_name,
                         *files).stdout.decode().split()
    kubo_cids = [CID.parse(c) for c in out]
    ours = [CID.build(code, bytes([hash_code(hash_name)]) + bytes([len(d := _digest(hash_name, b))]) + d)
            for b, _ in cases]
    assert kubo_cids == ours  # Kubo and autocodec address every block alike

    modules = [wasm, *([HASHER_MODULES[hash_code(hash_name)]] if hash_code(hash_name) in HASHER_MODULES else [])]
    api = kubo_node.api_multiaddr
    for label, kw in (("node", {"node": api}), ("gateway", {"gateways": [kubo_node.gateway_url]})):
        with Runtime(tmp_path / f"home-{label}", modules=modules, default_set=False, **kw) as rt:
            for cid, (_block, expect) in zip(ours, cases):
                assert not rt.store.has(cid)
                assert rt.decode(cid) == expect, f"{label}: {cid}"

    # The CLI, both ways, on the first case: the same dag-json as a local decode of the vector.
    expected = builtin_encode(cases[0][1], "dag-json")
    flags = [a for m in modules for a in ("--module", str(m))]
    for source in (["--node", api], ["--gateway", kubo_node.gateway_url]):
        shown = run_cli(tmp_path / f"cli-{source[0][2:]}", "decode", str(ours[0]), *source, *flags).stdout
        assert shown.strip() == expected.strip()
    print(f"\n{meta['name']}: {len(cases)} blocks, CIDs equal to Kubo's ({hash_name}), decoded via node and gateway")


def _kubo_builtin_blocks(kubo_node, tmp_path: Path) -> dict[str, CID]:
    """Blocks Kubo makes itself, one or more per builtin codec."""
    raw = CID.parse(kubo_node.ipfs("block", "put", input=b"raw bytes from kubo\n").stdout.decode().strip())
    doc = {"name": "kubo", "n": -12345678901, "big": 2**63 - 1, "ok": True, "none": None, "list": [1, [2, [3]]],
           "bytes": {"/": {"bytes": "AAECAwQ"}}, "link": {"/": str(raw)}, "nested": {"b": 1, "a": {"z": "é"}}}
    made = {"raw": raw}
    for codec in ("dag-cbor", "dag-json"):
        out = kubo_node.ipfs("dag", "put", "--store-codec", codec, "--input-codec", "dag-json",
                             input=json.dumps(doc).encode()).stdout.decode().strip()
        made[codec] = CID.parse(out)
    data = bytes(range(256)) * 1200  # 300 KiB: a dag-pb root with three links
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "big").write_bytes(data)
    (tmp_path / "tree" / "sub" / "small").write_text("small file\n")
    made["dag-pb-file"] = CID.parse(kubo_node.ipfs("add", "-Q", "--chunker", "size-100000",
                                                   tmp_path / "tree" / "big").stdout.decode().strip())
    made["dag-pb-dir"] = CID.parse(kubo_node.ipfs("add", "-Q", "-r", tmp_path / "tree").stdout.decode().strip())
    made["raw-leaf-v1"] = CID.parse(kubo_node.ipfs("add", "-Q", "--cid-version", "1",
                                                   tmp_path / "tree" / "sub" / "small").stdout.decode().strip())
    return made


def test_builtin_codec_blocks_made_by_kubo_decode_like_kubos_dag_get(kubo_node, tmp_path: Path) -> None:
    made = _kubo_builtin_blocks(kubo_node, tmp_path)
    assert {c.codec for c in made.values()} == BUILTIN_CODECS
    api = kubo_node.api_multiaddr
    for what, cid in made.items():
        reference = kubo_node.ipfs("dag", "get", str(cid)).stdout.strip()
        for source in (["--node", api], ["--gateway", kubo_node.gateway_url]):
            home = tmp_path / f"home-{what}-{source[0][2:]}"
            shown = run_cli(home, "decode", str(cid), *source).stdout.strip()
            assert shown == reference, (what, source[0], shown[:300], reference[:300])


def test_kubo_block_put_takes_hashes_js_ipfs_refused(kubo_node) -> None:
    """js-ipfs 0.66 refused sha1/keccak-256 in ``block put``; Kubo computes them (same CIDs as ours)."""
    block = b"blob 3\x00hi\n"
    for codec, hash_name in (("git-raw", "sha1"), ("raw", "keccak-256"), ("raw", "dbl-sha2-256"),
                             ("raw", "blake2b-256"), ("raw", "sha3-256")):
        out = kubo_node.ipfs("block", "put", "--cid-codec", codec, "--mhtype", hash_name, input=block)
        cid = CID.parse(out.stdout.decode().strip())
        assert codec_name(cid.codec) == codec and cid.hash_code == hash_code(hash_name)


def test_absent_block_is_not_found_quickly_and_the_node_is_named(kubo_node, tmp_path: Path) -> None:
    data = b"never put anywhere %f" % time.time()
    cid = CID.build(0x55, b"\x12\x20" + hashlib.sha256(data).digest())
    for source, named in ((["--node", kubo_node.api_multiaddr], "node:"), (["--gateway", kubo_node.gateway_url],
                                                                           "gateway:")):
        started = time.monotonic()
        proc = run_cli(tmp_path / "home", "decode", str(cid), *source, check=False)
        took = time.monotonic() - started
        err = proc.stderr.decode().strip()
        assert proc.returncode != 0 and took < 5, (took, err)
        assert len(err.splitlines()) == 1 and named in err and "BlockNotFound" in err, err
        assert "in none of the sources tried" in err, err  # not "not in the local store" alone
        assert "give a source" not in err, err
