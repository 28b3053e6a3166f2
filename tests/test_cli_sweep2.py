"""The CLI sweep's second pass: what the first sweep (``test_cli_sweep.py``) left. Each refusal
is exit 1 (a usage error too, as Kubo 0.43.1) with one line on stderr
(``autocodec COMMAND: error:`` for a usage error), no traceback and nothing on stdout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec.cid import encode_varint
from autocodec.cli import main
from tests._cli import refusal_line

GIT_RAW = Path(__file__).resolve().parents[1] / "wasm-src" / "git-raw" / "git-raw.wasm"


@pytest.fixture()
def cli(home: Path, capsysbinary: pytest.CaptureFixture[bytes]):  # type: ignore[no-untyped-def]
    """``autocodec ARGS`` in this process on the test's home: (exit status, stdout, stderr)."""
    def run(*args: str) -> tuple[int, bytes, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # a usage error: argparse exits
            code = int(exc.code or 0)
        out, err = capsysbinary.readouterr()
        return code, out, err.decode(errors="replace")

    return run


def _refused(result: tuple[int, bytes, str], usage: bool = False) -> str:
    """The one line a refusal printed; asserts its shape (``refusal_line``)."""
    return refusal_line(*result, usage)


def _sparse(path: Path, size: int) -> str:
    """A file of ``size`` zero bytes (sparse: nothing written)."""
    with open(path, "wb") as f:
        f.truncate(size)
    return str(path)


# --- an input over its cap: the hint fits what was read -------------------------------------------


_NOT_A_BLOCK = ("UnixFS", "max_block_bytes")


@pytest.mark.parametrize(("args", "size", "said", "kind", "unsaid"), [
    (["block", "put", "FILE"], 4 << 20, "split it (e.g. into a UnixFS DAG)", "InvalidBlock", ()),
    (["dag", "put", "FILE"], 4 << 20, "documents that link to each other", "InvalidBlock", ("UnixFS",)),
    (["encode", "--codec", "dag-cbor", "FILE"], 4 << 20, "documents that link to each other", "InvalidBlock",
     ("UnixFS",)),
    (["run", "--arg", "@FILE", "m", "f"], 4 << 20, "give a smaller file", "InvalidInput", ("UnixFS",)),
    (["name", "inspect", "FILE"], 10 << 10, "at most 10 KiB (IPNS spec)", "InvalidInput", _NOT_A_BLOCK),
    (["ucan", "inspect", "FILE"], 4 << 20, "UCAN token", "InvalidInput", _NOT_A_BLOCK),
    (["module", "test", str(GIT_RAW), "FILE"], 16 << 20, "fewer or smaller vectors", "InvalidInput", _NOT_A_BLOCK),
])
def test_an_input_over_its_cap_gets_a_hint_that_fits_it(cli, tmp_path: Path, args: list[str], size: int,
                                                       said: str, kind: str, unsaid: tuple[str, ...]) -> None:
    """Every capped input was told to 'split it (e.g. into a UnixFS DAG) or raise max_block_bytes',
    a token or an IPNS record too (neither can be split, and max_block_bytes is not their cap)."""
    if args[0] != "module":
        assert cli("init")[0] == 0
    path = _sparse(tmp_path / "input", size + 1)
    line = _refused(cli(*[a.replace("FILE", path) for a in args]))
    assert f"{kind}: the " in line and "-byte limit" in line and said in line, line
    assert not any(word in line for word in unsaid), line


# --- a negative number, however spelled, is an option's value ---------------------------------------


@pytest.mark.parametrize("days", ["-inf", "-nan", "-Infinity", "-1e309"])
@pytest.mark.parametrize("command", ["publish", "set init"])
def test_a_negative_lifetime_spelled_as_a_word_is_the_options_value(cli, days: str, command: str) -> None:
    """``--expires-days -inf`` was argparse's 'expected one argument': only a dash and a digit
    were taken for a value (``dash_values``)."""
    assert cli("key", "gen", "k")[0] == 0
    tail = [str(GIT_RAW)] if command == "publish" else ["s1"]
    line = _refused(cli(*command.split(), "--key", "k", "--expires-days", days, *tail))
    assert "InvalidInput: a lifetime of" in line and "not a number of days" in line, line


def test_an_integer_option_given_minus_inf_says_it_is_not_an_integer(cli) -> None:
    line = _refused(cli("cat", "-l", "-inf", "bafkqaaa"), usage=True)
    assert 'strconv.ParseInt: parsing "-inf": invalid syntax' in line, line


# --- ucan delegate: time bounds a UCAN can hold, named by their option ------------------------------


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--expires", str(2**70), "--expires 1180591620717411303424 ends after the latest time a UCAN can hold"),
    ("--expires", str(2**62), "ends after the latest time a UCAN can hold"),
    ("--not-before", str(2**70), "--not-before 1180591620717411303424 is not a Unix time from 0 to 2^53-1"),
    ("--not-before", "-1", "--not-before -1 is not a Unix time from 0 to 2^53-1"),
    ("--not-before", str(2**40), "it would never be valid"),
])
def test_ucan_delegate_time_bounds_out_of_range_name_the_option(cli, tmp_path: Path, option: str, value: str,
                                                                said: str) -> None:
    """2^70 was an EncodeError about 'the codec's data model', 2^62 an InvalidToken asking for a
    valid token, -1 and a not-before after the expiry were signed (the latter never valid)."""
    assert cli("key", "gen", "k")[0] == 0
    did = cli("key", "show", "k")[1].decode().strip()
    out = tmp_path / "dlg"
    line = _refused(cli("ucan", "delegate", "--key", "k", "--to", did, "--cmd", "/x", option, value, "-o", str(out)))
    assert line.startswith("autocodec: InvalidInput: ") and said in line, line
    assert not out.exists()
    code, printed, _err = cli("ucan", "delegate", "--key", "k", "--to", did, "--cmd", "/x", "--expires", "never",
                              "--not-before", str(2**53 - 1), "-o", str(out))
    assert code == 0 and printed.startswith(b"bafyrei")  # the latest time a UCAN can carry is taken


@pytest.mark.parametrize("at", ["-1", str(2**53), str(2**70)])
def test_ucan_validate_at_a_time_out_of_range_names_the_option(cli, tmp_path: Path, at: str) -> None:
    """``ucan validate --at -1`` was refused by the library naming its own argument
    ("validate_delegation's now ..."), 2**70 the same; the option is named (noted by helper 63)."""
    assert cli("key", "gen", "k")[0] == 0
    did = cli("key", "show", "k")[1].decode().strip()
    token = tmp_path / "dlg"
    assert cli("ucan", "delegate", "--key", "k", "--to", did, "--cmd", "/x", "-o", str(token))[0] == 0
    line = _refused(cli("ucan", "validate", str(token), "--at", at))
    assert line.startswith("autocodec: InvalidInput: --at ") and "Unix time from 0 to 2^53-1" in line, line
    assert cli("ucan", "validate", str(token))[0] == 0


# --- an option that names one thing, given an empty value ------------------------------------------

_SET = "bafyreibstyqq2eknd2qobsexo2qfbgskdbd3u47urplmvqeb54xksavvoe"
_NAME = "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"
_PATH = "/ipfs/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


@pytest.mark.parametrize("args", [
    ["block", "ls", "--codec", ""],  # listed every block
    ["ucan", "validate", "--executor", "", "TOKEN"],  # validated without the executor check
    ["publish", "--key", "k", "--version", "", str(GIT_RAW)],  # published the module's own version
    ["publish", "--key", "k", "--to-node", "", str(GIT_RAW)],  # published to no node
    ["module", "new", "--lang", "c", "--kind", "codec", "--name", "", "DIR"],  # named it after the folder
    ["run", "--key", "", "m", "f"],  # signed with the default executor key
    ["run", "--remote", "", "--key", "k", "m", "f"],
    ["receipt", "verify", "--key", "", "bafkqaaa"],
    ["pin", "update", "--index", "", "autocodec-default"],  # ignored
    ["pin", "add", "--node", "", _SET],  # read the local store
    ["cat", "--node", "", "bafkqaaa"],  # read the local store
    ["name", "resolve", "--node", "", _NAME],
    ["name", "publish", "--key", "k", "--to-node", "", _PATH],  # published to no node
    ["set", "publish", "--key", "k", "--to-node", "", "s1"],
    ["key", "gen", "--passphrase-env", "", "k2"],  # 'environment variable is not set (export =... first)'
    ["ucan", "delegate", "--key", "k", "--passphrase-env", "", "--to", "did:key:x", "--cmd", "/x", "-o", "OUT"],
])
def test_an_empty_value_for_an_option_naming_one_thing_is_a_usage_error(cli, tmp_path: Path,
                                                                       args: list[str]) -> None:
    """An empty value was read as the option left out: every block, a default key or version,
    no node, no executor check."""
    args = [{"TOKEN": str(tmp_path / "t"), "DIR": str(tmp_path / "m"), "OUT": str(tmp_path / "o")}.get(a, a)
            for a in args]
    line = _refused(cli(*args), usage=True)
    assert "the value is empty (give " in line and "or leave the option out)" in line, line
    assert not (tmp_path / "m").exists() and not (tmp_path / "o").exists()


def test_ucan_delegate_with_an_empty_proof_path_is_refused_not_a_root_delegation(cli, tmp_path: Path) -> None:
    """``--proof ""`` was read as no proof: a root delegation was issued instead of a re-delegation."""
    assert cli("key", "gen", "k")[0] == 0
    did = cli("key", "show", "k")[1].decode().strip()
    out = tmp_path / "dlg"
    line = _refused(cli("ucan", "delegate", "--key", "k", "--to", did, "--cmd", "/x", "--proof", "", "-o", str(out)))
    assert "InvalidInput: the input path is empty" in line and not out.exists()


# --- help and version text with standard output closed ---------------------------------------------


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["dag", "--help"], ["bao", "decode", "--help"]])
def test_help_and_version_with_stdout_closed_are_one_line_not_on_stderr(tmp_path: Path, args: list[str]) -> None:
    """argparse wrote them to stderr when stdout was closed (``>&-``), and exited 0."""
    proc = subprocess.run([sys.executable, "-m", "autocodec", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1), timeout=60,
                          env={**os.environ, "AUTOCODEC_HOME": str(tmp_path / "home")})
    line = _refused((proc.returncode, b"", proc.stderr.decode(errors="replace")))
    assert line == "autocodec: InvalidInput: standard output is closed (send the output to a file or a pipe)"


# --- add --chunker: the spellings Kubo takes, and the CIDs it gives ---------------------------------

CHUNKER_SPELLINGS = [
    "", "default", "size-0", "size-1", "size-262144", "size-2096896", "size-2096897", "size-99999999999999999999",
    "size--1", "size-", "size", "size-5-6", "size-+5", "size-0x10", "size- 5", "size-5 ", " size-5", "size-1_0",
    "SIZE-5", "Size-1024", "sizex-5",
    "rabin", "rabin-0", "rabin-1", "rabin-47", "rabin-48", "rabin-262144", "rabin-1398101", "rabin-",
    "rabin--5", "rabin-16-32", "rabin-16-32-64-128", "rabin-16-32-64", "rabin-64-32-16", "rabin-16-16-16",
    "rabin-0-0-0", "rabin-15-32-64", "rabin-1-2-3", "rabin-16-32-2096896", "rabin-16-32-2096897",
    "rabin-min:16-avg:32-max:64", "rabin-max:64-avg:32-min:16", "rabin-x:16-avg:32-max:64", "rabin- 16-32-64",
    "rabinX", "RABIN", "buzhash", "buzhash-5", "buzhashX", "BUZHASH", "foo",
]
"""``--chunker`` spellings compared with Kubo: sizes of 0, 1, the limit and past it, huge,
negative, missing or extra; rabin with 0, 1, 3 and 4 numbers, out of order, zeros, labels;
buzhash; unknown names; upper case; spaces."""


@pytest.mark.slow
def test_add_chunker_spellings_are_refused_or_taken_as_kubo_does(cli, tmp_path: Path) -> None:
    """Differential against Kubo v0.43.1 (``ipfs add --only-hash -Q --chunker=SPEC``, offline in
    a temp repo): where Kubo refuses a spelling, ``autocodec add`` refuses it in one line; where
    Kubo takes it, the root CID is the same. A file of 2.2 MB checks the rabin spellings that
    make one chunk per file (Kubo: 'object size limit exceeded')."""
    import random

    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    kubo = KuboRepo.create(tmp_path / "kubo")
    assert cli("init")[0] == 0
    rng = random.Random(7)
    small, big = tmp_path / "small.bin", tmp_path / "big.bin"
    small.write_bytes(rng.randbytes(300_000))
    big.write_bytes(rng.randbytes(2_200_000))
    cases = [(spec, small) for spec in CHUNKER_SPELLINGS] + [(spec, big) for spec in ("rabin-0", "rabin-47")]
    differ = []
    for spec, path in cases:
        theirs = kubo.ipfs("add", "--only-hash", "-Q", f"--chunker={spec}", path, check=False)
        code, out, err = cli("add", "--only-hash", "-Q", "-s", spec, str(path))
        if theirs.returncode != 0:
            if not (code == 1 and not out and len(err.splitlines()) == 1 and err.startswith("autocodec: ")):
                differ.append(f"{spec!r} on {path.name}: Kubo refuses, we exited {code}: {out!r} {err!r}")
        elif (code, out.strip()) != (0, theirs.stdout.strip()):
            differ.append(f"{spec!r} on {path.name}: Kubo gives {theirs.stdout.strip()!r}, we exited {code}: "
                          f"{out!r} {err!r}")
    assert not differ, "\n".join(differ)


# --- a module over the size cap: told to be smaller, not about the ABI ------------------------------


@pytest.mark.parametrize("args", [["publish", "--key", "k", "BIG"], ["module", "inspect", "BIG"],
                                  ["module", "test", "BIG"], ["add", "--module", "BIG", "BIG"]])
def test_a_module_over_the_size_cap_is_told_to_be_smaller(cli, tmp_path: Path, args: list[str]) -> None:
    """The hint was ModuleRejected's own, 'the module does not satisfy autocodec ABI v1'; it is a
    ModuleTooLarge (a ModuleRejected) with a hint about its size."""
    if args[0] == "publish":
        assert cli("key", "gen", "k")[0] == 0
    big = _sparse(tmp_path / "big.wasm", (8 << 20) + 1)
    line = _refused(cli(*[big if a == "BIG" else a for a in args]))
    assert "ModuleTooLarge: " in line and "over the 8388608-byte module cap" in line, line
    assert "build it smaller" in line and "ABI" not in line, line


# --- the module cap is the home's: config.toml raises (or lowers) it for local module files ------


def _with_custom_section(wasm: bytes, payload: int) -> bytes:
    """``wasm`` with a custom section of ``payload`` zero bytes at its end (still a valid module;
    Wasm's unsigned LEB128 is the multiformats varint)."""
    name = b"padding"
    body = encode_varint(len(name)) + name + bytes(payload)
    return wasm + b"\x00" + encode_varint(len(body)) + body


@pytest.mark.parametrize("args", [["module", "inspect", "MOD"], ["module", "test", "MOD", "VEC"],
                                  ["block", "put", "--module", "MOD", "--codec", "git-raw", "BLOCK"]])
def test_the_module_cap_for_local_module_files_is_the_homes(cli, home: Path, tmp_path: Path, args: list[str]) -> None:
    """The size refusal tells the user to raise max_module_bytes under [limits.sandbox] in
    config.toml, but module files named on the command line were read under the default cap
    (8 MiB), whatever config.toml said: raising it changed nothing, and lowering it let larger
    modules through. Both directions, for each command that reads a module file."""
    big = tmp_path / "big.wasm"
    big.write_bytes(_with_custom_section(GIT_RAW.read_bytes(), 9 << 20))  # past the default cap
    vectors = GIT_RAW.with_name("vectors.json")
    block = tmp_path / "blob.git"
    block.write_bytes(b"blob 3\x00abc")

    def run(module: Path) -> tuple[int, bytes, str]:
        given = {"MOD": str(module), "VEC": str(vectors), "BLOCK": str(block)}
        return cli(*[given.get(a, a) for a in args])

    line = _refused(run(big))
    assert "ModuleTooLarge: " in line and "over the 8388608-byte module cap" in line, line
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[limits.sandbox]\nmax_module_bytes = 16777216\n")
    status, _, err = run(big)
    assert status == 0, err
    (home / "config.toml").write_text("[limits.sandbox]\nmax_module_bytes = 4096\n")
    line = _refused(run(GIT_RAW))
    assert "ModuleTooLarge: " in line and "over the 4096-byte module cap" in line, line


# --- empty codec and hash names: Kubo's default where Kubo takes one, else a usage error -------------


_EMPTY_AS_KUBO = [  # (ours, Kubo's): Kubo 0.43.1 reads each empty value as the option's default
    (["block", "put", "--codec=", "FILE"], ["block", "put", "--cid-codec=", "FILE"]),
    (["block", "put", "--hash=", "--codec=dag-json", "JSON"], ["block", "put", "--mhtype=", "--cid-codec=dag-json", "JSON"]),
    (["block", "put", "--cid-codec=", "--mhtype=sha2-512", "FILE"], ["block", "put", "--cid-codec=", "--mhtype=sha2-512", "FILE"]),
    (["add", "-Q", "--hash=", "FILE"], ["add", "-Q", "--hash=", "FILE"]),
    (["add", "-Q", "--cid-version=1", "--hash=", "FILE"], ["add", "-Q", "--cid-version=1", "--hash=", "FILE"]),
    (["dag", "put", "--hash=", "JSON"], ["dag", "put", "--hash=", "JSON"]),
]


@pytest.mark.slow
def test_an_empty_codec_or_hash_that_kubo_reads_as_its_default_gives_kubos_cid(cli, tmp_path: Path) -> None:
    """``block put --cid-codec= --mhtype=``, ``add --hash=`` and ``dag put --hash=``: Kubo takes
    the option's default; here each was an UnknownCodec/UnknownHash telling the user to pin an
    extension set. Differential against Kubo v0.43.1, offline in a temp repo."""
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    kubo = KuboRepo.create(tmp_path / "kubo")
    data, doc = tmp_path / "data.bin", tmp_path / "doc.json"
    data.write_bytes(b"some bytes\n" * 100)
    doc.write_text('{"a": [1, 2, {"/": "bafkqaaa"}]}')
    files = {"FILE": str(data), "JSON": str(doc)}
    for ours, theirs in _EMPTY_AS_KUBO:
        want = kubo.ipfs(*[files.get(a, a) for a in theirs]).stdout.decode().strip()
        code, out, err = cli(*[files.get(a, a) for a in ours])
        assert (code, out.decode().strip()) == (0, want), (ours, err)


@pytest.mark.parametrize("args", [["encode", "--codec=", "JSON"], ["encode", "--codec=dag-cbor", "--hash=", "JSON"],
                                  ["hash", "--hash=", "FILE"], ["dag", "get", "--output-codec=", "bafkqaaa"],
                                  ["dag", "put", "--store-codec=", "JSON"], ["dag", "put", "--input-codec=", "JSON"]])
def test_an_empty_codec_or_hash_name_without_a_kubo_default_is_a_usage_error(cli, tmp_path: Path,
                                                                            args: list[str]) -> None:
    """Kubo refuses ``dag get --output-codec=`` and ``dag put --store-codec=``/``--input-codec=``
    ('unknown multicodec: ""'); ``encode`` and ``hash`` are ours. Each was an UnknownCodec or
    UnknownHash whose hint said to pin an extension set that provides the codec ''."""
    data, doc = tmp_path / "data.bin", tmp_path / "doc.json"
    data.write_bytes(b"x")
    doc.write_text('{"a": 1}')
    files = {"FILE": str(data), "JSON": str(doc)}
    line = _refused(cli(*[files.get(a, a) for a in args]), usage=True)
    assert "the value is empty" in line, line


# --- set export -o -, pin update's module count, a path's kind, serve --port's help ------------------


def test_set_export_to_dash_writes_the_car_to_stdout_and_pin_update_counts_the_modules(cli, home: Path,
                                                                                       tmp_path: Path) -> None:
    """``set export NAME -o -`` wrote a file named '-' in the current folder (car export's '-' is
    standard output, as the help now says for both). ``pin update`` of a set already at its newest
    version said '(0 modules)' of a set ``pin add`` had reported with 1 (and 1 was '1 modules')."""
    from autocodec.store import CarReader

    assert cli("key", "gen", "k")[0] == 0
    code, out, err = cli("publish", str(GIT_RAW), "--key", "k")
    assert code == 0, err
    manifest = out.decode().strip()
    for args in (["set", "init", "s", "--key", "k"], ["set", "add", "s", manifest], ["set", "publish", "s"]):
        assert cli(*args)[0] == 0
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, out, err = cli("set", "export", "s", "-o", "-")
    finally:
        os.chdir(here)
    assert code == 0 and not (tmp_path / "-").exists(), err
    assert "to standard output" in err
    import io

    blocks = dict(CarReader(io.BytesIO(out)))
    assert len(blocks) >= 3 and GIT_RAW.read_bytes() in blocks.values()
    bundle = tmp_path / "bundle.car"
    bundle.write_bytes(out)
    code, out, err = cli("pin", "add", str(bundle), "--override")
    assert code == 0 and "(1 module) from" in out.decode(), (out, err)
    code, out, err = cli("pin", "update", "s")
    assert code == 0 and "already at s v1" in out.decode() and "(1 module) from" in out.decode(), (out, err)


def test_a_path_below_a_scalar_names_its_kind_with_the_right_article(cli, home: Path, tmp_path: Path) -> None:
    doc = tmp_path / "doc.json"
    doc.write_text('{"n": 5, "s": "x"}')
    code, out, err = cli("dag", "put", str(doc))
    assert code == 0, err
    root = out.decode().strip()
    line = _refused(cli("dag", "get", f"{root}/n/x"))
    assert "is an integer; it has no 'x' below it" in line, line
    line = _refused(cli("dag", "get", f"{root}/s/x"))
    assert "is a string; it has no 'x' below it" in line, line


def test_serve_port_help_says_its_default(cli) -> None:
    code, out, _ = cli("serve", "--help")
    assert code == 0 and "(default 8080)" in " ".join(out.decode().split())


def test_set_remove_and_show_say_what_is_staged_and_not_yet_published(cli, home: Path) -> None:
    """``set remove`` said nothing, and ``set show`` then listed no entry while the published
    version still lists it (reported by helper 67): the two now say the change is staged."""
    assert cli("key", "gen", "k")[0] == 0
    manifest = cli("publish", str(GIT_RAW), "--key", "k")[1].decode().strip()
    for args in (["set", "init", "s", "--key", "k"], ["set", "add", "s", manifest], ["set", "publish", "s"]):
        assert cli(*args)[0] == 0
    code, out, err = cli("set", "show", "s")
    assert code == 0 and err == "" and len(out.decode().splitlines()) == 2
    code, out, err = cli("set", "remove", "s", "codec", "git-raw")
    assert code == 0 and not out and err == "codec git-raw: removed in the next version (`autocodec set publish s` signs it)\n"
    code, out, err = cli("set", "show", "s")
    assert code == 0 and len(out.decode().splitlines()) == 1, out
    assert err == ("autocodec: staged for v2, not yet published: 0 added, 1 removed, 0 replaced since v1 "
                   "(`autocodec set publish s` signs them)\n"), err
    assert cli("set", "add", "s", manifest)[0] == 0
    code, out, err = cli("set", "show", "s")
    assert code == 0 and err == "" and len(out.decode().splitlines()) == 2
