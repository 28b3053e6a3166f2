"""The commands ``autocodec`` shares with Kubo v0.43.1, side by side with the real ``ipfs``
binary (``tests/_kubo.py``, offline, no daemon) on the same inputs: the same stdout, exit status
and, for errors, Kubo's words in our one-line message.

- multicodec options (``block put --cid-codec``/``--format``, ``dag put``'s codecs and hash,
  ``dag get --output-codec``): read as go-multicodec's ``Code.Set`` reads them;
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._kubo import KuboRepo, require_kubo
from tests.test_dag_kubo import Ours

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboRepo]:
    require_kubo()
    yield KuboRepo.create(tmp_path_factory.mktemp("kubo") / "repo")


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Ours:
    from autocodec.registry import Runtime

    home = tmp_path_factory.mktemp("ours") / "home"
    Runtime(home).close()
    return Ours(home)


def _same(kubo: KuboRepo, ours: Ours, *args: str, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    """Run ``args`` through both: the same exit status and stdout; a failure is one line here
    holding Kubo's message (what follows ``Error: ``). Returns ours."""
    theirs = kubo.ipfs(*args, input=stdin, check=False)
    code, out, err = ours.run(*args, stdin=stdin)
    assert (code, out) == (theirs.returncode, theirs.stdout), (args, theirs.stderr, err)
    if code:
        said = theirs.stderr.decode().strip().removeprefix("Error: ")
        assert err.count(b"\n") == 1 and b"Traceback" not in err, err
        assert said in err.decode(), (args, said, err)
    return code, out, err


CODEC_SPELLINGS = ["raw", "0x55", "0X55", "85", "0125", "0o125", "0b1010101", "0x_55", "RAW", " raw", "+85",
                   "0xffff", "0x400000", "0x300001", "autocodec-envelope", "nope", "sha2-256", "0x12"]


@pytest.mark.parametrize("codec", CODEC_SPELLINGS)
def test_block_put_reads_a_codec_as_kubo(kubo: KuboRepo, ours: Ours, codec: str) -> None:
    """``--cid-codec`` is a name of the multicodec table spelled exactly, or a number in Go's
    syntax that the table names or that is private-use (0x300000-0x3fffff); anything else is
    Kubo's ``unknown multicodec: "X"``. It was any number (``0xffff`` stored a block under a
    code no table names; ``0125`` was decimal, a CID Kubo never makes) and any case."""
    _same(kubo, ours, "block", "put", "--cid-codec", codec, stdin=b"hi\n")
    _same(kubo, ours, "block", "put", "--format", codec, stdin=b"hi\n")


@pytest.mark.parametrize("option", ["--input-codec", "--store-codec", "--hash"])
@pytest.mark.parametrize("value", ["DAG-JSON", "0451", "0xffff", "dag-json", "0x129", "dag-cbor", "0x71",
                                   "sha2-256", "0x12", "SHA2-256"])
def test_dag_put_reads_its_codecs_and_hash_as_kubo(kubo: KuboRepo, ours: Ours, option: str, value: str) -> None:
    """``dag put`` reads ``--input-codec``, ``--store-codec`` and ``--hash`` alike (Kubo's
    ``Code.Set``); only the exit status is compared where both refuse a known code for what it
    is not (a hash as a codec), each in its own words."""
    theirs = kubo.ipfs("dag", "put", option, value, input=b'{"a":1}', check=False)
    if b"unknown multicodec" in theirs.stderr or theirs.returncode == 0:
        _same(kubo, ours, "dag", "put", option, value, stdin=b'{"a":1}')
    else:
        assert ours.run("dag", "put", option, value, stdin=b'{"a":1}')[0] == theirs.returncode


@pytest.mark.parametrize("codec", ["dag-cbor", "0x71", "0161", "DAG-CBOR", "0xffff", "nope", "json"])
def test_dag_get_reads_its_output_codec_as_kubo(kubo: KuboRepo, ours: Ours, codec: str) -> None:
    cid = kubo.ipfs("dag", "put", input=b'{"a":1}').stdout.decode().strip()
    assert ours.out("dag", "put", stdin=b'{"a":1}').decode().strip() == cid
    _same(kubo, ours, "dag", "get", "--output-codec", codec, cid)
