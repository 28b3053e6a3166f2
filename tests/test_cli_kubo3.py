"""The commands ``autocodec`` shares with Kubo v0.43.1, side by side with the real ``ipfs``
binary (``tests/_kubo.py``, offline, no daemon) on the same inputs: the same stdout, exit status
and, for errors, Kubo's words in our one-line message.

- multicodec options (``block put --cid-codec``/``--format``, ``dag put``'s codecs and hash,
  ``dag get --output-codec``): read as go-multicodec's ``Code.Set`` reads them;
- ``dag get`` that fails part-way: an empty stdout, one line on stderr, exit 1;
- ``--cid-base`` on ``block stat`` and ``block rm``;
- ``cid format|base32|inspect`` without a CID or with a short one, ``cid bases|codecs|hashes --enc=json``.
"""

from __future__ import annotations

import pytest

from tests._cli_same import same
from tests._kubo import KuboRepo
from tests import _kubo_pair
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)

pytestmark = pytest.mark.slow

CODEC_SPELLINGS = ["raw", "0x55", "0X55", "85", "0125", "0o125", "0b1010101", "0x_55", "RAW", " raw", "+85",
                   "0xffff", "0x400000", "0x300001", "autocodec-envelope", "nope", "sha2-256", "0x12"]


@pytest.mark.parametrize("codec", CODEC_SPELLINGS)
def test_block_put_reads_a_codec_as_kubo(kubo: KuboRepo, ours: Ours, codec: str) -> None:
    """``--cid-codec`` is a name of the multicodec table spelled exactly, or a number in Go's
    syntax that the table names or that is private-use (0x300000-0x3fffff); anything else is
    Kubo's ``unknown multicodec: "X"``. It was any number (``0xffff`` stored a block under a
    code no table names; ``0125`` was decimal, a CID Kubo never makes) and any case."""
    same(kubo, ours, "block", "put", "--cid-codec", codec, stdin=b"hi\n")
    same(kubo, ours, "block", "put", "--format", codec, stdin=b"hi\n")


@pytest.mark.parametrize("option", ["--input-codec", "--store-codec", "--hash"])
@pytest.mark.parametrize("value", ["DAG-JSON", "0451", "0xffff", "dag-json", "0x129", "dag-cbor", "0x71",
                                   "sha2-256", "0x12", "SHA2-256"])
def test_dag_put_reads_its_codecs_and_hash_as_kubo(kubo: KuboRepo, ours: Ours, option: str, value: str) -> None:
    """``dag put`` reads ``--input-codec``, ``--store-codec`` and ``--hash`` alike (Kubo's
    ``Code.Set``); only the exit status is compared where both refuse a known code for what it
    is not (a hash as a codec), each in its own words."""
    theirs = kubo.ipfs("dag", "put", option, value, input=b'{"a":1}', check=False)
    if b"unknown multicodec" in theirs.stderr or theirs.returncode == 0:
        same(kubo, ours, "dag", "put", option, value, stdin=b'{"a":1}')
    else:
        assert ours.run("dag", "put", option, value, stdin=b'{"a":1}')[0] == theirs.returncode


@pytest.mark.parametrize("codec", ["dag-cbor", "0x71", "0161", "DAG-CBOR", "0xffff", "nope", "json"])
def test_dag_get_reads_its_output_codec_as_kubo(kubo: KuboRepo, ours: Ours, codec: str) -> None:
    cid = kubo.ipfs("dag", "put", input=b'{"a":1}').stdout.decode().strip()
    assert ours.out("dag", "put", stdin=b'{"a":1}').decode().strip() == cid
    same(kubo, ours, "dag", "get", "--output-codec", codec, cid)


@pytest.fixture(scope="module")
def broken_dag(kubo: KuboRepo, ours: Ours, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A root in both stores linking to a leaf both hold, a block neither holds, and a DAG-CBOR
    block that does not decode (put as bytes in Kubo, imported here from a CAR)."""
    from autocodec import builtin
    from autocodec.cid import CID, encode_varint

    missing = str(builtin.cid_for(b"a block nobody holds", "raw"))
    leaf_doc = b'{"x":[1,2,{"y":"z"}]}'
    leaf = kubo.ipfs("dag", "put", input=leaf_doc).stdout.decode().strip()
    root_doc = f'{{"leaf":{{"/":"{leaf}"}},"gone":{{"/":"{missing}"}},"list":[{{"/":"{leaf}"}}]}}'.encode()
    root = kubo.ipfs("dag", "put", input=root_doc).stdout.decode().strip()
    for doc in (leaf_doc, root_doc):
        ours.out("dag", "put", stdin=doc)
    bad = kubo.ipfs("block", "put", "--cid-codec", "dag-cbor", input=b"\xa1\x61").stdout.decode().strip()
    header = builtin.encode({"roots": [CID.parse(bad)], "version": 1}, "dag-cbor")
    section = bytes(CID.parse(bad)) + b"\xa1\x61"
    car = tmp_path_factory.mktemp("bad") / "bad.car"
    car.write_bytes(encode_varint(len(header)) + header + encode_varint(len(section)) + section)
    ours.out("car", "import", "--quiet", str(car))  # dag import refuses it, as Kubo's: car import keeps it
    return {"root": root, "leaf": leaf, "missing": missing, "bad": bad}


DAG_GET_FAILURES = [("dag-json", "{root}/leaf/x/5"), ("dag-json", "{root}/leaf/nope"), ("dag-json", "{root}/gone"),
                    ("dag-json", "{root}/gone/a"), ("dag-json", "{root}/list/0/x/2/y/q"), ("dag-json", "{bad}"),
                    ("dag-json", "{root}/leaf/x/2/y/0"), ("json", "{root}"), ("cbor", "{root}"), ("raw", "{root}"),
                    ("dag-pb", "{root}/leaf")]


@pytest.mark.parametrize(("codec", "path"), DAG_GET_FAILURES)
def test_dag_get_writes_nothing_when_it_fails(kubo: KuboRepo, ours: Ours, broken_dag: dict[str, str],
                                              codec: str, path: str) -> None:
    """Where Kubo's ``dag get`` fails (a path that breaks after a block was found, a missing
    child block, a block that does not decode, a value the output codec cannot hold), ours
    fails too with one line and an empty stdout. Kubo writes what it encoded before a
    ``json``/``cbor`` encoder fails (``{\\n\\t"gone": ``); nothing that looks like a result
    is written here."""
    ref = path.format(**broken_dag)
    theirs = kubo.ipfs("--offline", "dag", "get", "--output-codec", codec, ref, check=False)
    code, out, err = ours.run("dag", "get", "--output-codec", codec, ref)
    assert theirs.returncode == 1 and (code, out) == (1, b""), (ref, theirs.stderr, err)
    assert err.count(b"\n") == 1 and b"Traceback" not in err


@pytest.mark.parametrize("base", ["base36", "z", "base58btc", "f", "base32", ""])
def test_block_stat_and_rm_spell_cids_with_cid_base_as_kubo(kubo: KuboRepo, ours: Ours, base: str) -> None:
    """``block stat`` (``Key:``) and ``block rm`` (``removed CID``) take ``--cid-base`` as Kubo's
    do (a CIDv0 upgraded in any base but base58btc); both were usage errors here."""
    pb_data = f"stat {base}".encode()  # a DAG-PB node: only Data
    for data, flags in ((pb_data + b"\n", ()), (b"\x0a" + bytes([len(pb_data)]) + pb_data, ("--format=v0",))):
        cid = kubo.ipfs("block", "put", *flags, input=data).stdout.decode().strip()
        assert ours.out("block", "put", *flags, stdin=data).decode().strip() == cid
        same(kubo, ours, "block", "stat", f"--cid-base={base}", cid)
        same(kubo, ours, "block", "rm", f"--cid-base={base}", cid)


@pytest.mark.parametrize("command", [("cid", "format"), ("cid", "base32"), ("cid", "inspect"),
                                     ("cid", "format", "-f", "%s %c")], ids=" ".join)
@pytest.mark.parametrize("stdin", [b"", b"\n", b"b\nz\n1\n x\n\n", b"x"], ids=repr)
def test_cid_commands_without_a_cid_or_with_a_short_one_answer_as_kubo(kubo: KuboRepo, ours: Ours,
                                                                       command: tuple[str, ...], stdin: bytes) -> None:
    """No CID at all (no argument, empty stdin) is Kubo's ``argument "cid" is required`` (it
    was an empty success, and ``inspect`` an invalid CID ''); a text under two characters is
    go-cid's ``cid too short`` and one that starts with no multibase prefix ``selected encoding
    not supported``, each named on stderr as Kubo names it."""
    theirs = kubo.ipfs(*command, input=stdin, check=False)
    code, out, err = ours.run(*command, stdin=stdin)
    assert (code, out) == (theirs.returncode, theirs.stdout), (theirs.stderr, err)
    kubo_lines = theirs.stderr.decode().splitlines()
    our_lines = err.decode().splitlines()
    assert our_lines[:-1] == kubo_lines[:-1], (kubo_lines, our_lines)  # each bad entry's line
    assert kubo_lines[-1].removeprefix("Error: ") in our_lines[-1]


@pytest.mark.parametrize("command", [("bases",), ("bases", "--prefix", "--numeric"), ("codecs",), ("codecs", "-n"),
                                     ("hashes",), ("hashes", "--numeric")], ids=" ".join)
def test_cid_tables_in_json_are_kubos(kubo: KuboRepo, ours: Ours, command: tuple[str, ...]) -> None:
    """``cid bases|codecs|hashes --enc=json`` is Kubo's list of ``{"Code", "Name"}`` (the text
    options change nothing); Kubo lists bases and hashes in Go's map order, which changes from
    run to run, so those are compared as sets. It was a usage error."""
    import json

    theirs = kubo.ipfs("cid", *command, "--enc=json").stdout
    mine = ours.out("cid", *command, "--enc=json")
    if command[0] == "codecs":
        assert mine == theirs
    else:
        assert sorted(json.loads(mine), key=str) == sorted(json.loads(theirs), key=str)
        assert mine.endswith(b"}]\n") and b" " not in mine
