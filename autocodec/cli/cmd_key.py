"""``autocodec key gen|list|show|rm|rename|export|import``: Ed25519 signing keys (did:key) kept in
the home folder, moved to and from Kubo in its key file formats (``_keyformats``).

``export`` writes a cleartext key file (mode 0600, a regular file replaced whole, a device or
pipe streamed) to ``-o`` or, as ``ipfs key export``, to ``./NAME.key`` (``./NAME.pem`` in the PEM
format); ``import`` stores it under a new name (encrypted with ``--passphrase-env``). Both name
the key by its DID and its IPNS name (``k51...``: what ``ipfs key ls -l`` shows for it).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from ._actions import command_with_actions
from ._kubo import add_enc_option, enc_line, go_int
from ._options import nonempty
from ._runtime import add_passphrase_env

_FORMAT_HELP = ("the key file's format: libp2p-protobuf-cleartext (Kubo's default, the default) or "
                "pem-pkcs8-cleartext")

EPILOG = """examples:
  autocodec key gen alice                              # prints did:key:z6Mk...
  PASS=s3cret autocodec key gen bob --passphrase-env PASS
  autocodec key list -l                                # NAME, DID and IPNS name (k51...)
  autocodec key export alice -o alice.key              # Kubo's format: ipfs key import alice alice.key
  autocodec key import carol carol.pem -f pem-pkcs8-cleartext   # from ipfs key export -f pem-pkcs8-cleartext
  autocodec key rename carol dave
  autocodec key rm dave
"""


def register(sub: Any) -> None:
    ksub = command_with_actions(sub, "key", "manage Ed25519 signing keys (did:key); export and import them as Kubo's", EPILOG)
    gen = ksub.add_parser("gen", help="create a new key (file mode 0600) and print its DID")
    gen.add_argument("name", help="key name (letters, digits, '.', '_', '-')")
    gen.add_argument("--passphrase-env", metavar="VAR", type=nonempty("an environment variable's name"),
                     help="encrypt the key with the passphrase in environment variable VAR")
    gen.add_argument("--type", "-t", type=_key_type, default="ed25519",
                     help="Kubo's key type: ed25519 (the default, and the only type made here; "
                          "rsa and secp256k1 are refused)")
    gen.add_argument("--size", "-s", type=go_int, default=-1,
                     help="Kubo's key size in bits: an Ed25519 key is always 256 (default -1: unset, as Kubo)")
    add_enc_option(gen, '{"Name", "Id"}, Id the IPNS name (k51...)')
    gen.set_defaults(func=run_gen)
    ls = ksub.add_parser("list", aliases=["ls"], help="list keys and their DIDs")
    ls.add_argument("-l", dest="long", action="store_true", help="also show each key's IPNS name (k51...)")
    add_enc_option(ls, '{"Keys": [{"Name", "Id"}]}, Id the IPNS name (k51...)')
    ls.set_defaults(func=run_list)
    show = ksub.add_parser("show", help="print a key's DID")
    show.add_argument("name")
    show.set_defaults(func=run_show)
    rm = ksub.add_parser("rm", help="remove keys (none is removed if one of them does not exist)")
    rm.add_argument("names", nargs="+", metavar="NAME")
    add_enc_option(rm, '{"Keys": [{"Name", "Id"}]}, Id the IPNS name (k51...)')
    rm.set_defaults(func=run_rm)
    rename = ksub.add_parser("rename", help="rename a key")
    rename.add_argument("old", metavar="NAME")
    rename.add_argument("new", metavar="NEW_NAME")
    rename.add_argument("-f", "--force", action="store_true", help="replace a key that already has NEW_NAME")
    add_enc_option(rename, '{"Was", "Now", "Id", "Overwrite"}, Id the IPNS name (k51...)')
    rename.set_defaults(func=run_rename)
    export = ksub.add_parser("export", help="write a key to a cleartext file Kubo imports (mode 0600)")
    export.add_argument("name")
    export.add_argument("-o", "--output", metavar="FILE",
                        help="where to write it (default: ./NAME.key, or ./NAME.pem in the PEM format, as Kubo)")
    export.add_argument("-f", "--format", default="libp2p-protobuf-cleartext", help=_FORMAT_HELP)
    add_passphrase_env(export)
    export.set_defaults(func=run_export)
    imp = ksub.add_parser("import", help="store a key from a file Kubo exported; print its DID and IPNS name")
    imp.add_argument("name")
    imp.add_argument("file", help="the key file (-: standard input)")
    imp.add_argument("-f", "--format", default="libp2p-protobuf-cleartext", help=_FORMAT_HELP)
    imp.add_argument("--passphrase-env", metavar="VAR", type=nonempty("an environment variable's name"),
                     help="encrypt the key with the passphrase in environment variable VAR")
    add_enc_option(imp, '{"Name", "Id"}, Id the IPNS name (k51...), as Kubo')
    imp.set_defaults(func=run_import)


_taken: dict[str, str] = {}
"""Passphrases this process already took out of its environment, by variable name."""


def passphrase_from_env(var: str | None) -> bytes | None:
    """The passphrase held in environment variable ``var`` (None if no variable was named).

    The variable is removed from this process's environment as it is read, so no child process
    started afterwards (the bounded compiler, bulk workers, build tools) inherits the passphrase;
    a later read in the same process (``main`` called again) gets the value taken, unless the
    variable was set anew."""
    from ..errors import ConfigError

    if var is None:
        return None
    value = os.environ.pop(var, None) or _taken.get(var)
    if not value:
        raise ConfigError(f"environment variable {var} is not set or empty", hint=f"export {var}=... first")
    _taken[var] = value
    return value.encode("utf-8")


def _ring(create: bool = True) -> Any:
    """The home's key ring; ``create`` (for commands that add keys) makes the home first. Without
    it a home folder that does not exist is a ``ConfigError`` (as Kubo's "no repo found") and
    nothing is created: listing, showing, exporting, removing or renaming keys of a home that
    does not exist must not leave an empty home behind."""
    from ..errors import ConfigError
    from ..home import Home
    from ..verify import KeyRing

    home = Home.resolve()
    if create or home.exists():  # a home: its layout checked (a folder replaced by a file is named)
        return KeyRing(home.init().keys_dir)
    if not home.root.is_dir():
        from ._home_check import refuse_file_home

        refuse_file_home(home.root)
        raise ConfigError(f"{home.root} does not exist, so it holds no keys",
                          hint="create it with `autocodec init`, or point --home or $AUTOCODEC_HOME at an "
                               "existing home")
    return KeyRing(home.keys_dir)


KUBO_KEY_TYPES = ("rsa", "ed25519", "secp256k1")
"""The ``--type`` values Kubo 0.43.1's ``key gen`` knows (spelt exactly); another is its
``unrecognized key type: X``."""


def _key_type(text: str) -> str:
    if text not in KUBO_KEY_TYPES:
        raise argparse.ArgumentTypeError(f"unrecognized key type: {text} (give ed25519)")
    return text


def run_gen(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput
    from ..verify._keyformats import UnsupportedKeyType
    from ._io import write_line

    if args.type != "ed25519":  # Kubo makes these; the home's keys sign as did:key Ed25519 only
        raise UnsupportedKeyType(f"cannot make a key of type {args.type}: the keys here are Ed25519 keys",
                                 hint="leave --type out, or give --type=ed25519")
    if args.size not in (-1, 256):
        raise InvalidInput(f"invalid key size {args.size}: ed25519 keys are always 256 bits",
                           hint="leave --size out")
    key = _ring().generate(args.name, passphrase_from_env(args.passphrase_env))
    write_line(enc_line(args, key.did, {"Name": args.name, "Id": _ipns_of_did(key.did)}))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from ._io import write_line

    if args.enc == "json":
        keys = [{"Name": entry.name, "Id": _ipns_of_did(entry.did)} for entry in _ring(create=False).list()]
        write_line(enc_line(args, "", {"Keys": keys}))
        return 0
    for entry in _ring(create=False).list():
        suffix = "\t(encrypted)" if entry.encrypted else ""
        if entry.problem:
            suffix += f"\t(unusable: {entry.problem})"
        ipns = f"\t{_ipns_of_did(entry.did)}" if args.long else ""
        write_line(f"{entry.name}\t{entry.did}{ipns}{suffix}")
    return 0


def _ipns_of_did(did: str) -> str:
    """The IPNS name (k51...) of a did:key; ``?`` for an unusable entry's."""
    from ..errors import AutocodecError
    from ..verify import PublicKey
    from ..verify._keyformats import ipns_name_of_raw

    try:
        return ipns_name_of_raw(PublicKey.from_did(did).raw)
    except AutocodecError:
        return "?"


def run_show(args: argparse.Namespace) -> int:
    from ._io import write_line

    write_line(_ring(create=False).did(args.name))
    return 0


def run_rm(args: argparse.Namespace) -> int:
    from ._io import write_line, write_lines

    ring = _ring(create=False)
    ids = {name: _ipns_of_did(ring.did(name)) for name in args.names if ring.has(name)}
    removed = list(ring.remove(*args.names))
    if args.enc == "json":
        write_line(enc_line(args, "", {"Keys": [{"Name": name, "Id": ids[name]} for name in removed]}))
        return 0
    write_lines(removed)
    return 0


def run_rename(args: argparse.Namespace) -> int:
    from ._io import write_line

    ring = _ring(create=False)
    replaced = args.force and args.old != args.new and ring.has(args.new)
    ring.rename(args.old, args.new, force=args.force)
    ipns = _ipns_of_did(ring.did(args.new))
    text = f"Key {ipns} renamed to {args.new}" + (" with overwriting" if replaced else "")
    write_line(enc_line(args, text, {"Was": args.old, "Now": args.new, "Id": ipns, "Overwrite": replaced}))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from ..verify._keyformats import PEM, check_format, export_key
    from ._io import open_output

    fmt = check_format(args.format)
    output = args.output if args.output is not None else f"{args.name}.{'pem' if fmt == PEM else 'key'}"
    ring = _ring(create=False)
    ring.require(args.name)  # a missing key is named before any passphrase is asked for
    data = export_key(ring.load(args.name, passphrase_from_env(args.passphrase_env)), fmt)
    with open_output(output, mode=0o600) as out:  # never readable by others; a device is written through
        out.write(data)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from ..verify._keyformats import MAX_KEY_FILE_BYTES, InvalidKeyFile, check_format, import_key, ipns_name
    from ._io import read_input, write_line

    fmt = check_format(args.format)
    ring = _ring()
    ring.require_free(args.name)  # refused before the file is read or a passphrase taken
    data = read_input(args.file, MAX_KEY_FILE_BYTES, "key file", error=InvalidKeyFile,
                      hint="a key file is a few hundred bytes: check that it is the file Kubo exported")
    key = ring.add(args.name, import_key(data, fmt), passphrase_from_env(args.passphrase_env))
    ipns = ipns_name(key)
    write_line(enc_line(args, f"{key.did}\t{ipns}", {"Name": args.name, "Id": ipns}))
    return 0
