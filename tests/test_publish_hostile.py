"""The publisher's side against bad input: keys, thresholds, module metadata, source trees.

Every refusal is an ``AutocodecError`` with a hint and no command-line options, raised before
anything is signed or stored; through the CLI it is one line and a non-zero exit.
Real modules from wasm-src/, real keys and signatures, real homes; no mocks.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from autocodec import CID, builtin
from autocodec.cli import main
from autocodec.errors import AutocodecError, InvalidInput
from autocodec.registry import (
    Runtime,
    add_manifest,
    export_set,
    get_set,
    init_set,
    pin_add,
    publish_module,
    publish_set,
)
from autocodec.verify import KeyRing, SigningKey

REPO = Path(__file__).resolve().parents[1]
WASM_SRC = REPO / "wasm-src"
GIT_RAW = WASM_SRC / "git-raw" / "git-raw.wasm"


@pytest.fixture
def rt(tmp_path: Path):  # type: ignore[no-untyped-def]
    runtime = Runtime(tmp_path / "publisher", default_set=False)
    yield runtime
    runtime.close()


def _keys(rt: Runtime, *names: str) -> list[SigningKey]:
    ring = KeyRing(rt.home.keys_dir)
    return [ring.generate(n) for n in names]


def _no_cli_flags(exc: AutocodecError) -> None:
    assert "--" not in exc.message and "--" not in (exc.hint or ""), exc


def test_publishing_a_set_below_its_threshold_signs_nothing(rt: Runtime, tmp_path: Path) -> None:
    """A set of 3 keys with threshold 2 published with 1 key: the old code signed and numbered
    index v1 with one signature, a version every reader refuses (ThresholdNotMet)."""
    a, b, c = _keys(rt, "a", "b", "c")
    init_set(rt, "s", [a, b, c], ["a", "b", "c"], threshold=2)
    add_manifest(rt, "s", publish_module(rt, GIT_RAW, a).manifest_cid)
    with pytest.raises(InvalidInput, match="needs 2 signatures") as info:
        publish_set(rt, "s", [a])
    _no_cli_flags(info.value)
    with pytest.raises(InvalidInput, match="needs 2 signatures"):
        publish_set(rt, "s", [a, a])  # a key counts once
    assert get_set(rt, "s").index_version == 0  # nothing signed, no version used up
    outsider = _keys(rt, "x")[0]
    with pytest.raises(InvalidInput, match="not one of its index keys"):
        publish_set(rt, "s", [outsider, a, b])
    assert get_set(rt, "s").index_version == 0
    publish_set(rt, "s", [a, b])  # two of three: a version readers accept
    export_set(rt, "s", tmp_path / "s.car")
    with Runtime(tmp_path / "user", default_set=False) as user:
        assert pin_add(user, str(tmp_path / "s.car")).name == "s"


@pytest.mark.parametrize(("names", "threshold", "message"), [
    (["a"], 3, "threshold of 3 cannot be met by 1 key"),
    (["a", "b"], 0, "threshold of 0 cannot be met"),
    (["a", "a"], 1, "key 'a' given twice"),
])
def test_init_refuses_roles_no_reader_accepts(rt: Runtime, names: list[str], threshold: int, message: str) -> None:
    ring = KeyRing(rt.home.keys_dir)
    for n in sorted(set(names)):
        ring.generate(n)
    keys = [ring.load(n) for n in names]
    with pytest.raises(InvalidInput, match=message) as info:
        init_set(rt, "s", keys, names, threshold=threshold)
    assert "malformed" not in str(info.value) and "ask its publisher" not in (info.value.hint or "")
    _no_cli_flags(info.value)


def test_cli_set_publish_below_threshold_is_one_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for k in ("a", "b"):
        assert main(["key", "gen", k]) == 0
    assert main(["set", "init", "s", "--key", "a", "--key", "b", "--threshold", "2"]) == 0
    assert main(["publish", str(GIT_RAW), "--key", "a"]) == 0
    manifest = capsys.readouterr().out.split()[-1]
    assert main(["set", "add", "s", manifest]) == 0
    capsys.readouterr()
    assert main(["set", "publish", "s", "--key", "a"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs 2 signatures" in err and "Traceback" not in err


# --- the source tree a manifest names ---------------------------------------------------------


def _tree(rt: Runtime, manifest_cid: CID) -> dict[str, CID] | None:
    from autocodec.verify import Manifest, open_envelope

    env = open_envelope(rt.get(manifest_cid), "manifest", max_bytes=1 << 20, max_signatures=8)
    source = Manifest.from_value(env.document, max_module_bytes=1 << 24).source
    if source is None:
        return None
    files: dict[str, CID] = builtin.decode(rt.get(source), "dag-cbor")["files"]
    return files


def test_files_near_a_module_are_not_its_source_tree(rt: Runtime, tmp_path: Path) -> None:
    """A .wasm published from /usr/local/x.wasm took every file of /usr/include and /usr/lib
    (169 system headers here) as its signed 'source tree' and shipped them in the set."""
    (tmp_path / "pub" / "stray").mkdir(parents=True)
    for shared in ("include", "lib"):
        (tmp_path / "pub" / shared).mkdir()
        (tmp_path / "pub" / shared / "private.h").write_text("secret\n")
    (tmp_path / "pub" / "build.py").write_text("")
    wasm = tmp_path / "pub" / "stray" / "x.wasm"
    shutil.copy(GIT_RAW, wasm)
    (tmp_path / "pub" / "stray" / "notes.md").write_text("not the module's\n")
    (key,) = _keys(rt, "a")
    published = publish_module(rt, wasm, key, vectors=GIT_RAW.parent)
    tree = _tree(rt, published.manifest_cid)
    assert tree is not None and "include/private.h" not in tree and "stray/notes.md" not in tree
    assert "git-raw/git.c" in tree  # the vectors' folder names the module: its sources


def test_source_tree_holds_what_the_compiler_read(rt: Runtime) -> None:
    """eth-* modules include ../eth-common/*.h and bao's build.flags sets its memory; the
    trees left both out, so a manifest's sources could not rebuild its module."""
    (key,) = _keys(rt, "a")
    eth = _tree(rt, publish_module(rt, WASM_SRC / "eth-block" / "eth-block.wasm", key).manifest_cid)
    assert eth is not None and {"eth-common/dageth.h", "eth-common/rlp.h", "lib/ac.c", "build.py"} <= set(eth)
    bao = _tree(rt, publish_module(rt, WASM_SRC / "bao" / "bao.wasm", key).manifest_cid)
    assert bao is not None and "bao/build.flags" in bao


def test_default_set_names_the_source_trees_of_wasm_src() -> None:
    """The shipped set's manifests name the trees publishing wasm-src gives now (rebuild it with
    tools/make_default_set.py when this fails)."""
    from autocodec.registry._default import DEFAULT_SET_CAR
    from autocodec.registry._sourcetree import source_tree
    from autocodec.sources import CarSource
    from autocodec.verify import Manifest, open_envelope

    def cid_only(data: bytes, codec: str) -> CID:
        return CID.build({"raw": 0x55, "dag-cbor": 0x71}[codec], b"\x12\x20" + hashlib.sha256(data).digest())

    checked = 0
    for data in CarSource(DEFAULT_SET_CAR).all_blocks().values():
        try:
            env = open_envelope(data, "manifest", max_bytes=1 << 20, max_signatures=8)
        except AutocodecError:
            continue
        manifest = Manifest.from_value(env.document, max_module_bytes=1 << 24)
        assert manifest.source == source_tree(cid_only, WASM_SRC / manifest.name), manifest.name
        checked += 1
    assert checked == len(list(WASM_SRC.glob("*/*.wasm")))


@pytest.mark.slow
def test_a_kit_module_published_beside_its_folder_names_its_sources(home: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The documented path (module new, build -o beside the folder, publish --vectors DIR)
    recorded no source tree at all."""
    folder = tmp_path / "lines"
    assert main(["module", "new", "--lang", "c", "--kind", "codec", str(folder)]) == 0
    assert main(["module", "build", str(folder), "-o", str(tmp_path / "lines.wasm")]) == 0
    assert main(["key", "gen", "me"]) == 0
    capsys.readouterr()
    assert main(["publish", str(tmp_path / "lines.wasm"), "--key", "me", "--vectors", str(folder)]) == 0
    manifest = CID.parse(capsys.readouterr().out.split()[-1])
    with Runtime(home) as rt:
        tree = _tree(rt, manifest)
    assert tree is not None and {"lines/module.c", "lines/module.json", "lines/vectors.json"} <= set(tree)
    # and the kit's SDK its build read (the tree lacked it: no one could rebuild from the tree alone)
    assert {"autocodec-sdk/include/ac.h", "autocodec-sdk/lib/ac.c"} <= set(tree), sorted(tree)
    with Runtime(home) as rt:
        assert rt.get(tree["autocodec-sdk/include/ac.h"]) == (WASM_SRC / "include" / "ac.h").read_bytes()


def _build(rt: Runtime, manifest_cid: CID) -> dict[str, str] | None:
    from autocodec.verify import Manifest, open_envelope

    env = open_envelope(rt.get(manifest_cid), "manifest", max_bytes=1 << 20, max_signatures=8)
    return Manifest.from_value(env.document, max_module_bytes=1 << 24).build


@pytest.mark.slow  # builds a kit module with AssemblyScript
def test_a_manifest_records_the_toolchain_of_its_sources_language(home: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Every manifest said it was built by ziglang cc: AssemblyScript and Rust modules too, and
    a bare .wasm whose sources nobody named."""
    from autocodec.modkit import toolchain
    from autocodec.modkit._sdk import asc_version

    folder = tmp_path / "words"
    assert main(["module", "new", "--lang", "assemblyscript", "--kind", "codec", str(folder)]) == 0
    assert main(["module", "build", str(folder), "-o", str(tmp_path / "words.wasm")]) == 0
    bare = tmp_path / "elsewhere" / "git-raw.wasm"
    bare.parent.mkdir()
    shutil.copy(GIT_RAW, bare)
    shutil.copy(GIT_RAW.parent / "vectors.json", bare.parent / "vectors.json")
    assert main(["key", "gen", "me"]) == 0
    assert main(["key", "gen", "bare"]) == 0  # git-raw's bytes again under "me" would answer its first manifest
    capsys.readouterr()
    published = []
    for wasm, vectors, key in ((tmp_path / "words.wasm", folder, "me"), (GIT_RAW, GIT_RAW.parent, "me"),
                               (bare, bare.parent, "bare")):
        assert main(["publish", str(wasm), "--key", key, "--vectors", str(vectors)]) == 0
        published.append(CID.parse(capsys.readouterr().out.split()[-1]))
    with Runtime(home) as rt:
        builds = [_build(rt, cid) for cid in published]
    assert asc_version() != "unknown"
    assert builds[0] == {"toolchain": "asc (the assemblyscript npm package)", "version": asc_version()}
    assert builds[1] == toolchain("c") and builds[1]["toolchain"].startswith("ziglang")
    assert builds[2] is None  # no folder names the module: nothing is guessed


# --- a key file that is not a key ------------------------------------------------------------------


@pytest.mark.parametrize("pem", [
    b"garbage\n",
    b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
    b"p256",  # replaced by a real P-256 private key below
])
def test_a_key_file_that_is_not_a_key(home: Path, pem: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    """Was a ConfigError pointing at config.toml, with cryptography's text and FAQ URL."""
    from autocodec.verify._keyring import KeyFileInvalid

    if pem == b"p256":
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    keys = home / "keys"
    keys.mkdir(parents=True)
    (keys / "bad.pem").write_bytes(pem)
    (keys / "bad.pem").chmod(0o600)
    with pytest.raises(KeyFileInvalid) as info:
        KeyRing(keys).load("bad")
    assert "config.toml" not in (info.value.hint or "") and "http" not in info.value.message
    _no_cli_flags(info.value)
    assert main(["set", "init", "s", "--key", "bad"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "KeyFileInvalid" in err and "generate a new key" in err
