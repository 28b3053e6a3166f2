"""White space around a path's CID, next to Kubo v0.43.1's command line on the same blocks.

Kubo's ``path.NewPath`` refuses ``"  CID"``, ``"CID  "``, ``"/ipfs/ CID"`` and a tab after the
CID (``invalid path``), while go-cid's base32 and base64 decoders skip a line break inside the
text (``"CID\\n"`` is the CID). This package's path parsers trimmed every such space (pasted
text), so ``cat``, ``dag get``, ``block get``, ``ls``... printed the block where Kubo refuses;
now the CID's text is read as Kubo reads it (``cid.spaced_cid_text``) in both ``dag.parse_path``
and ``unixfs.resolve``. Exit status compared; an offline repo, ``block put`` on both sides.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

COMMANDS = [("cat",), ("dag", "get"), ("block", "get"), ("block", "stat"), ("resolve",), ("refs",),
            ("dag", "resolve"), ("ls",), ("dag", "stat"), ("dag", "export")]


def test_white_space_around_a_paths_cid_is_read_as_kubo_reads_it(tmp_path: Path) -> None:
    require_kubo()
    kubo = KuboRepo.create(tmp_path / "kubo")
    home = tmp_path / "home"
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}

    def ours(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "autocodec", *args], input=data, capture_output=True, env=env)

    ours("init", "--no-default-set")
    cid = kubo.ipfs("block", "put", "--cid-codec", "raw", input=b"hi\n").stdout.decode().strip()
    assert ours("block", "put", "--cid-codec", "raw", data=b"hi\n").stdout.decode().strip() == cid
    qm = kubo.ipfs("add", "-Q", "--cid-version", "0", input=b"hi\n").stdout.decode().strip()
    assert ours("add", "-Q", "--cid-version", "0", data=b"hi\n").stdout.decode().strip() == qm
    texts = [f"  {cid}", f"{cid}  ", f"/ipfs/ {cid}", f" /ipfs/{cid}", f"{cid}\t", f"{qm} ", f"/ipld/{cid} ",
             f"{cid}\n", f"\n{cid}", f"/ipfs/{cid}\n", f"{cid}\r\n", f"{qm}\n", cid, f"/ipfs/{cid}/", qm]
    differ, refused = [], 0
    for text in texts:
        for command in COMMANDS:
            k = kubo.ipfs(*command, text, check=False).returncode
            o = ours(*command, text).returncode
            refused += k != 0
            if (k == 0) != (o == 0):
                differ.append(f"{' '.join(command)} {text!r}: Kubo exit {k}, ours {o}")
    assert not differ, "\n".join(differ)
    assert refused >= 7 * len(COMMANDS)  # the spaced texts are refused by Kubo (the test's premise)
