"""Property tests of the git-raw codec: any well-formed object (by git's framing rules)
decodes, and re-encodes to the identical bytes, whatever mix of headers, idents,
continuation lines, encodings and tree orders it has."""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from . import _git_corpus
from ._git_corpus import go_lossy

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


codec = _git_corpus.codec  # the git-raw module


def hexes() -> st.SearchStrategy[str]:
    return st.binary(min_size=20, max_size=20).map(bytes.hex)


line_bytes = st.binary(max_size=24).map(lambda b: b.replace(b"\n", b" "))
name_bytes = st.one_of(
    st.text(max_size=12).map(str.encode),
    st.binary(max_size=12),
    st.sampled_from([b"", b"a b", b"x<y", b"x>y", b" lead", b"trail ", b"caf\xe9"]),
).map(lambda b: b.replace(b"\n", b" "))


@st.composite
def idents(draw) -> bytes:
    if draw(st.integers(0, 3)):  # mostly the shape git writes, with arbitrary bytes inside
        name = draw(name_bytes).replace(b"<", b"(")
        email = draw(name_bytes).replace(b">", b")")
        date = draw(st.sampled_from([b"0", b"1700000000", b"0001", b"99999999999"]))
        tz = draw(st.sampled_from([b"+0000", b"-0530", b"+1400"]))
        return name + b" <" + email + b"> " + date + b" " + tz
    name = draw(name_bytes)
    email = draw(name_bytes)
    date = draw(st.sampled_from([b"0", b"1700000000", b"", b"x1"]))
    tz = draw(st.sampled_from([b"+0000", b"+051800", b"0000", b""]))
    sep = draw(st.sampled_from([b" ", b"", b"  "]))
    return name + sep + b"<" + email + b">" + sep + date + b" " + tz


def fold(value: bytes) -> bytes:
    return value.replace(b"\n", b"\n ")


@st.composite
def tag_bodies(draw, *, valid: bool = True) -> bytes:
    lines = [b"object " + draw(hexes()).encode(), b"type " + draw(line_bytes), b"tag " + draw(line_bytes)]
    if draw(st.booleans()):
        lines.append(b"tagger " + draw(idents()))
    lines += [draw(line_bytes).lstrip(b" ") or b"x" for _ in range(draw(st.integers(0, 2)))]
    if not valid and draw(st.booleans()):
        lines.reverse()
    body = b"".join(line + b"\n" for line in lines)
    if draw(st.booleans()):
        body += b"\n" + draw(st.binary(max_size=40))
    return body


@st.composite
def headers(draw) -> bytes:
    kind = draw(st.sampled_from(["author", "committer", "encoding", "gpgsig", "mergetag", "parent", "other", "bare"]))
    if kind in ("author", "committer"):
        return kind.encode() + b" " + draw(idents())
    if kind == "encoding":
        return b"encoding " + draw(line_bytes)
    if kind == "gpgsig":
        return b"gpgsig " + fold(draw(st.binary(max_size=60)))
    if kind == "mergetag":
        body = draw(tag_bodies(valid=draw(st.booleans())))
        return b"mergetag " + fold(body[:-1] if body.endswith(b"\n") else body)
    if kind == "parent":
        return b"parent " + draw(hexes()).encode()
    if kind == "bare":
        return draw(st.sampled_from([b"gpgsig", b"author", b"x"]))
    key = draw(st.sampled_from([b"HG:extra", b"gpgsig-sha256", b"x-custom", b"author2"]))
    return key + b" " + fold(draw(st.binary(max_size=30)))


@st.composite
def commits(draw) -> bytes:
    body = b"tree " + draw(hexes()).encode() + b"\n"
    body += b"".join(b"parent " + draw(hexes()).encode() + b"\n" for _ in range(draw(st.integers(0, 3))))
    lines = []
    if draw(st.booleans()):  # the order git writes, each header optional
        for kind in (b"author", b"committer"):
            if draw(st.integers(0, 4)):
                lines.append(kind + b" " + draw(idents()))
        if draw(st.booleans()):
            lines.append(b"encoding " + draw(line_bytes))
        for _ in range(draw(st.integers(0, 2))):
            body_ = draw(tag_bodies())
            lines.append(b"mergetag " + fold(body_[:-1] if body_.endswith(b"\n") else body_))
        if draw(st.booleans()):
            lines.append(b"gpgsig " + fold(draw(st.binary(max_size=60))))
    lines += draw(st.lists(headers(), max_size=6))
    body += b"".join(h + b"\n" for h in lines)
    if draw(st.booleans()):
        body += b"\n" + draw(st.binary(max_size=60))
    return body


def block_of(kind: str, body: bytes) -> bytes:
    return f"{kind} {len(body)}\0".encode() + body


@SETTINGS
@given(commits())
def test_any_commit_round_trips(codec, body: bytes) -> None:
    block = block_of("commit", body)
    value = codec.decode(block)
    assert codec.encode(value) == block
    assert codec.links(block) == [value["tree"], *value["parents"], *(t["object"] for t in value["mergetag"])]
    for field in ("author", "committer", "encoding", "signature"):
        event(f"{field} {'present' if value[field] is not None else 'null'}")
    event(f"mergetags {len(value['mergetag'])}, other lines {min(len(value['other']), 2)}")
    event(f"rawHeaders {'rawHeaders' in value}")


@SETTINGS
@given(tag_bodies())
def test_any_tag_round_trips(codec, body: bytes) -> None:
    block = block_of("tag", body)
    assert codec.encode(codec.decode(block)) == block


MODES = [b"100644", b"100755", b"120000", b"40000", b"040000", b"160000", b"644", b"0"]


@st.composite
def trees(draw) -> list[tuple[bytes, bytes, bytes]]:
    names = st.one_of(
        st.text(min_size=1, max_size=6).map(str.encode),
        st.binary(max_size=6),
        st.sampled_from([b"a", b"a.b", b"a-b", b"a/b", b"\xff"]),
    ).map(lambda b: b.replace(b"\0", b"_"))
    entries = draw(st.lists(st.tuples(st.sampled_from(MODES), names, st.binary(min_size=20, max_size=20)), max_size=8))
    if draw(st.booleans()):  # as git writes them: sorted, directories as if ending in '/'
        entries.sort(key=lambda e: e[1] + (b"/" if int(e[0], 8) & 0o170000 == 0o040000 else b""))
    return entries


def _git_cmp(a: tuple[bytes, bytes, bytes], b: tuple[bytes, bytes, bytes]) -> int:
    (mode_a, name_a, _), (mode_b, name_b, _) = a, b
    n = min(len(name_a), len(name_b))
    if name_a[:n] != name_b[:n]:
        return -1 if name_a[:n] < name_b[:n] else 1
    end = lambda mode, name: name[n] if n < len(name) else (0x2F if int(mode, 8) & 0o170000 == 0o040000 else 0)  # noqa: E731
    return end(mode_a, name_a) - end(mode_b, name_b)


@SETTINGS
@given(trees())
def test_any_tree_round_trips(codec, entries) -> None:
    body = b"".join(mode + b" " + name + b"\0" + sha for mode, name, sha in entries)
    block = block_of("tree", body)
    value = codec.decode(block)
    assert codec.encode(value) == block
    names = [n for _, n, _ in entries]
    # map form only when git's order is strict and names unique; git's comparator
    # (base_name_compare) looks at one byte past the common prefix, a directory's end
    # counting as '/', so directory "a" and a name "a/_" tie just as file "a/" and directory "a" do
    # and with distinct keys: a name that is not UTF-8 is keyed as Go's DAG-JSON shows it (U+FFFD
    # per invalid byte), its exact bytes under "name"
    keys = [go_lossy(n) for n in names]
    canonical = all(_git_cmp(a, b) < 0 for a, b in zip(entries, entries[1:])) and len(set(keys)) == len(keys)
    assert isinstance(value, dict) == canonical
    if canonical:
        for name, key in zip(names, keys):
            assert ("name" in value[key]) == (key.encode() != name)
            assert value[key].get("name", name) == name
    assert hashlib.sha1(codec.encode(value)).digest() == hashlib.sha1(block).digest()
