"""Issue 16, cases 1 and 10: DAG-JSON links cost bounded work and are accepted only in their
canonical spelling (base32 for CIDv1, bare base58btc for CIDv0, as the DAG-JSON spec says:
ipld.io/specs/codecs/dag-json/spec, "Links")."""

from __future__ import annotations

import base64
import time

import pytest

from autocodec import builtin
from autocodec.cid import CID, b58encode
from autocodec.errors import InvalidBlock

BOUND_S = 1.0  # was 4.7 s for 160 KB and 77-89 s for 600 KB (quadratic base58)


def _link_block(text: str) -> bytes:
    return b'{"/":"' + text.encode() + b'"}'


@pytest.mark.parametrize("size", [160_000, 600_000, 4 * 1024 * 1024 - 16])
def test_long_base58_link_is_refused_before_decoding(size: int) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidBlock, match="longer than any canonical CID"):
        builtin.decode(_link_block("z" + "2" * size), "dag-json")
    assert time.monotonic() - started < BOUND_S


def test_longest_valid_link_still_decodes() -> None:
    digest = b"\x07" * 1024  # identity multihash of the largest digest a CID may carry
    raw = b"\x01\x71\x00\x80\x08" + digest
    cid = CID(raw)
    assert builtin.decode(_link_block(str(cid)), "dag-json") == cid


def test_cidv0_link_in_base32_is_refused() -> None:
    v1 = builtin.cid_for(b"x", "dag-pb")
    v0 = CID.build(0x70, v1.multihash, 0)
    b32 = "b" + base64.b32encode(bytes(v0)).decode().lower().rstrip("=")
    assert builtin.decode(_link_block(str(v0)), "dag-json") == v0
    with pytest.raises(InvalidBlock, match="base58btc"):
        builtin.decode(_link_block(b32), "dag-json")


@pytest.mark.parametrize("spelling", ["base58btc", "base16", "base32upper"])
def test_cidv1_link_in_another_base_is_refused(spelling: str) -> None:
    cid = builtin.cid_for(b"x", "raw")
    raw = bytes(cid)
    text = {
        "base58btc": "z" + b58encode(raw),
        "base16": "f" + raw.hex(),
        "base32upper": str(cid).upper(),
    }[spelling]
    with pytest.raises(InvalidBlock):
        builtin.decode(_link_block(text), "dag-json")
    assert builtin.decode(_link_block(str(cid)), "dag-json") == cid


@pytest.mark.slow
def test_kubo_accepts_the_non_canonical_link_we_refuse(tmp_path) -> None:  # noqa: ANN001
    """A documented extension (docs/bounds.md): Kubo v0.43.1 decodes a base32 CIDv0 link, so two
    different DAG-JSON blocks read as the same data there; we refuse the non-canonical one."""
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    repo = KuboRepo.create(tmp_path / "kubo")
    v1 = builtin.cid_for(b"x", "dag-pb")
    v0 = CID.build(0x70, v1.multihash, 0)
    b32 = "b" + base64.b32encode(bytes(v0)).decode().lower().rstrip("=")
    outputs = []
    for text in (str(v0), b32):
        path = tmp_path / "block.json"
        path.write_bytes(_link_block(text))
        cid = repo.ipfs("block", "put", "--cid-codec", "dag-json", str(path)).stdout.decode().strip()
        outputs.append(repo.ipfs("dag", "get", cid).stdout)
    assert outputs[0] == outputs[1] == _link_block(str(v0))  # Kubo: two blocks, one value
    with pytest.raises(InvalidBlock):
        builtin.decode(_link_block(b32), "dag-json")


def test_block_put_of_a_long_link_is_refused_fast(tmp_path) -> None:  # noqa: ANN001
    """``block put`` decodes to validate: the 600 KB base58 link (77-89 s before) is a one-line refusal."""
    from tests._cli import run_cli

    started = time.monotonic()
    proc = run_cli(tmp_path / "home", "block", "put", "--codec", "dag-json", check=False,
                   stdin=_link_block("z" + "2" * 600_000))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err[:500]
    assert time.monotonic() - started < 30  # mostly interpreter start-up on a loaded machine
