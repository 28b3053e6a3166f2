"""git-raw against Kubo's own git codec (go-ipld-git as Kubo v0.43.1 runs it), on every object
of real repositories made with the ``git`` binary (tests/_git_corpus.py) and of this project's
own history.

For each object the exact bytes go into Kubo (``block/put --cid-codec git-raw --mhtype sha1``),
``dag/get`` gives Kubo's data model as DAG-JSON, and ``dag/put --input-codec git-raw
--store-codec git-raw --hash sha1`` shows whether Kubo's own decode -> encode keeps the object.
autocodec's decode (the Wasm module, DAG-JSON as ``autocodec decode`` prints it) must equal
Kubo's, exactly, except for the extensions git-raw.ipldsch documents:

- ``bytes``: text that is not UTF-8 is Bytes here; Kubo shows it with U+FFFD per invalid byte;
- ``tree-name``: a tree entry whose name is not UTF-8 also has its exact ``name`` (bytes);
- ``tree-list``: a tree with names out of git's order (or duplicates) is a list;
- ``rawHeaders``: present exactly when Kubo's own dag put does not give the object back;
- objects Kubo cannot decode at all (a non-PGP gpgsig, an ident it cannot split, duplicate
  tree names) must be exactly the ones whose autocodec value shows that extension.

All calls to Kubo go through one daemon's HTTP RPC (multipart batches for the puts).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from autocodec.loader._adapters import Codec
from tests._cli import run_cli
from tests import _git_corpus
from tests._git_corpus import WASM, Corpus, block_of, build_corpus, cat_objects
from tests._git_kubo_compare import KeptAliveRpc, as_json, as_reference, cbor_raw, cid_of, compare, kubo_answer, tree_raw
from tests._kubo import KuboRepo

from .conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs the git binary"),
]

OWN_HISTORY_COMMITS = 100


# --- the corpus ---------------------------------------------------------------------------------------------


def own_history(limit: int) -> dict[str, tuple[str, bytes]]:
    """Objects of this repository's recent history (empty outside a git checkout)."""
    listing = subprocess.run(["git", "-C", str(REPO), "rev-list", "--objects", f"--max-count={limit}", "HEAD"],
                             capture_output=True, check=False)
    oids = sorted({line.split()[0] for line in listing.stdout.decode().splitlines() if line})
    if listing.returncode or not oids:
        return {}
    return cat_objects(REPO, oids)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    made = build_corpus(tmp_path_factory.mktemp("git-corpus"))
    try:
        yield made
    finally:
        made.close()


codec = _git_corpus.codec  # the git-raw module


def test_every_object_agrees_with_kubo(corpus: Corpus, codec: Codec, kubo_node: KuboRepo) -> None:
    if corpus.skipped and os.environ.get("CI"):
        pytest.fail(f"the corpus could not be made in full: {corpus.skipped} (./dev setup installs gpg/ssh-keygen)")
    tally = compare(corpus.objects, codec, kubo_node)
    print("\ngit-raw vs Kubo, corpus made with git:", dict(sorted(tally.items())), "skipped:", corpus.skipped)
    assert tally["tried"] == tally["decoded"] == len(corpus.objects) > 3000
    assert {kind for kind, _ in corpus.objects.values()} == {"blob", "tree", "commit", "tag"}
    # the interesting objects are really there, and the extensions really exercised
    wanted = ["submodule_tree", "latin1", "huge_tree", "dup_tree", "unsorted_tree", "tag_empty_message", "no_author",
              "x509_signed"]
    if corpus.gnupghome is not None:
        wanted += ["gpg_commit", "gpg_tag", "mergetag_gpg"]
    if not any("ssh" in s for s in corpus.skipped):
        wanted += ["ssh_commit", "ssh_tag", "mergetag_ssh"]
    assert set(wanted) <= set(corpus.named)
    assert tally["kubo cannot decode: a gpgsig that is not PGP-armoured"] >= 1
    assert tally["kubo cannot decode: duplicate tree entry names"] == 1
    assert tally["agree exactly"] > 0.95 * len(corpus.objects)


def test_own_history_agrees_with_kubo(codec: Codec, kubo_node: KuboRepo) -> None:
    objects = own_history(OWN_HISTORY_COMMITS)
    if not objects:
        pytest.skip("not a git checkout")
    tally = compare(objects, codec, kubo_node)
    print("\ngit-raw vs Kubo, this project's history:", dict(sorted(tally.items())))
    assert tally["decoded"] == len(objects)


def test_cli_decode_from_kubo_prints_kubos_model(corpus: Corpus, kubo_node: KuboRepo, tmp_path: Path) -> None:
    """``autocodec decode --node`` and ``--gateway`` (the CLI, blocks fetched from Kubo's RPC API and
    its trustless gateway) print what ``ipfs dag get`` prints."""
    rpc = KeptAliveRpc(kubo_node.api_port)
    home = tmp_path / "home"
    for name in ("octopus", "tag", "submodule_tree", "gpg_commit", "mergetag_gpg"):
        if name not in corpus.named:
            continue
        oid = corpus.named[name]
        cid = str(cid_of(oid))
        rpc.put_many("block/put?cid-codec=git-raw&mhtype=sha1", [corpus.objects[oid][1]])
        status, kubo = rpc.call(f"dag/get?arg={cid}&output-codec=dag-json")
        assert status == 200
        ours = run_cli(home, "decode", cid, "--node", kubo_node.api_multiaddr, "--module", str(WASM))
        assert json.loads(ours.stdout) == json.loads(kubo), name
        via_gateway = run_cli(tmp_path / f"home-{name}", "decode", cid, "--gateway", kubo_node.gateway_url,
                              "--module", str(WASM))
        assert json.loads(via_gateway.stdout) == json.loads(kubo), name


def test_blob_is_the_whole_object_like_kubo(corpus: Corpus, codec: Codec, kubo_node: KuboRepo) -> None:
    oid = next(o for o, (k, b) in corpus.objects.items() if k == "blob" and len(b) > 100)
    block = corpus.objects[oid][1]
    rpc = KeptAliveRpc(kubo_node.api_port)
    rpc.put_many("block/put?cid-codec=git-raw&mhtype=sha1", [block])
    status, kubo = rpc.call(f"dag/get?arg={cid_of(oid)}&output-codec=dag-json")
    assert status == 200 and json.loads(kubo) == as_json(block) == as_json(codec.decode(block))
    assert codec.decode(block).startswith(b"blob %d\0" % (len(block) - block.index(b"\0") - 1))


EMPTY = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
HEAD = f"tree {EMPTY}\nauthor A <a@example.org> 1 +0000\ncommitter A <a@example.org> 1 +0000\n"
REFUSED_BY_KUBO = [  # (object, what Kubo says, what autocodec gives instead: the extension E3/E4)
    (block_of("commit", (HEAD + "gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\nm\n")
                        .encode()), "expected first line of sig", lambda v: v["other"][0].startswith("gpgsig -----BEGIN SSH")),
    (block_of("commit", (HEAD + "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQ\n\nno END line\n").encode()),
     "stream error", lambda v: v["signature"] is None and v["other"] == ["gpgsig -----BEGIN PGP SIGNATURE-----", " ", " iQ"]),
    (block_of("commit", (HEAD + f"mergetag object {EMPTY}\n type tree\n tag t\n \n message to the end\n").encode()),
     "stream error", lambda v: v["mergetag"][0]["message"] == " message to the end\n" and v["message"] == ""),
    (block_of("commit", f"tree {EMPTY}\nauthor nobody\n\nm\n".encode()), "person",
     lambda v: v["author"] is None and v["other"] == ["author nobody"]),
    (block_of("tag", f"object {EMPTY}\ntype tree\ntag t\ntagger nobody\n\nm\n".encode()), "person",
     lambda v: v["tagger"] == {"name": "", "email": "", "date": "", "timezone": ""} and "rawHeaders" in v),
    (block_of("tree", b"100644 a\0" + bytes(20) + b"100644 a\0" + bytes(20)), "repeat map key",
     lambda v: [e["name"] for e in v] == ["a", "a"]),
]


@pytest.mark.parametrize(("block", "kubo_says", "ours"), REFUSED_BY_KUBO)
def test_objects_kubo_refuses_decode_with_the_documented_extension(codec: Codec, kubo_node: KuboRepo, block: bytes,
                                                                  kubo_says: str, ours: Any) -> None:
    import hashlib

    rpc = KeptAliveRpc(kubo_node.api_port)
    rpc.put_many("block/put?cid-codec=git-raw&mhtype=sha1", [block])
    answer = kubo_answer(*rpc.call(f"dag/get?arg={cid_of(hashlib.sha1(block).hexdigest())}&output-codec=dag-json"))
    assert set(answer) == {"error"} and kubo_says in answer["error"]
    value = codec.decode(block)
    assert ours(value) and codec.encode(value) == block


HEADER_POOL = [
    "tree " + EMPTY, "tree " + EMPTY.upper(), "parent " + EMPTY, "author A <a@b> 1 +0000", "author  <a@b>",
    "author A  B <a b@c> 1 +0000 x", "committer C <c@d> 2 -0100", "committer <c@d>", "encoding ISO-8859-1",
    "mergetag object " + EMPTY, " type commit", " tag v1", " tagger T <t@u> 3 +0000", " ", " message line",
    "gpgsig -----BEGIN PGP SIGNATURE-----", " Version: x", " iQ==", " -----END PGP SIGNATURE-----",
    "gpgsig -----BEGIN SSH SIGNATURE-----", " -----END SSH SIGNATURE-----", "x-other value", "HG:extra a:b", "",
    "object " + EMPTY, "type tree", "tag t", "tagger T <t@u> 3 +0000", "tagger nobody", "author", "\r", "a\rb",
]


# what Kubo says on the objects it refuses and autocodec decodes (git-raw.ipldsch E3/E4)
DOCUMENTED_REFUSALS = ("expected first line of sig", "person info", "personInfo", "stream error", "repeat map key")


def line_mutants(blocks: list[bytes], count: int, seed: int) -> list[bytes]:
    """Well-framed commits and tags whose lines were shuffled, dropped, repeated or drawn from a pool
    of the headers (and quirks) the reference reads."""
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(count):
        block = rng.choice(blocks)
        kind = block[: block.index(b" ")]
        lines = block[block.index(b"\0") + 1 :].split(b"\n")
        for _ in range(rng.randint(1, 4)):
            op = rng.randrange(4)
            i = rng.randrange(len(lines) + 1)
            if op == 0:
                lines.insert(i, rng.choice(HEADER_POOL).encode())
            elif op == 1 and lines:
                del lines[min(i, len(lines) - 1)]
            elif op == 2 and lines:
                lines.insert(i, lines[rng.randrange(len(lines))])
            elif lines:
                j = rng.randrange(len(lines))
                lines[min(i, len(lines) - 1)], lines[j] = lines[j], lines[min(i, len(lines) - 1)]
        out.append(block_of(kind.decode(), b"\n".join(lines)))
    return out


def test_line_mutants_agree_with_kubo(corpus: Corpus, codec: Codec, kubo_node: KuboRepo) -> None:
    """A differential fuzz of the line-level emulation: whatever Kubo decodes, autocodec decodes to
    the same model (modulo the documented extensions) and gives back byte for byte."""
    import hashlib

    seeds = [b for k, b in corpus.objects.values() if k in ("commit", "tag")]
    mutants = {hashlib.sha1(b).hexdigest(): b for b in line_mutants(seeds, 800, 0x6172)}
    rpc = KeptAliveRpc(kubo_node.api_port)
    rpc.put_many("block/put?cid-codec=git-raw&mhtype=sha1", list(mutants.values()))
    tally: Counter[str] = Counter()
    problems = []
    for oid, block in sorted(mutants.items()):
        kind = block[: block.index(b" ")].decode()
        kubo = kubo_answer(*rpc.call(f"dag/get?arg={cid_of(oid)}&output-codec=dag-json"))
        try:
            value = codec.decode(block)
        except Exception as e:  # noqa: BLE001 - tallied and checked below
            tally["autocodec refuses"] += 1
            if "error" not in kubo and "no 'tree" not in str(e) and "no 'object" not in str(e):
                problems.append(f"{block!r}: autocodec refuses ({e}) what Kubo decodes")
            continue
        if codec.encode(value) != block:
            problems.append(f"{block!r}: does not round-trip")
        if set(kubo) == {"error"}:
            tally[f"kubo refuses ({kubo['error'][:40]}), autocodec decodes (extension)"] += 1
            if not any(why in kubo["error"] for why in DOCUMENTED_REFUSALS):
                problems.append(f"{block!r}: Kubo refuses it for an undocumented reason: {kubo['error']}")
            continue
        used: set[str] = set()
        if as_json(as_reference(kind, value, used)) != kubo:
            problems.append(f"{block!r}:\n  autocodec {as_json(value)}\n  kubo      {kubo}")
        else:
            tally["agree"] += 1
    print("\ngit-raw vs Kubo, line mutants:", dict(tally))
    assert not problems, "\n".join(problems[:10]) + f"\n({len(problems)} problems)"
    assert tally["agree"] > 400


def random_trees(count: int, seed: int) -> list[bytes]:
    """Trees of names git writes and names it does not: UTF-8, latin-1, broken sequences, names
    that tie in git's order, in git's order or shuffled, sometimes with a duplicate."""
    import random

    rng = random.Random(seed)
    pool = [b"a", b"a.b", b"a-b", b"a0", b"b", b"caf\xc3\xa9", b"caf\xe9", b"\xff", b"\xe2\x82", b"x\xed\xa0\x80",
            b"\xf0\x9f\x98\x80", b"README.md", b" lead", b"trail ", b"\xef\xbf\xbd"]
    modes = [b"100644", b"100755", b"120000", b"40000", b"160000"]
    out = []
    for _ in range(count):
        names = rng.sample(pool, rng.randint(0, 6))
        entries = [(rng.choice(modes), n, rng.randbytes(20)) for n in names]
        if rng.random() < 0.6:
            entries.sort(key=lambda e: e[1] + (b"/" if e[0] == b"40000" else b""))
        else:
            rng.shuffle(entries)
        if entries and rng.random() < 0.1:
            entries.append(entries[0])
        out.append(block_of("tree", b"".join(m + b" " + n + b"\0" + h for m, n, h in entries)))
    return out


def test_random_trees_agree_with_kubo(codec: Codec, kubo_node: KuboRepo) -> None:
    """Every tree Kubo decodes has exactly Kubo's entries (names compared as bytes, Kubo's DAG-CBOR);
    the ones it refuses have duplicate names."""
    import hashlib

    trees = {hashlib.sha1(b).hexdigest(): b for b in random_trees(300, 0x7EE)}
    rpc = KeptAliveRpc(kubo_node.api_port)
    rpc.put_many("block/put?cid-codec=git-raw&mhtype=sha1", list(trees.values()))
    tally: Counter[str] = Counter()
    for oid, block in sorted(trees.items()):
        value = codec.decode(block)
        assert codec.encode(value) == block
        status, cbor = rpc.call(f"dag/get?arg={cid_of(oid)}&output-codec=dag-cbor")
        if status != 200 or not cbor:
            assert isinstance(value, list) and len({e["name"] for e in value}) < len(value), (block, cbor)
            tally["kubo refuses: duplicate names"] += 1
            continue
        assert cbor_raw(cbor) == tree_raw(value), block
        if isinstance(value, dict):  # and the keys are those of Kubo's DAG-JSON (E2)
            shown = kubo_answer(*rpc.call(f"dag/get?arg={cid_of(oid)}&output-codec=dag-json"))
            assert as_json(as_reference("tree", value, set())) == shown, block
        tally[f"agree ({'list' if isinstance(value, list) else 'map'} form)"] += 1
    print("\ngit-raw vs Kubo, random trees:", dict(tally))
    assert tally["agree (map form)"] > 50


PATHS_INTO = {  # named corpus object -> paths through its unusual parts that Kubo resolves
    "mergetag_gpg": ["/mergetag", "/mergetag/0/object", "/mergetag/0/object/tree/README.md", "/mergetag/0/tagger/name",
                     "/mergetag/0/message", "/signature", "/parents/1", "/parents/1/message"],
    "mergetag_plain": ["/mergetag", "/parents/1/tree/side-plain.txt/hash"],  # an unsigned tag merged: git writes no mergetag
    "mergetag_odd": ["/mergetag/1/object", "/mergetag/0/message", "/signature"],
    "gpg_tag": ["/object", "/object/tree/signed.txt", "/message", "/tagger", "/type"],
    "tag_of_tag": ["/object", "/object/object", "/object/object/tree/README.md/hash", "/object/tag", "/type"],
    "submodule_tree": ["", "/sub", "/sub/hash", "/sub/mode", "/sub/hash/tree", "/sub/hash/tree/lib.c/hash"],
    "submodule_commit": ["/tree/vendor/hash/sub/hash", "/tree/.gitmodules/hash", "/tree/link/hash", "/tree/link/mode",
                         "/tree/bin/hash/run.sh/mode", "/tree/empty/hash"],
    "root_tree": ["/caf\u00e9 \u2603.txt", "/caf\u00e9 \u2603.txt/hash", "/foo-bar/hash", "/foo/hash/inner/hash",
                  "/src/hash/deep/hash/er/hash"],
    "octopus": ["/parents/3", "/parents/3/tree/b3.txt/hash", "/message"],
    "extra_headers": ["/other", "/other/1", "/encoding"],
    "no_author": ["/author", "/committer"],
    "tag_no_tagger": ["/tagger", "/tagger/name"],
    "tag_empty_message": ["/message", "/object"],
    "gpg_version_line": ["/signature"],
    "multiline_other": ["/other/2"],
}


def test_paths_into_unusual_objects_resolve_like_kubo(corpus: Corpus, kubo_node: KuboRepo, tmp_path: Path) -> None:
    """``dag get`` and ``dag resolve`` of paths through mergetags, signatures, tags of tags, a
    submodule's gitlink into the submodule's own commit, odd names: Kubo's value and landing
    block, resolved here by the runtime over git-raw (none of these meets an extension)."""
    from autocodec.dag import resolve
    from autocodec.registry import Runtime

    rpc = KeptAliveRpc(kubo_node.api_port)
    rpc.put_many("block/put?cid-codec=git-raw&mhtype=sha1", [block for _, block in corpus.objects.values()])
    problems, tried = [], 0
    with Runtime(tmp_path / "home", modules=[WASM]) as rt:
        for _, block in corpus.objects.values():
            rt.put(block, "git-raw", "sha1")
        for name, paths in PATHS_INTO.items():
            if name not in corpus.named:
                continue
            for path in paths:
                ref = f"{cid_of(corpus.named[name])}{path}"
                ours = resolve(rt, ref)
                status, got = rpc.call(f"dag/get?arg={quote(ref)}&output-codec=dag-json")
                status2, landed = rpc.call(f"dag/resolve?arg={quote(ref)}")
                tried += 1
                if status != 200 or json.loads(got) != as_json(ours.value):
                    problems.append(f"{name}{path}: dag get: kubo {got[:200]!r}, autocodec {as_json(ours.value)!r:.200}")
                elif status2 != 200 or json.loads(landed) != {"Cid": {"/": str(ours.cid)}, "RemPath": ours.remainder_path()}:
                    problems.append(f"{name}{path}: dag resolve: kubo {landed!r}, autocodec {ours.cid} {ours.remainder_path()}")
    assert not problems, "\n".join(problems)
    assert tried >= 40
