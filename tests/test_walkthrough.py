"""What a newcomer meets following README.md and docs/ step by step, as a publisher and as a user.

Each test is one step a walk through the docs found missing or wrong: the step as the docs now
give it, run on real homes, keys, signatures and modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec.errors import AutocodecError, InvalidInput
from autocodec.registry import (
    Runtime,
    add_manifest,
    export_set,
    get_set,
    init_set,
    pin_add,
    pin_ls,
    pin_update,
    publish_module,
    publish_set,
    remove_entry,
)
from autocodec.registry._signers import SignersRefused
from autocodec.verify import KeyRing, SigningKey

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[tuple[Runtime, KeyRing]]:
    rt = Runtime(tmp_path / "publisher", default_set=False)
    yield rt, KeyRing(rt.home.keys_dir)
    rt.close()


def _one_version(rt: Runtime, key: SigningKey) -> None:
    init_set(rt, "s", [key], ["old"])
    add_manifest(rt, "s", publish_module(rt, GIT_RAW, key).manifest_cid)
    publish_set(rt, "s", [key])


def test_a_publisher_rotates_the_sets_keys_and_users_follow(publisher: tuple[Runtime, KeyRing],
                                                              tmp_path: Path) -> None:
    """docs/trust.md "Rotating a set's keys": the SignersRefused hint sent publishers to "a new
    root", which nothing made; ``rotate_keys`` signs root N+1 with the old and the new keys."""
    from autocodec.registry import rotate_keys

    rt, ring = publisher
    old, new, stranger = ring.generate("old"), ring.generate("new"), ring.generate("stranger")
    _one_version(rt, old)
    bundle = tmp_path / "s.car"
    export_set(rt, "s", bundle)
    with Runtime(tmp_path / "user", default_set=False) as user:
        pin_add(user, str(bundle))
        with pytest.raises(SignersRefused, match="root keys"):
            rotate_keys(rt, "s", [stranger], [new], ["new"])
        assert get_set(rt, "s").root_version == 1  # nothing signed
        state = rotate_keys(rt, "s", [old], [new], ["new"])
        assert (state.root_version, state.key_names) == (2, ("new",))
        with pytest.raises(SignersRefused, match="index keys"):
            publish_set(rt, "s", [old])
        publish_set(rt, "s", [new])
        export_set(rt, "s", bundle)
        (moved,) = pin_update(user)
        assert not isinstance(moved, AutocodecError) and moved.changed and moved.version == 2
        assert user.resolve("codec", "git-raw").source == "extension"
        assert [p.version for p in pin_ls(user)] == [2]


def test_the_trust_pages_rotation_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/trust.md "Rotating a set's keys", in a home that published `myset` with `alice` and
    holds `carol`: root v2 lists carol, the bundle written verifies as an update."""
    home = tmp_path / "home"
    monkeypatch.setenv("AUTOCODEC_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    _myset_published_by_alice(home, tmp_path / "v1.car")
    with Runtime(home, default_set=False) as rt:
        KeyRing(rt.home.keys_dir).generate("carol")
    code = re.findall(r"```python\n(.*?)```", _rotation_section(), re.S)[0]
    exec(compile(code, "trust.md", "exec"), {})
    _check_rotated_to_carol(home, tmp_path)


def _rotation_section() -> str:
    return (REPO / "docs" / "trust.md").read_text().split("## Rotating a set's keys", 1)[1]


def _myset_published_by_alice(home: Path, bundle: Path) -> None:
    """A publisher's home: key alice, set myset v1 (git-raw) signed by her, exported to ``bundle``."""
    with Runtime(home, default_set=False) as rt:
        alice = KeyRing(rt.home.keys_dir).generate("alice")
        init_set(rt, "myset", [alice], ["alice"])
        add_manifest(rt, "myset", publish_module(rt, GIT_RAW, alice).manifest_cid)
        publish_set(rt, "myset", [alice])
        export_set(rt, "myset", bundle)


def _check_rotated_to_carol(home: Path, tmp_path: Path) -> None:
    """Root v2 and index v2 name carol, and a user who pinned v1.car follows to bundle.car's v2."""
    with Runtime(home, default_set=False) as rt:
        state = get_set(rt, "myset")
        assert (state.root_version, state.index_version, state.key_names) == (2, 2, ("carol",))
    with Runtime(tmp_path / "user", default_set=False) as user:
        pin_add(user, str(tmp_path / "v1.car"))
        assert pin_add(user, str(tmp_path / "bundle.car")).version == 2


def test_set_errors_say_what_to_do_next(publisher: tuple[Runtime, KeyRing]) -> None:
    """`set init` of a name in use and `set remove` of an entry not staged said only "check the input"."""
    rt, ring = publisher
    init_set(rt, "s", [ring.generate("k")], ["k"])
    with pytest.raises(InvalidInput) as again:
        init_set(rt, "s", [ring.load("k")], ["k"])
    assert "choose another name" in again.value.hint
    with pytest.raises(InvalidInput) as absent:
        remove_entry(rt, "s", "codec", 0x78)
    assert "set show" in absent.value.hint


def _try_it(readme: str) -> list[tuple[str, str | None]]:
    """The "Try it before publishing" commands of a scaffold README, each with the output its
    comment promises (None when the comment promises none)."""
    block = readme.split("Try it before publishing:", 1)[1].split("```")[1]
    found = []
    for line in block.strip().splitlines():
        command, _, comment = line.partition("   #")
        comment = comment.strip()
        promised = "CID" if comment == "prints CID" else comment if comment and " " not in comment else None
        found.append((command.strip(), promised))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["codec", "hasher", "chunker", "task"])
def test_each_scaffold_readme_tries_the_module_before_publishing(tmp_path: Path, kind: str) -> None:
    """The scaffold's README ended at `publish`: how to run a module of one's own before
    publishing it (`--module` for codecs, hashers and chunkers; an allow-listed CID for a
    task, which `run` takes no `--module` for) was in no page. Each line runs as written, from
    the folder that holds the module's, CID and FILE standing for what the line before printed
    and for a file."""
    import os
    import shlex
    import subprocess
    import sys

    from autocodec.modkit import build, scaffold

    scaffold(tmp_path / "m", "zig", kind)
    (tmp_path / "m.wasm").write_bytes(build(tmp_path / "m").wasm)
    (tmp_path / "f.txt").write_bytes(b"0123456789")
    env = {**os.environ, "AUTOCODEC_HOME": str(tmp_path / "home")}
    cid = ""
    words = shlex.join([sys.executable, "-m", "autocodec"])
    for command, promised in _try_it((tmp_path / "m" / "README.md").read_text()):
        line = command.replace("autocodec ", words + " ").replace("CID", cid).replace("FILE", "f.txt")
        proc = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, timeout=120)
        assert proc.returncode == 0, (command, proc.stderr.decode())
        out = proc.stdout.decode().strip()
        if promised == "CID":
            cid = out
        elif promised is not None:
            assert out.splitlines()[-1] == promised, (command, out)
        assert out, command


def test_the_readmes_publishing_example_says_how_its_module_takes_over(tmp_path: Path) -> None:
    """README "Publishing and pinning extension sets" publishes a module of a code the default set
    lists, then pins its set in another home: without `--override` that set serves nothing there
    (the first pinned set serves a code), and the README's lines did not say so."""
    text = (REPO / "README.md").read_text().split("## Publishing and pinning extension sets", 1)[1]
    block = text.split("```sh", 1)[1].split("```", 1)[0]
    published = re.search(r"autocodec publish (\S+\.wasm)", block)
    assert published is not None
    from autocodec.loader import inspect_module

    codes = inspect_module((REPO / published[1]).read_bytes()).codes
    with Runtime(tmp_path / "user") as user:  # a new home: the default set pinned
        served_by_default = [c for c in codes if user.resolve("codec", c).source == "extension"]
    assert served_by_default, "the example's module is no longer one the default set serves"
    assert re.search(r"^autocodec pin add bundle\.car --override", block, re.M), block


def test_a_set_that_an_earlier_set_outranks_says_so_when_pinned(publisher: tuple[Runtime, KeyRing],
                                                                tmp_path: Path) -> None:
    """The README's publishing example pinned without ``--override`` in a home with the default
    set: the new set serves none of its codes, and ``pin add`` now says which and why (it said
    nothing); with the override it serves them and says nothing more."""
    import subprocess
    import sys

    rt, ring = publisher
    _one_version(rt, ring.generate("old"))
    bundle = tmp_path / "bundle.car"
    with bundle.open("wb") as out:
        export_set(rt, "s", out)
    env = {"AUTOCODEC_HOME": str(tmp_path / "user"), "PATH": "/usr/bin:/bin"}
    plain = subprocess.run([sys.executable, "-m", "autocodec", "pin", "add", str(bundle)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.startswith("pinned s v1 "), plain.stdout
    said = plain.stderr.strip().splitlines()[-1]
    assert said == ("autocodec: s does not serve codec git-raw (set 'autocodec-default'): the set named serves it "
                    "first; pin s again with --override to let it take over"), plain.stderr
    with Runtime(tmp_path / "user") as user:
        assert user.resolve("codec", "git-raw").set_name == "autocodec-default"
        again = pin_add(user, str(bundle), override=True)
        assert again.shadowed == ()
        assert user.resolve("codec", "git-raw").set_name == "s"
    with Runtime(tmp_path / "other", default_set=False) as alone:
        assert pin_add(alone, str(bundle)).shadowed == ()


def test_the_trust_pages_rotation_commands_run_as_written(tmp_path: Path) -> None:
    """docs/trust.md "Rotating a set's keys", its command lines typed as written in a home that
    published `myset` with `alice`: `set rotate` signs root v2 naming carol (it did not exist),
    the index v2 is carol's, and a user who pinned v1 follows to v2."""
    import shlex
    import subprocess
    import sys

    home = tmp_path / "home"
    _myset_published_by_alice(home, tmp_path / "v1.car")
    sh = re.findall(r"```sh\n(.*?)```", _rotation_section(), re.S)[0]
    lines = [line.split("#", 1)[0].strip() for line in sh.splitlines()]
    env = {"AUTOCODEC_HOME": str(home), "PATH": "/usr/bin:/bin"}
    for line in filter(None, lines):
        argv = shlex.split(line)
        assert argv[0] == "autocodec", line
        done = subprocess.run([sys.executable, "-m", "autocodec", *argv[1:]], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (line, done.stderr)
    _check_rotated_to_carol(home, tmp_path)


@pytest.mark.parametrize(("argv", "document", "codec"), [
    (["encode", "--codec", "dag-cbor"], '{"link": {"/": "bafkrei..."}}', "dag-json"),
    (["dag", "put"], '{"a":', "dag-json"),
    (["dag", "put", "--input-codec", "dag-cbor"], "{", "dag-cbor"),
])
def test_a_document_that_does_not_decode_is_the_users_to_fix(tmp_path: Path, argv: list[str], document: str,
                                                               codec: str) -> None:
    """`encode` and `dag put` of a malformed document: one line, exit 1, and the hint says to fix
    the input (it said to get the block again from a source one trusts, the hint for fetched
    blocks)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "autocodec", *argv], input=document, capture_output=True, text=True,
                          env={"AUTOCODEC_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert (done.returncode, done.stdout) == (1, ""), done
    assert done.stderr.startswith("autocodec: InvalidBlock: ") and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.endswith(f"(fix the input: it is read as {codec})\n"), done.stderr
