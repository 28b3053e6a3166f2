"""The main job on the embedded default, end to end: ``./dev demo`` (``python -m autocodec.demo``).

It initialises a fresh home (``./.autocodec-dev`` unless ``--home`` is given; wiped first when it
is an earlier demo home, i.e. holds the ``DEMO_MARKER`` file the demo writes; any other folder that is
not empty is refused and left untouched),
stores real blocks (a DAG-JSON document with links, encoded to DAG-CBOR), decodes them,
round-trips the DAG through a CAR file, imports the official IPLD codec fixtures CAR when
``../shared/codec-fixtures`` is present, shows a tampered block being refused, and decodes
git objects from a real repository with the git-raw Wasm extension, resolved through the
extension set a new home pins and run in the sandbox.
Every step prints what happened and the equivalent CLI command. Exit 0 on success.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .builtin import cid_for, decode, encode, to_dag_json_text
from .cid import CID
from .errors import AutocodecError, HashMismatch, InvalidInput
from .home import Home
from .registry import Runtime, pin_ls
from .store import BlockStore, CarReader, export_car, import_car

REPO = Path(__file__).resolve().parents[1]
SHARED_FIXTURES_CAR = REPO.parent / "shared" / "codec-fixtures" / "fixtures.car"
DEMO_MARKER = ".autocodec-demo-home"
"""A file the demo writes into every home it makes: only a folder holding it is ever deleted."""
_UNMARKED_DEMO_LAYOUT = frozenset({"cache", "demo.car", "git-demo", "keys", "second", "store.sqlite",
                                   "store.sqlite-wal", "store.sqlite-shm"})
"""What a demo home made before ``DEMO_MARKER`` existed holds, and nothing else."""

DOCUMENT = """{
  "title": "autocodec demo",
  "tags": ["ipld", "wasm", "codecs"],
  "body": {"/": "%(body)s"},
  "attachments": [{"name": "logo", "data": {"/": "%(logo)s"}}],
  "version": 1
}"""


def step(title: str) -> None:
    print(f"\n== {title}")


def say(text: str, cli: str | None = None) -> None:
    print(f"   {text}")
    if cli:
        print(f"   $ {cli}")


def store_document(store: BlockStore) -> CID:
    step("store a DAG-JSON document with links as DAG-CBOR blocks")
    body = b"Codecs, hashers and chunkers as signed, content-addressed Wasm modules.\n"
    logo = bytes(range(256))
    leaves = {}
    for name, data in (("body", body), ("logo", logo)):
        cid = cid_for(data, "raw")
        store.put(cid, data)
        leaves[name] = str(cid)
        say(f"{name}: {len(data)} raw bytes -> {cid}", "autocodec block put FILE")
    text = DOCUMENT % leaves
    value = decode(text.encode(), "dag-json")
    block = encode(value, "dag-cbor")
    root = cid_for(block, "dag-cbor")
    store.put(root, block)
    say(f"document: {len(text)} bytes of DAG-JSON -> {len(block)} bytes of DAG-CBOR -> {root}",
        "autocodec encode --codec dag-cbor doc.json")
    return root


def show_document(store: BlockStore, root: CID) -> None:
    step("decode it back (links print as {\"/\": CID})")
    value = decode(store.get(root), "dag-cbor")
    print("   " + to_dag_json_text(value, pretty=True).replace("\n", "\n   "))
    say(f"body link resolves to: {store.get(value['body']).decode().strip()!r}", f"autocodec decode {root}")


def car_round_trip(store: BlockStore, root: CID, home: Path) -> None:
    step("export the DAG as a CAR and import it into a second store")
    car = home / "demo.car"
    with car.open("wb") as out:
        result = export_car(store, root, out)
    say(f"exported {result.blocks} blocks ({result.bytes} bytes) to {car}", f"autocodec car export {root} -o demo.car")
    with BlockStore.open(Home(home / "second")) as other:
        imported = import_car(other, car)
        same = all(other.get(cid) == store.get(cid) for cid, _ in CarReader(io.BytesIO(car.read_bytes())))
    say(f"imported {imported.blocks} blocks, root {imported.roots[0]}, identical: {same}",
        "autocodec car import demo.car")
    if not same:
        raise SystemExit("demo: the CAR round trip changed a block")


def import_fixtures(store: BlockStore) -> None:
    step("import the official IPLD codec fixtures (fixtures.car)")
    if not SHARED_FIXTURES_CAR.exists():
        say(f"skipped: {SHARED_FIXTURES_CAR} is not present")
        return
    start = time.perf_counter()
    result = import_car(store, SHARED_FIXTURES_CAR)
    took = time.perf_counter() - start
    say(f"verified and stored {result.blocks} blocks ({result.bytes} bytes) in {took * 1000:.0f} ms",
        f"autocodec car import {SHARED_FIXTURES_CAR}")
    per_codec: dict[int, int] = {}
    for cid in store:
        if cid.codec in (0x70, 0x71, 0x0129):
            decode(store.get(cid), cid.codec)
            per_codec[cid.codec] = per_codec.get(cid.codec, 0) + 1
    names = {0x70: "dag-pb", 0x71: "dag-cbor", 0x0129: "dag-json"}
    say("decoded: " + ", ".join(f"{n} {names[c]}" for c, n in sorted(per_codec.items())))


def refuse_tampered(store: BlockStore) -> None:
    step("integrity: a block that does not match its CID is refused")
    cid = cid_for(b"the original bytes", "raw")
    try:
        store.put(cid, b"tampered bytes")
    except HashMismatch as exc:
        say(f"refused: {exc.one_line()}")
    else:
        raise SystemExit("demo: a tampered block was accepted")


def git_objects(workdir: Path) -> list[tuple[str, bytes]]:
    """Raw git objects (``"<type> <len>\\0<body>"``): from a real repository made with ``git``
    when it is installed, else a hand-made blob and tree."""
    git = shutil.which("git")
    if git is None:
        blob = b"blob 6\x00hello\n"
        entry = b"100644 hello.txt\x00" + hashlib.sha1(blob).digest()
        return [("blob", blob), ("tree", b"tree %d\x00" % len(entry) + entry)]
    repo = workdir / "git-demo"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "demo", "GIT_AUTHOR_EMAIL": "demo@example.org", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
           "GIT_COMMITTER_NAME": "demo", "GIT_COMMITTER_EMAIL": "demo@example.org",
           "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z", "HOME": str(workdir), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> bytes:
        return subprocess.run([git, *args], cwd=repo, env=env, check=True, capture_output=True).stdout

    run("init", "-q")
    (repo / "hello.txt").write_text("hello\n")
    run("add", "hello.txt")
    run("commit", "-q", "-m", "first commit")
    objects = []
    for rev in ("HEAD", "HEAD^{tree}", "HEAD:hello.txt"):
        oid = run("rev-parse", rev).decode().strip()
        kind = run("cat-file", "-t", oid).decode().strip()
        body = run("cat-file", kind, oid)
        obj = f"{kind} {len(body)}".encode() + b"\x00" + body
        if hashlib.sha1(obj).hexdigest() != oid:
            raise SystemExit(f"demo: rebuilt git object {oid} does not hash to its id")
        objects.append((kind, obj))
    return objects


def git_via_wasm(rt: Runtime) -> None:
    step("decode git objects with the git-raw Wasm extension (signed, pinned, sandboxed)")
    res = rt.resolve("codec", 0x78)
    if not res.found:
        say(f"skipped: no git-raw codec ({res.why})")
        return
    say(f"codec 0x78 -> {res.name} {res.version}, module {res.module}, set {res.set_name!r} ({res.source})",
        "autocodec resolve codec git-raw")
    first: CID | None = None
    for kind, data in git_objects(rt.home.root):
        cid = rt.cid_for(data, "git-raw", "sha1")
        rt.decode_block(cid, data)  # refuse a malformed object before storing it
        rt.store.put(cid, data)
        value = rt.decode(cid)
        first = first or cid
        text = to_dag_json_text(value)
        say(f"{kind} {cid.digest.hex()} -> {cid}:")
        say(f"  {text if len(text) <= 300 else text[:300] + ' ...'}", f"autocodec decode {cid}")
    if first is not None:
        result = export_car(rt.store, first, io.BytesIO(), links=rt.links)
        say(f"the DAG under {first} walked with the extension's links: {result.blocks} blocks",
            f"autocodec car export {first} -o git.car")


def _made_by_demo(home: Path) -> bool:
    """True for a folder holding ``DEMO_MARKER``, or holding only what an earlier demo (one from
    before the marker) made, ``demo.car`` and ``second/`` among it."""
    if (home / DEMO_MARKER).is_file():
        return True
    names = {entry.name for entry in home.iterdir()}
    return {"demo.car", "second"} <= names <= _UNMARKED_DEMO_LAYOUT


def fresh_home(home: Path) -> None:
    """Make ``home`` an empty, marked demo home.

    Invariant: a folder is deleted only when an earlier demo made it (``_made_by_demo``: it holds
    ``DEMO_MARKER``, or only a pre-marker demo's files); a missing or empty folder is used as is; anything else (a real home, ``.``, a file) raises
    ``InvalidInput`` and nothing on disk changes.
    """
    if home.is_dir() and _made_by_demo(home):
        shutil.rmtree(home)
    elif home.is_dir() and any(home.iterdir()):
        raise InvalidInput(f"{home} is not empty and is not a home an earlier demo made; it was left untouched",
                           hint="name a new or empty folder for the demo home")
    elif home.exists() and not home.is_dir():
        raise InvalidInput(f"{home} is not a folder; it was left untouched",
                           hint="name a new or empty folder for the demo home")
    Home(home).init()
    (home / DEMO_MARKER).write_text("made by the autocodec demo; the next demo run deletes this folder\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autocodec.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path.cwd() / ".autocodec-dev",
                        help="new or empty folder for the demo home, or one an earlier demo made (deleted and "
                             "made again); default ./.autocodec-dev")
    args = parser.parse_args(argv)
    home = args.home.resolve()
    try:
        fresh_home(home)
    except AutocodecError as exc:
        print(f"demo: {exc.one_line()}", file=sys.stderr)
        return 1
    print(f"autocodec demo: fresh home at {home}")
    try:
        with Runtime(Home(home)) as rt:  # a new home pins the extension set shipped in the package
            store = rt.store
            say(f"pinned extension sets: {', '.join(p.name for p in pin_ls(rt)) or 'none'}", "autocodec init")
            root = store_document(store)
            show_document(store, root)
            car_round_trip(store, root, home)
            import_fixtures(store)
            refuse_tampered(store)
            git_via_wasm(rt)
            corrupt = store.check()
            if corrupt:
                raise SystemExit(f"demo: blocks failed the read-back check: {corrupt}")
            total = len(store)
    except AutocodecError as exc:
        print(f"demo failed: {type(exc).__name__}: {exc.one_line()}", file=sys.stderr)
        return 1
    step("done")
    say(f"{total} blocks in {home / 'store.sqlite'}, all verified on the way in and re-checked on the way out")
    exe = Path(sys.executable).with_name("autocodec")
    cli = str(exe) if exe.exists() else f"{sys.executable} -m autocodec"
    say(f"explore: AUTOCODEC_HOME={home} {cli} dag get {root}/body")
    if exe.exists() and shutil.which("autocodec") != str(exe):
        say(f"(to type just `autocodec`: . {exe.parent}/activate)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
