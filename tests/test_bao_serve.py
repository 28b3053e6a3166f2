"""Large content in IPFS terms: a BLAKE3 CID kept with its Bao outboard, served by a real
``autocodec serve`` process on ``/bao/{cid}``, fetched with ``autocodec [bao] cat --gateway``
verifying chunk by chunk; a corruption of the served content at 90% stops the fetch exactly
at that chunk, with only the verified bytes before it written."""

from __future__ import annotations

import random
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests._cli import run_cli
from tests._serve_proc import ServeProcess

blake3 = pytest.importorskip("blake3")


@pytest.mark.slow
def test_add_serve_cat_and_corruption(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")  # the shipped default set provides verifier bao
    data = random.Random(23).randbytes(3 * 1024 * 1024 + 777)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    cid = run_cli(home, "bao", "add", str(src)).stdout.decode().strip()
    digest = blake3.blake3(data).digest()
    assert cid.startswith("bafkr4i")  # CIDv1 raw + blake3, base32
    from autocodec.cid import CID

    parsed = CID.parse(cid)
    assert parsed.codec == 0x55 and parsed.hash_code == 0x1E and parsed.digest == digest
    with ServeProcess(home, tmp_path) as srv:
        out = run_cli(home, "bao", "cat", cid, "--gateway", srv.url).stdout
        assert out == data
        assert run_cli(home, "cat", cid, "--gateway", srv.url).stdout == data  # plain `cat` of a BLAKE3 CID
        assert run_cli(home, "cat", cid).stdout == data  # local: content checked against its outboard
        part = run_cli(home, "bao", "cat", cid, "--gateway", srv.url, "--start", "2000000", "--count", "70000").stdout
        assert part == data[2_000_000:2_070_000]
        with urllib.request.urlopen(f"{srv.url}/bao/{cid}?start=2000000&count=70000") as resp:
            piece = resp.read()
        assert len(piece) < 80_000 + 64 * 40  # a slice, not the whole encoding
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{srv.url}/bao/bafkreice6i5t5i2zl7ntkyvbrxmjo7rok5aocd2ghgaruxgbgykmflfv7m")
        assert err.value.code == 400  # not a BLAKE3 CID
        for query, status in (("?start=5", 400), ("?start=x&count=1", 400), ("?start=-1&count=1", 400)):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"{srv.url}/bao/{cid}{query}")
            assert err.value.code == status, query
        unknown = "bafkr4i" + "a" * 52  # a BLAKE3 CID nobody added
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{srv.url}/bao/{unknown}")
        assert err.value.code == 404
        # the served copy goes bad at 90%: the fetch stops at that chunk
        stored = home / "bao" / f"{cid}.data"
        at = int(len(data) * 0.9)
        bad = bytearray(stored.read_bytes())
        bad[at] ^= 0x10
        stored.write_bytes(bytes(bad))
        target = tmp_path / "out.bin"
        proc = run_cli(home, "bao", "cat", cid, str(target), "--gateway", srv.url, check=False)
        assert proc.returncode == 1
        assert f"chunk {at // 1024} " in proc.stderr.decode()
        assert target.read_bytes() == data[: (at // 1024) * 1024]
        proc = run_cli(home, "cat", cid, "--gateway", srv.url, check=False)
        assert proc.returncode == 1 and f"chunk {at // 1024} " in proc.stderr.decode()
        assert proc.stdout == data[: (at // 1024) * 1024]
