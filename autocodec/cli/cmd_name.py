"""``autocodec name inspect|resolve|get|publish``: IPNS records, verified here.

``inspect`` prints a record as Kubo's ``ipfs name inspect`` does (the same fields, validation
results, hex dump and JSON; checked byte for byte against Kubo v0.43.1 in
tests/test_ipns_kubo.py); with ``--verify``, a record that fails the check exits 1 after the
report. ``resolve`` and ``get`` fetch a name's record from the trustless gateway (or node)
given on the command line, verify it here and keep the newest one seen in the home (an older
one is refused afterwards); without one, the home's kept record answers first (while its TTL
runs, then the configured sources, then the kept record until it expires), as for ``cat
/ipns/...``. ``resolve`` of a domain reads its DNSLink (``_dnslink.DOMAIN`` TXT, through the
resolvers of ``[dns.resolvers]``, as Kubo does). ``publish`` signs a record with one of the
home's keys; its sequence is allocated atomically in the home and never again (concurrent
publishers never share one), and a record pointing at its own name is refused. As Kubo's
(``--resolve``, default), the path must reach a block the home holds or fetches. With
``--to-node`` the home keeps the record only once the node took it.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from ._actions import command_with_actions
from ._kubo import add_enc_option, bool_flag, enc_line, go_json
from ._runtime import add_passphrase_env
from ._options import nonempty

if TYPE_CHECKING:  # pragma: no cover
    from ..registry._ipns import IpnsNames
    from ..settings import Settings
    from ..verify._ipns import VerifiedRecord

EPILOG = """examples:
  autocodec name inspect --verify k51... < record.bin          # fields, signature, expiry (as Kubo's)
  autocodec name resolve k51... --gateway http://127.0.0.1:8080 # the record verified here, its value
  autocodec name resolve docs.ipfs.tech                          # a domain's DNSLink, then its names
  autocodec name get k51... --gateway https://gw.example > record.bin
  autocodec name publish /ipfs/bafy... --key bob --lifetime 24h -o record.bin
  autocodec name publish /ipfs/bafy... --key bob --to-node /ip4/127.0.0.1/tcp/5001   # Kubo resolves it too
"""


def register(sub: Any) -> None:
    ns = command_with_actions(sub, "name", "inspect, resolve, fetch and sign IPNS records (verified here)", EPILOG)
    ins = ns.add_parser("inspect", help="print an IPNS record's fields (Kubo's `ipfs name inspect`)")
    ins.add_argument("record", nargs="?", default="-", help="the record file (default: stdin)")
    ins.add_argument("--verify", metavar="NAME", help="check the record against this IPNS name (k51...)")
    bool_flag(ins, None, "dump", True, "include a hex dump of the record (default; --dump=false: none)")
    add_enc_option(ins, "Kubo's object of the record's fields")
    ins.set_defaults(func=run_inspect)
    for action, text in (("resolve", "print the path an IPNS name (record verified here) or a domain "
                                      "(DNSLink) points at"),
                         ("get", "write an IPNS name's record to stdout (verified here)")):
        sp = ns.add_parser(action, help=text)
        sp.add_argument("name", help="the IPNS name (k51..., /ipns/k51... or a peer ID)"
                        + (", or a domain with a DNSLink" if action == "resolve" else ""))
        sp.add_argument("--gateway", metavar="URL", help="a trustless gateway to fetch the record from")
        sp.add_argument("--node", metavar="ADDR", type=nonempty("a node's address"), help="an IPFS node to fetch the record from (name/get)")
        if action == "resolve":
            bool_flag(sp, "-r", "recursive", True, "follow a name that points at a name (default; "
                      "--recursive=false: the first record's value)")
        if action == "resolve":
            add_enc_option(sp, '{"Path"}')
        sp.set_defaults(func=run_resolve if action == "resolve" else run_get)
    pub = ns.add_parser("publish", help="sign an IPNS record with a home key and keep it in the home")
    pub.add_argument("path", help="the content path the name points at, e.g. /ipfs/bafy...")
    pub.add_argument("--key", required=True, help="the home key that signs (its IPNS name is printed)")
    add_passphrase_env(pub)
    pub.add_argument("--lifetime", default="48h", help="how long the record stays valid (Go duration, default 48h)")
    pub.add_argument("--ttl", default="5m", help="how long readers may cache it (Go duration, default 5m)")
    pub.add_argument("--sequence", type=int, help="the sequence number, above the home's last (default: one past it)")
    pub.add_argument("-o", "--output", metavar="FILE", help="also write the record to FILE")
    pub.add_argument("--to-node", metavar="ADDR", type=nonempty("a node's address"), help="also store the record on "
                     "this IPFS node (name/put); kept in the home only once the node took it")
    bool_flag(pub, None, "resolve", True, "check that the path reaches content in the home (or its configured "
              "sources) before publishing (default; --resolve=false: publish it unchecked)")
    add_enc_option(pub, '{"Name", "Value"}')
    pub.set_defaults(func=run_publish)


def _inspect_result(raw: bytes, verify: str | None, dump: bool) -> dict[str, Any]:
    """Kubo's ``IpnsInspectResult``: the fields boxo can read (best effort), size, signature
    type, validation (when asked) and hex dump."""
    from ..errors import AutocodecError
    from ..verify._ipns import IpnsName, IpnsRecord, problem
    from ._kubo import go_hex_dump

    record = IpnsRecord.parse(raw)
    entry: dict[str, Any] = {"Value": "", "ValidityType": None, "Validity": None, "Sequence": None, "TTL": None}
    readers = (("Value", record.value), ("ValidityType", record.validity_type), ("Validity", record.validity_ns),
               ("Sequence", record.sequence), ("TTL", record.ttl_ns))
    for key, read in readers:
        try:
            entry[key] = read()
        except AutocodecError:
            pass
    validation = None
    if verify is not None:
        name = IpnsName.parse(verify)
        found = problem(record, name)
        validation = {"Valid": found is None, "Reason": found[1] if found else "", "Name": str(name)}
    return {"Entry": entry, "PbSize": record.pb_size, "SignatureType": record.signature_type,
            "HexDump": go_hex_dump(raw) if dump else "", "Validation": validation}


def _inspect_text(result: dict[str, Any]) -> str:
    from .._gotime import format_duration, format_rfc3339nano
    from .._gotext import go_quote
    from ._tabwriter import align

    entry = result["Entry"]
    lines = []
    if entry["Value"]:
        lines.append(f"Value:\t{go_quote(entry['Value'])}\n")
    if entry["ValidityType"] is not None:
        lines.append(f"Validity Type:\t{entry['ValidityType']}\n")
    if entry["Validity"] is not None:
        lines.append(f"Validity:\t{go_quote(format_rfc3339nano(entry['Validity']))}\n")
    if entry["Sequence"] is not None:
        lines.append(f"Sequence:\t{entry['Sequence']}\n")
    if entry["TTL"] is not None:
        lines.append(f"TTL:\t{format_duration(entry['TTL'])}\n")
    lines.append(f"Protobuf Size:\t{result['PbSize']}\n")
    lines.append(f"Signature Type:\t{result['SignatureType']}\n")
    out = align("".join(lines), minwidth=0)
    check = result["Validation"]
    if check is None:
        out += "\nThis record was not verified. Pass '--verify k51...' to verify.\n"
    else:
        rows = f"\tValid:\t{'true' if check['Valid'] else 'false'}\n"
        if check["Reason"]:
            rows += f"\tReason:\t{check['Reason']}\n"
        rows += f"\tName:\t{check['Name']}\n"
        out += "\nValidation results:\n" + align(rows, minwidth=0)
    if result["HexDump"]:
        out += "\nHex Dump:\n" + result["HexDump"]
    return out


def _inspect_json(result: dict[str, Any]) -> str:
    from .._gotime import format_rfc3339nano

    entry = dict(result["Entry"])
    if entry["Validity"] is not None:
        entry["Validity"] = format_rfc3339nano(entry["Validity"])
    return go_json({**result, "Entry": entry})


def run_inspect(args: argparse.Namespace) -> int:
    from ..verify._ipns import MAX_RECORD_BYTES
    from ._io import read_input, write_stdout

    raw = read_input(args.record, MAX_RECORD_BYTES, "IPNS record",
                     hint="an IPNS record is at most 10 KiB (IPNS spec): check that the file is a record")
    result = _inspect_result(raw, args.verify, args.dump)
    text = _inspect_json(result) if args.enc == "json" else _inspect_text(result)
    write_stdout(text.encode("utf-8", "surrogateescape"))
    check = result["Validation"]
    if check is not None and not check["Valid"]:  # the report is printed; the check failed: exit 1
        _raise_invalid(raw, args.verify, check["Reason"])
    return 0


def _raise_invalid(raw: bytes, name: str, reason: str) -> None:
    """The typed error of a record that failed ``--verify`` (signature, expiry, key, form)."""
    from ..errors import Untrusted
    from ..verify._ipns import IpnsName, IpnsRecord, validate

    validate(IpnsRecord.parse(raw), IpnsName.parse(name))  # raises the error of its problem
    raise Untrusted(f"the IPNS record for {name} does not verify: {reason}")  # pragma: no cover - a race


def _fetch(args: argparse.Namespace, names: "IpnsNames", settings: "Settings") -> "VerifiedRecord":
    """The verified record for ``args.name`` from ``--gateway``/``--node`` (or the configured
    sources), kept in the home; rollback-checked against the one kept before."""
    from ..errors import InvalidInput
    from ..sources import GatewaySource, NodeSource
    from ..verify._ipns import IpnsName
    from ._ipns_paths import record_source

    name = IpnsName.parse(args.name)
    gateway, node = record_source(args, settings)
    if gateway:
        raw = GatewaySource(gateway, limits=names.limits.fetch).ipns_record(str(name))
    elif node:
        raw = NodeSource(node, limits=names.limits.fetch).ipns_record(str(name))
    else:
        raise InvalidInput(f"no gateway or node to fetch the record of {name} from",
                           hint="give a trustless gateway's URL or a node's address")
    return names.accept(name, raw)


def run_resolve(args: argparse.Namespace) -> int:
    from ._io import write_line
    from ._ipns_paths import is_domain, home_names, record_source

    with home_names() as (names, settings):
        name = args.name[len("/ipns/"):] if args.name.startswith("/ipns/") else args.name
        gateway, node = record_source(args, settings)
        # a source named on the command line is asked afresh; else the home's kept record answers
        # while its TTL runs (then the configured sources, then the kept record until it expires),
        # as for `cat /ipns/...`
        fresh = bool(args.gateway or args.node)
        if is_domain(name):  # a DNSLink: the TXT record's path (Kubo's namesys order)
            value = names.dnslinks.lookup(name).value
        elif fresh:
            value = _fetch(args, names, settings).value
        else:
            value = names.lookup(name, gateway=gateway, node=node, fresh=False).value
        if args.recursive and value.startswith("/ipns/"):
            # the first name's value counts as the first of Kubo's hops: a chain of 33 names fails
            first = [value]

            def hop(later: str) -> tuple[str, int]:
                if first:
                    return first.pop(), 0
                return names.value_of(later, gateway=gateway, node=node, fresh=fresh), 0

            value = names.walk(f"/ipns/{name}", hop)[0]
    write_line(enc_line(args, value, {"Path": value}))
    return 0


def run_get(args: argparse.Namespace) -> int:
    from ..verify._ipns import IpnsName
    from ._io import write_stdout
    from ._ipns_paths import home_names, record_source

    with home_names() as (names, settings):
        if args.gateway or args.node:  # a source named on the command line is asked afresh
            raw = _fetch(args, names, settings).record.raw
        else:  # the home's kept record first, as `name resolve` and `cat /ipns/...`
            gateway, node = record_source(args, settings)
            raw = names.current(IpnsName.parse(args.name), gateway=gateway, node=node).record.raw
    write_stdout(raw)
    return 0


def run_publish(args: argparse.Namespace) -> int:
    from .._gotime import parse_duration
    from ..errors import InvalidInput
    from ..verify._ipns import InvalidIpnsRecord, IpnsName, create_record
    from ..verify._libp2p_key import PublicKey
    from ._io import write_line
    from ._ipns_paths import home_names
    from ._runtime import load_keys

    durations = []
    for option, text in (("lifetime", args.lifetime), ("ttl", args.ttl)):
        try:
            durations.append(parse_duration(text))
        except ValueError as exc:  # Kubo 0.43.1's words: ``error parsing lifetime option: time: ...``
            raise InvalidInput(f"error parsing {option} option: {exc}",
                               hint="write durations as Go does: 48h, 1h30m, 90s") from None
    lifetime, ttl = durations
    if lifetime <= 0 or ttl < 0:
        raise InvalidInput("the lifetime must be positive and the TTL not negative")
    if args.sequence is not None and not 0 <= args.sequence < 1 << 63:
        raise InvalidInput("the sequence must be between 0 and 2^63 - 1")
    try:
        value = _path_or_cid_path(args.path)
    except InvalidIpnsRecord:
        raise InvalidInput(f"{args.path[:200]!r} is not a content path to publish",
                           hint="give /ipfs/CID[/path] or /ipns/NAME[/path], e.g. /ipfs/bafy...") from None
    (signing,) = load_keys([args.key], args.passphrase_env)
    key = PublicKey.ed25519(signing.public.raw)
    name = IpnsName.of_key(key)

    # a value the record cannot hold (e.g. the name itself) is refused before the home is opened (unsigned)
    create_record(lambda data: b"", key, value, sequence=0, eol_ns=time.time_ns() + lifetime, ttl_ns=ttl)
    if args.output is not None:  # -o "" is an empty path, refused
        from ._io import output_target

        output_target(args.output)  # a path that cannot be written is refused before anything is published
    if args.resolve:
        _check_resolves(value, args)
    eol_ns = time.time_ns() + lifetime  # the record is valid for --lifetime from now, once the path resolved

    def make(sequence: int) -> bytes:
        return create_record(signing.sign, key, value, sequence=sequence, eol_ns=eol_ns, ttl_ns=ttl)

    # Kubo's name/put refuses a record whose sequence is not above the one it holds (even with a later
    # validity): a record for --to-node takes the next sequence, a same-value refresh too
    refresh_of = None if args.to_node else value
    with home_names() as (names, _settings):
        # sequence allocated atomically and never again; kept here now, or (for a node) once the node took it
        raw = names.publish(name, make, sequence=args.sequence, value=refresh_of, eol_ns=eol_ns,
                            keep=not args.to_node).record.raw
        if args.to_node:
            from ..sources import NodeSource

            # refused or unreachable: the error goes up and the home keeps the record it had
            NodeSource(args.to_node, limits=names.limits.fetch).name_put(str(name), raw)
            names.keep(name, raw)
    if args.output is not None:  # -o "" is an empty path, refused
        from ._io import open_output

        with open_output(args.output) as out:
            out.write(raw)
    write_line(enc_line(args, f"Published to {name}: {value}", {"Name": str(name), "Value": value}))
    return 0


def _check_resolves(value: str, args: argparse.Namespace) -> None:
    """Kubo's ``name publish --resolve`` (default): the path must reach content, read from the
    home's store (and the sources it fetches from: config.toml's, unless ``--offline``), an
    ``/ipns/`` name by its record as ``resolve`` reads it. The path itself is published as given."""
    from ..dag import parse_path, resolve
    from ..errors import NotFound
    from ._ipns_paths import ipfs_path_of
    from ._local_modules import open_runtime

    try:
        path = ipfs_path_of(value, args) if value.startswith("/ipns/") else value
        with open_runtime(args) as rt:
            resolve(rt, parse_path(path), limits=rt.limits)  # the block it lands at is read, as Kubo's
    except NotFound as exc:  # a source that fails (FetchError) says so itself
        raise type(exc)(f"{value[:200]} cannot be published: {exc.message}",
                        hint="add or import the content first, or name a source that has it in config.toml; "
                             "to publish the path unchecked: --resolve=false") from None


def _path_or_cid_path(text: str) -> str:
    """The content path ``name publish`` signs, read as Kubo 0.43.1 reads it (cmdutils
    ``PathOrCidPath`` over boxo's ``NewPathFromURI``): an IPFS URI as its path (``ipfs://CID``,
    ``IPNS:name``), else a content path, else ``/ipfs/`` + the text (a bare ``CID[/path]``).
    ``InvalidIpnsRecord`` (the content path's reason) when none reads."""
    from ..dag._path import uri_to_path
    from ..verify._ipns import InvalidIpnsRecord, content_path

    path = uri_to_path(text)
    try:
        return content_path(path)
    except InvalidIpnsRecord:
        try:
            return content_path("/ipfs/" + path)
        except InvalidIpnsRecord:
            pass
        raise
