"""``autocodec set init|add|remove|publish|rotate|export|show``: publish a versioned, signed extension set."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._actions import command_with_actions
from ._options import nonempty
from ._runtime import add_passphrase_env
from ._text import counted

if TYPE_CHECKING:  # pragma: no cover
    from ..cid import CID
    from ..registry import Runtime
    from ..registry._sets import SetState

EPILOG = """examples:
  autocodec set init myset --key alice
  autocodec set add myset MANIFEST_CID
  autocodec set add myset MANIFEST_CID --allow-downgrade   # a deliberate rollback to a lower version
  autocodec set publish myset                       # prints the set CID
  autocodec set export myset -o bundle.car
  autocodec set rotate myset --new-key carol        # root v+1: carol's keys from now on
"""


def register(sub: Any) -> None:
    ss = command_with_actions(sub, "set", "create and publish extension sets (TUF-style: root, index, manifests)", EPILOG)
    init = ss.add_parser("init", help="create a set whose root and index roles are the given keys")
    init.add_argument("name")
    init.add_argument("--key", action="append", required=True, help="key name (repeat for several keys)")
    init.add_argument("--threshold", type=int, default=1, help="signatures needed per role (default 1)")
    init.add_argument("--expires-days", type=float, default=365.0, help="root and default index lifetime")
    add_passphrase_env(init)
    init.set_defaults(func=run_init)
    add = ss.add_parser("add", help="stage a manifest for the next version")
    add.add_argument("name")
    add.add_argument("manifest", metavar="MANIFEST_CID")
    add.add_argument("--allow-downgrade", action="store_true",
                     help="list it even where it is a lower version of the module the set lists (a deliberate "
                          "rollback, marked so in the index for users' updates)")
    add.set_defaults(func=run_add)
    rm = ss.add_parser("remove", help="stop listing (kind, code) in the next version")
    rm.add_argument("name")
    rm.add_argument("kind", choices=["codec", "hasher", "chunker", "crypto", "task", "verifier"])
    rm.add_argument("code", help="code (name or 0x...) or, for chunkers, tasks and verifiers, the name")
    rm.set_defaults(func=run_remove)
    pub = ss.add_parser("publish", help="sign the next version (version + 1, fresh expiry); prints the set CID")
    pub.add_argument("name")
    pub.add_argument("--key", action="append", help="index keys to sign with (default: the set's keys)")
    pub.add_argument("--expires-days", type=float, metavar="DAYS",
                     help="how long the new version stays valid (default: the set's usual lifetime)")
    add_passphrase_env(pub)
    pub.add_argument("--to-node", metavar="ADDR", type=nonempty("a node's address"),
                     help="put every block on this IPFS node, pin it there, and "
                     "point the IPNS key autocodec-set-NAME at this version")
    pub.set_defaults(func=run_publish)
    rot = ss.add_parser("rotate", help="sign the next root, naming new keys for the set's root and index roles; "
                        "prints the root CID")
    rot.add_argument("name")
    rot.add_argument("--new-key", action="append", required=True, metavar="KEY",
                     help="key name of the new roles (repeat for several keys)")
    rot.add_argument("--key", action="append", help="current root keys to sign with (default: the set's keys)")
    rot.add_argument("--threshold", type=int, default=1, help="signatures the new roles need (default 1)")
    rot.add_argument("--expires-days", type=float, metavar="DAYS",
                     help="how long the new root stays valid (default: the set's usual lifetime)")
    add_passphrase_env(rot)
    rot.set_defaults(func=run_rotate)
    ex = ss.add_parser("export", help="write the latest version (root chain, index, manifests, modules, vectors) as a CAR")
    ex.add_argument("name")
    ex.add_argument("-o", "--output", required=True, metavar="FILE", help="the CAR file to write (- for stdout)")
    ex.set_defaults(func=run_export)
    show = ss.add_parser("show", help="what a set lists and its versions")
    show.add_argument("name")
    show.set_defaults(func=run_show)


def _code(kind: str, text: str) -> int | str:
    from ..codes import codec_code, hash_code, key_type_code

    parse: dict[str, Callable[[str], int]] = {"codec": codec_code, "hasher": hash_code, "crypto": key_type_code}
    return parse[kind](text) if kind in parse else text


def run_init(args: argparse.Namespace) -> int:
    from ..registry import Runtime, init_set
    from ..registry._sets import check_set_name
    from ._io import write_line
    from ._runtime import load_keys

    check_set_name(args.name)
    keys = load_keys(args.key, args.passphrase_env)
    with Runtime() as rt:
        state = init_set(rt, args.name, keys, args.key, threshold=args.threshold, expires_days=args.expires_days)
    write_line(str(state.root_cid))
    return 0


def run_add(args: argparse.Namespace) -> int:
    """Stage a manifest; an entry it takes the place of (the way to a new version), and one
    marked as a deliberate rollback, is said on stderr."""
    from ..cid import CID
    from ..codes import entry_name
    from ..errors import ModuleDowngrade
    from ..registry import Runtime, add_manifest, entries
    from ..registry._sets import downgrade_marks
    from ._io import write_line

    manifest = CID.parse(args.manifest)
    with Runtime() as rt:
        before = {(kind, str(key)): old for kind, key, old in entries(rt, args.name)}
        try:
            added = add_manifest(rt, args.name, manifest, allow_downgrade=args.allow_downgrade)
        except ModuleDowngrade as exc:
            raise ModuleDowngrade(exc.message, hint="publish the module under a higher version; add it with "
                                  "--allow-downgrade if going back is deliberate") from None
        marks = downgrade_marks(rt, args.name)
        for kind, key in added:
            write_line(f"{kind}\t{entry_name(kind, key)}\t{args.manifest}")
            old = before.get((kind, str(key)))
            if old is not None and old != manifest:
                print(f"{kind} {entry_name(kind, key)}: replaces {old} in the next version", file=sys.stderr)
            if (kind, str(key), manifest) in marks:
                print(f"{kind} {entry_name(kind, key)}: a lower module version than the set listed, marked as a "
                      "deliberate downgrade", file=sys.stderr)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    """Unstage an entry; says on stderr that it leaves with the next version, as ``add`` says
    what an entry replaces (the published version still lists it)."""
    from ..registry import Runtime, remove_entry

    with Runtime() as rt:
        remove_entry(rt, args.name, args.kind, _code(args.kind, args.code))
    print(f"{args.kind} {args.code}: removed in the next version (`autocodec set publish {args.name}` signs it)",
          file=sys.stderr)
    return 0


def run_publish(args: argparse.Namespace) -> int:
    """Sign the next version. With ``--to-node`` it is recorded as the set's version (and printed)
    only once the node holds it, pinned, under the set's IPNS name; a node that fails before
    leaves the version as it was, and a retry puts the index signed then (``publish_set``)."""
    from ..registry import Runtime, get_set, publish_set
    from ..registry._sets import record_set_version
    from ._io import write_line
    from ._runtime import load_keys

    with Runtime() as rt:
        state = get_set(rt, args.name)
        keys = load_keys(args.key or list(state.key_names), args.passphrase_env)
        if not args.to_node:
            write_line(str(publish_set(rt, args.name, keys, expires_days=args.expires_days)))
            return 0
        from ..registry._tonode import put_pinned, set_pins
        from ..sources import NodeSource
        from ._text import clean

        node = NodeSource(args.to_node, limits=rt.limits.fetch)
        node_keys = node.key_names()  # asked before signing: a node that is down signs nothing
        index_cid = publish_set(rt, args.name, keys, expires_days=args.expires_days, record=False)
        count = put_pinned(node, set_pins(rt, index_cid))
        key_name = f"autocodec-set-{args.name}"
        if key_name not in node_keys:
            node.key_gen(key_name)
        ipns_name = node.name_publish(f"/ipfs/{index_cid}", key_name)
        record_set_version(rt, args.name, index_cid)
    write_line(str(index_cid))
    print(clean(f"autocodec: put {counted(count, 'block')} on {node.addr}, pinned; IPNS /ipns/{ipns_name} -> "
                f"{index_cid}"), file=sys.stderr)
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    """Root N+1 of the set (``registry.rotate_keys``); the next ``publish`` signs with the new keys."""
    from ..registry import Runtime, get_set, rotate_keys
    from ._io import write_line
    from ._runtime import load_keys

    with Runtime() as rt:
        state = get_set(rt, args.name)
        signers = load_keys(args.key or list(state.key_names), args.passphrase_env)
        new_keys = load_keys(args.new_key, args.passphrase_env)
        state = rotate_keys(rt, args.name, signers, new_keys, args.new_key, threshold=args.threshold,
                            expires_days=args.expires_days)
    write_line(str(state.root_cid))
    print(f"autocodec: set {args.name!r} root v{state.root_version} names {', '.join(args.new_key)}; "
          f"the next `autocodec set publish {args.name}` signs with them", file=sys.stderr)
    return 0


def run_export(args: argparse.Namespace) -> int:
    import sys

    from ..registry import Runtime, export_set
    from ._io import open_output, output_target, streaming_stdout

    if args.output == "-":  # as car export: standard output
        with Runtime() as rt, streaming_stdout() as stdout:
            index_cid, count = export_set(rt, args.name, stdout)
        where = "standard output"
    else:
        output_target(args.output)  # an empty path, a folder, a missing folder: refused before any work
        with Runtime() as rt, open_output(args.output) as out:  # replaced only when complete
            index_cid, count = export_set(rt, args.name, out)
        where = args.output
    print(f"autocodec: wrote {counted(count, 'block')} of set {args.name!r} ({index_cid}) to {where}", file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace) -> int:
    """The set's versions, then the entries the next version will list (stdout; an entry marked
    as a deliberate downgrade ends in ``downgrade``); on stderr, a version signed and waiting for
    a node (``set publish --to-node`` failed after signing), and how the staged entries differ
    from the published version, when they do."""
    from ..codes import entry_name
    from ..registry import Runtime, entries, get_set, published_entries
    from ..registry._sets import downgrade_marks
    from ._io import write_line

    with Runtime() as rt:
        state = get_set(rt, args.name)
        write_line(f"set {state.name}: root v{state.root_version} {state.root_cid}; "
                   f"index v{state.index_version} {state.index_cid or '(never published)'}")
        staged = entries(rt, args.name)
        marks = downgrade_marks(rt, args.name)
        for kind, key, mcid in staged:
            marked = "\tdowngrade" if (kind, str(key), mcid) in marks else ""  # set add --allow-downgrade
            write_line(f"{kind}\t{entry_name(kind, key)}\t{mcid}{marked}")
        published = published_entries(rt, args.name)
        next_version = _pending_note(rt, state, staged, marks)
    if published is not None and published != staged:
        before = {(k, str(key)): m for k, key, m in published}
        after = {(k, str(key)): m for k, key, m in staged}
        added = len(after.keys() - before.keys())
        removed = len(before.keys() - after.keys())
        replaced = sum(1 for k in after.keys() & before.keys() if after[k] != before[k])
        print(f"autocodec: staged for v{next_version}, not yet published: {added} added, {removed} removed, "
              f"{replaced} replaced since v{state.index_version} (`autocodec set publish {args.name}` signs them)",
              file=sys.stderr)
    return 0


def _pending_note(rt: "Runtime", state: "SetState", staged: list[tuple[str, int | str, "CID"]],
                  marks: set[tuple[str, str, "CID"]]) -> int:
    """Say on stderr which version ``set publish --to-node`` signed and no node took yet (none: say
    nothing); returns the number the next publish gives the staged entries: the pending one when
    it lists them (``_pending.lists_same``, the rule ``publish_set`` answers it by), else the number
    after it."""
    import time

    from ..registry._pending import lists_same, pending
    from ..registry._sets import _read_index
    from ..verify import Index, IndexEntry

    found = pending(rt, state.name)
    if found is None or found.version <= state.index_version:
        return state.index_version + 1
    name, cid = state.name, found.index_cid
    signed = _read_index(rt, rt.store.get(cid)) if rt.store.has(cid) else None
    listed = tuple(IndexEntry(kind, key, mcid, (kind, str(key), mcid) in marks) for kind, key, mcid in staged)
    wanted = Index(set=name, role="index", version=found.version, expires=0, root=state.root_cid, entries=listed)
    same = signed is not None and lists_same(signed, wanted, int(time.time()))  # publish_set's rule (_pending)
    if same:  # signed with another lifetime than the set's usual one: the retry asks for that one again
        days = "" if found.expires_days == state.expires_days else f" --expires-days {found.expires_days:g}"
        print(f"autocodec: v{found.version} {cid} signed, waiting for a node (the set stays at v{state.index_version}): "
              f"`autocodec set publish {name} --to-node ADDR{days}` puts it", file=sys.stderr)
        return found.version
    print(f"autocodec: v{found.version} {cid} signed, never put on a node, no longer lists what is staged (or "
          f"expired): the next `autocodec set publish {name}` signs v{found.version + 1}", file=sys.stderr)
    return found.version + 1
