"""A codec publisher's journey: scaffold, build reproducibly, test, publish, ship in a set, and
use it on another home; and what the publisher sees when a step goes wrong (one line with what
to do next). The codec is bencode (BEP 3) written again in Zig and AssemblyScript under a
private-use code, so its data model is checked against the shipped bencode module's."""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from tests._cli import refusal_line, run_cli
from tests._wasm_tools import with_meta

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "tests" / "publisher_journey"
BENCODE = REPO / "wasm-src" / "bencode" / "bencode.wasm"
CODE = "0x300001"  # module new's default private-use code


def _b(data: bytes) -> dict[str, dict[str, str]]:
    return {"/": {"bytes": base64.b64encode(data).decode().rstrip("=")}}


#: Blocks and their data model under bencode's mapping (docs of wasm-src/bencode): bytes stay
#: Bytes, dictionaries are maps written in DAG-CBOR key order.
GOOD = [
    (b"i42e", 42), (b"i-3e", -3), (b"i0e", 0), (b"4:spam", _b(b"spam")), (b"0:", _b(b"")),
    (b"le", []), (b"li1ei2ee", [1, 2]), (b"de", {}),
    (b"d3:bar4:spam3:fooi42ee", {"bar": _b(b"spam"), "foo": 42}),
    (b"d3:aaai2e2:zzi1ee", {"zz": 1, "aaa": 2}),
    (b"d1:ald1:bi1eeee", {"a": [{"b": 1}]}),
]
BAD = [b"i-0e", b"i03e", b"ie", b"5:abc", b"d1:bi1e1:ai2ee", b"i1ei2e", b"x", b"l", b"d1:a"]


def _vectors() -> dict[str, object]:
    cases: list[dict[str, object]] = [{"decode": _b(n), "expect": e} for n, e in GOOD]
    cases += [{"decode": _b(n), "error": True} for n in BAD]
    cases += [{"encode": True, "error": True}, {"encode": 1.5, "error": True}]
    return {"kind": "codec", "cases": cases}


def _home(tmp: Path, name: str, *, default_set: bool = False) -> Path:
    """A fresh home (with the shipped set pinned when ``default_set``: it serves bencode)."""
    home = tmp / name
    run_cli(home, "init", *(() if default_set else ("--no-default-set",)))
    return home


def _published_set(tmp: Path, wasm: Path, vectors: Path) -> tuple[Path, str]:
    """A publisher home with key ``me`` and set ``mine`` listing ``wasm`` (published, v1);
    returns the home and the manifest CID."""
    home = _home(tmp, "publisher")
    run_cli(home, "key", "gen", "me")
    manifest = run_cli(home, "publish", str(wasm), "--key", "me", "--vectors", str(vectors)).stdout.decode().strip()
    run_cli(home, "set", "init", "mine", "--key", "me")
    run_cli(home, "set", "add", "mine", manifest)
    run_cli(home, "set", "publish", "mine")
    return home, manifest


# --- what the publisher sees when something is wrong ---------------------------------------------


def test_a_failing_vector_says_to_fix_the_module_or_vector_not_the_abi(tmp_path: Path) -> None:
    """A module that satisfies the ABI but fails one vector: the line said 'the module does not
    satisfy autocodec ABI v1', sending the publisher to the wrong place."""
    vectors = _vectors()
    vectors["cases"][0]["expect"] = 43  # type: ignore[index]
    path = tmp_path / "vectors.json"
    path.write_text(json.dumps(vectors))
    proc = run_cli(tmp_path / "h", "module", "test", str(BENCODE), str(path), check=False)
    lines = proc.stderr.decode().splitlines()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr.decode()
    assert b"FAIL case 0" in proc.stdout
    assert len(lines) == 1 and "1 of 22 test vectors failed" in lines[0], lines
    assert "ABI" not in lines[0] and "FAIL lines" in lines[0], lines[0]


def test_set_add_refuses_other_bytes_under_the_same_version(tmp_path: Path) -> None:
    """Two different modules both called ``bencode 1.0.1`` would reach users; set add staged
    the second silently ('replaces ... in the next version')."""
    vectors = BENCODE.parent
    home, first = _published_set(tmp_path, BENCODE, vectors)
    changed = tmp_path / "bencode.wasm"
    changed.write_bytes(with_meta(BENCODE.read_bytes(), description="the same version, other bytes"))
    # the key that signed 1.0.1 refuses other bytes under it at publish (test_registry_versions);
    # another publisher's key in the same home may sign them, and set add refuses them then
    run_cli(home, "key", "gen", "other")
    second = run_cli(home, "publish", str(changed), "--key", "other", "--vectors", str(vectors)).stdout.decode().strip()
    proc = run_cli(home, "set", "add", "mine", second, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "InvalidInput" in line and "bencode 1.0.1" in line and "new version" in line, line
    assert first in run_cli(home, "set", "show", "mine").stdout.decode()  # nothing staged
    from autocodec.cid import CID
    from autocodec.errors import InvalidInput
    from autocodec.registry import Runtime, add_manifest

    with Runtime(home) as rt, pytest.raises(InvalidInput, match="under the same version"):
        add_manifest(rt, "mine", CID.parse(second))  # the library refuses it too, not the CLI alone

    # the same module signed again (a new manifest, same bytes: by another key) still replaces it,
    # and so does the changed module once it has a version of its own
    run_cli(home, "key", "gen", "third")
    again = run_cli(home, "publish", str(BENCODE), "--key", "third", "--vectors", str(vectors)).stdout.decode().strip()
    assert again != first
    run_cli(home, "set", "add", "mine", again)
    newer = run_cli(home, "publish", str(changed), "--key", "other", "--vectors", str(vectors),
                    "--version", "1.0.2").stdout.decode().strip()
    run_cli(home, "set", "add", "mine", newer)
    assert newer in run_cli(home, "set", "show", "mine").stdout.decode()


def test_set_export_refuses_a_set_that_has_expired(tmp_path: Path) -> None:
    """Exporting an expired version wrote a CAR every home refuses to pin (ExpiredError there);
    now the publisher is told at export, and no file is written."""
    from autocodec.registry import Runtime, publish_set
    from autocodec.verify import KeyRing

    home, _ = _published_set(tmp_path, BENCODE, BENCODE.parent)
    with Runtime(home) as rt:
        key = KeyRing(rt.home.keys_dir).load("me")
        publish_set(rt, "mine", [key], expires_days=1, now=int(time.time()) - 2 * 86400)
    from autocodec.errors import ExpiredError
    from autocodec.registry import export_set

    with Runtime(home) as rt, pytest.raises(ExpiredError, match="expired at"):
        export_set(rt, "mine", tmp_path / "by-the-library.car")  # the library refuses it too
    assert not (tmp_path / "by-the-library.car").exists()
    out = tmp_path / "mine.car"
    proc = run_cli(home, "set", "export", "mine", "-o", str(out), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "ExpiredError" in line and "v2 expired at" in line and "set publish mine" in line, line
    assert not out.exists()
    run_cli(home, "set", "publish", "mine")
    run_cli(home, "set", "export", "mine", "-o", str(out))
    user = _home(tmp_path, "user")
    run_cli(user, "pin", "add", str(out))


# --- the journey, in Zig and AssemblyScript --------------------------------------------------------


def _build_twice(tmp: Path, lang: str, source: Path, name: str) -> Path:
    """Scaffold ``name``, put ``source`` in it, and build it from two folders (another cwd,
    TMPDIR, SOURCE_DATE_EPOCH and time zone): the bytes must be the same."""
    work = tmp / "work"
    work.mkdir(exist_ok=True)
    folder = work / name
    run_cli(tmp / "scratch", "module", "new", "--lang", lang, "--kind", "codec", str(folder))
    suffix = {"zig": ".zig", "assemblyscript": ".ts"}[lang]
    shutil.copyfile(source, folder / f"module{suffix}")
    (folder / "vectors.json").write_text(json.dumps(_vectors()))
    first = tmp / f"{name}-1.wasm"
    run_cli(tmp / "scratch", "module", "build", str(folder), "-o", str(first))

    elsewhere = tmp / "else" / "where"
    shutil.copytree(folder, elsewhere / name)
    (tmp / "tmpdir").mkdir(exist_ok=True)
    second = tmp / f"{name}-2.wasm"
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmp / "tmpdir"), "SOURCE_DATE_EPOCH": "86400", "TZ": "Asia/Tokyo",
           "AUTOCODEC_HOME": str(tmp / "scratch2")}
    subprocess.run([sys.executable, "-m", "autocodec", "module", "build", name, "-o", str(second)], cwd=elsewhere,
                   env=env, check=True, capture_output=True, timeout=120)
    assert first.read_bytes() == second.read_bytes()
    return first


@pytest.mark.slow
@pytest.mark.parametrize("lang, source, name", [("zig", SOURCES / "bencode.zig", "bzig"),
                                                ("assemblyscript", SOURCES / "bencode.ts", "bas")])
def test_publisher_journey(tmp_path: Path, lang: str, source: Path, name: str) -> None:
    if lang == "assemblyscript" and not (REPO / ".cache" / "assemblyscript" / "node_modules").is_dir():
        pytest.skip("AssemblyScript is not installed here (tools/setup.d/60-assemblyscript.sh)")
    wasm = _build_twice(tmp_path, lang, source, name)
    vectors = tmp_path / "work" / name
    # the same vectors pass on the shipped bencode module: the two data models agree
    for module in (wasm, BENCODE):
        out = run_cli(tmp_path / "scratch", "module", "test", str(module), str(vectors / "vectors.json")).stdout
        assert b"22/22 vectors passed" in out, out

    publisher, _ = _published_set(tmp_path, wasm, vectors)
    bundle = tmp_path / "mine.car"
    run_cli(publisher, "set", "export", "mine", "-o", str(bundle))
    user = _home(tmp_path, "user", default_set=True)
    run_cli(user, "pin", "add", str(bundle))
    for block, _ in GOOD:
        ours = run_cli(user, "block", "put", "--codec", CODE, stdin=block).stdout.decode().strip()
        shipped = run_cli(user, "block", "put", "--codec", "bencode", stdin=block).stdout.decode().strip()
        assert run_cli(user, "decode", ours).stdout == run_cli(user, "decode", shipped).stdout


def test_publish_refuses_a_module_over_the_module_cap_before_its_vectors(tmp_path: Path) -> None:
    """A module over the module cap (8 MiB) is ModuleTooLarge before any work. (One of 4 to
    8 MiB was refused too while a module travelled as one raw block; it is now published as a
    UnixFS file DAG: tests/test_bigmod.py.)"""
    from autocodec.errors import ModuleTooLarge
    from autocodec.registry import Runtime, publish_module
    from autocodec.verify import KeyRing

    home = tmp_path / "h"
    run_cli(home, "key", "gen", "me")
    big = tmp_path / "big.wasm"
    big.write_bytes(BENCODE.read_bytes() + b"\0" * (8 << 20))  # the size alone decides
    proc = run_cli(home, "publish", str(big), "--key", "me", "--vectors", str(BENCODE.parent), check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "ModuleTooLarge" in line and "over the 8388608-byte module cap" in line, line
    with Runtime(home) as rt, pytest.raises(ModuleTooLarge, match="module cap"):
        publish_module(rt, big, KeyRing(rt.home.keys_dir).load("me"), vectors=BENCODE.parent)
