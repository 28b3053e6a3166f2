"""The Python API around paths and DAGs: the README example runs, ``autocodec.decode`` of an
extension codec, ``export_car`` following every codec's links, no home created by a library call."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import autocodec
from autocodec import _toplevel
from autocodec.errors import UnknownCodec

README = Path(__file__).resolve().parents[1] / "README.md"
GIT_BLOB = b"blob 6\x00hello\n"


@pytest.fixture(autouse=True)
def _no_cached_default_runtime():
    """Each test sees the default home its environment names (the default runtime is per process)."""
    if _toplevel._default is not None:
        _toplevel._default.close()
    _toplevel._default = None
    yield
    if _toplevel._default is not None:
        _toplevel._default.close()
    _toplevel._default = None


def test_readme_use_from_python_example_runs(tmp_path: Path) -> None:
    text = README.read_text()
    section = text[text.index("## Use from Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    source = code.group(1).replace('"/tmp/ac-example"', repr(str(tmp_path / "home")))
    exec(compile(source, "README.md", "exec"), {})  # noqa: S102 - our own README's example


def test_decode_of_an_extension_codec_uses_the_default_home_or_says_how(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("AUTOCODEC_HOME", str(home))
    with pytest.raises(UnknownCodec) as caught:
        autocodec.decode(GIT_BLOB, "git-raw")
    assert "does not exist" in caught.value.message and "runtime=" in caught.value.hint
    assert not home.exists()  # a library call never creates a home
    assert autocodec.decode(b"\xa1aa\x01", "dag-cbor") == {"a": 1}  # builtins need no home
    autocodec.Runtime(home).close()
    value = autocodec.decode(GIT_BLOB, "git-raw")  # now through the default home's pinned set
    with autocodec.Runtime(home) as rt:
        assert value == rt.decode_block(rt.cid_for(GIT_BLOB, "git-raw", "sha1"), GIT_BLOB)


def test_export_car_follows_every_codecs_links_by_default(tmp_path: Path) -> None:
    from autocodec.store import CarReader

    with autocodec.Runtime(tmp_path / "home") as rt:
        blob = rt.put(GIT_BLOB, "git-raw", "sha1")
        tree_body = b"100644 hello.txt\x00" + blob.digest
        tree = rt.put(b"tree %d\x00" % len(tree_body) + tree_body, "git-raw", "sha1")
        root = rt.put(autocodec.encode({"tree": tree}, "dag-cbor"), "dag-cbor")
        for source in (rt, rt.store):
            out = io.BytesIO()
            result = autocodec.export_car(source, root, out)
            assert result.blocks == 3 and not result.missing
            assert [cid for cid, _ in CarReader(io.BytesIO(out.getvalue()))] == [root, tree, blob]
        assert [cid for cid, _ in rt.walk(f"{root}/tree")] == [tree, blob]
        assert rt.resolve(f"{root}/tree/hello.txt/hash").cid == blob
