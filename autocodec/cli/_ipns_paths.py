"""``/ipns/NAME/...`` arguments of the commands that read content (``cat``, ``ls``, ``get``,
``refs``, ``decode``, ``dag get|resolve|export|stat``), resolved as Kubo resolves them: the
name's value (an IPNS record's, or a domain's DNSLink), then the rest of the path under it.

The record is verified here (``registry._ipns``): the home's record while its TTL runs, else
one fetched from ``--gateway``/``--node`` (or the configured sources), else the home's until it
expires. A name pointing at another name is followed, up to 32 names, as Kubo does. The
argument is rewritten to ``/ipfs/...`` before the command runs, so every command reads the same
content a gateway would serve under that name.
"""

from __future__ import annotations

import argparse

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..dag._path import uri_to_path
from ..errors import InvalidPath

if TYPE_CHECKING:  # pragma: no cover
    from ..registry._ipns import IpnsNames
    from ..settings import Settings

PATH_ARGUMENTS = {"cat": ("cid",), "get": ("path",), "ls": ("paths",), "refs": ("paths",), "decode": ("cid",),
                  "dag get": ("ref",), "dag resolve": ("ref",), "dag export": ("root",), "dag stat": ("roots",),
                  "block get": ("cid",), "block stat": ("cid",), "block rm": ("cid",)}


def resolve_ipns_arguments(args: argparse.Namespace, command: str) -> None:
    """Rewrite the path arguments of ``command`` in ``args``: a native IPFS URI (``ipfs://CID``,
    ``IPNS://name``: ``dag.uri_to_path``, as Kubo reads them) to its content path, then an
    ``/ipns/`` path to the ``/ipfs/`` path it names."""
    def rewritten(value: str) -> str:
        value = uri_to_path(value)
        return ipfs_path_of(value, args) if is_ipns_path(value) else value

    for attribute in PATH_ARGUMENTS.get(command, ()):
        value = getattr(args, attribute, None)
        if isinstance(value, list):
            setattr(args, attribute, [rewritten(v) if isinstance(v, str) else v for v in value])
        elif isinstance(value, str):
            setattr(args, attribute, rewritten(value))


def is_ipns_path(text: str) -> bool:
    """Whether ``text`` is an ``/ipns/`` path (or an ``ipns:`` URI, any case)."""
    return uri_to_path(text.strip()).startswith("/ipns/")


@contextmanager
def home_names() -> Iterator[tuple["IpnsNames", "Settings"]]:
    """The home's IPNS records and settings (no runtime: no module is loaded, no set pinned)."""
    from ..home import Home
    from ..registry._ipns import IpnsNames
    from ..settings import Settings
    from ..store import BlockStore

    home = Home.resolve().init()
    settings = Settings.load(home.config_path)
    limits = settings.apply_limits()
    store = BlockStore.open(home, limits=limits)
    try:
        yield IpnsNames(store, limits, settings.dns_resolvers), settings
    finally:
        store.close()


def ipfs_path_of(text: str, args: argparse.Namespace) -> str:
    """The ``/ipfs/`` path the ``/ipns/`` path ``text`` names (see the module docstring)."""
    name, rest = _name_and_rest(text, args)
    with home_names() as (names, settings):
        gateway, node = record_source(args, settings)
        path = names.resolve(f"/ipns/{name}" + (f"/{rest}" if rest else ""), node=node, gateway=gateway,
                             fresh=False)
    if not path.startswith(("/ipfs/", "/ipld/")):
        raise InvalidPath(f"/ipns/{name} points at {path[:200]!r}, not at content (/ipfs/...)")
    return _in_base_of(path, name)


def one_hop_of(text: str, args: argparse.Namespace) -> str:
    """What the first name of the ``/ipns/`` path ``text`` points at, with the rest of the path
    joined under it and nothing else resolved: a name, or a content path left as written
    (Kubo's ``resolve --recursive=false``)."""
    name, rest = _name_and_rest(text, args)
    with home_names() as (names, settings):
        gateway, node = record_source(args, settings)
        value = names.value_of(name, node=node, gateway=gateway, fresh=False)
    return value.rstrip("/") + f"/{rest}" if rest else value


def _name_and_rest(text: str, args: argparse.Namespace) -> tuple[str, str]:
    """``(NAME, rest)`` of ``/ipns/NAME[/rest]``; ``NotFound`` up front when no record can be had
    (no home, no source given, not a domain)."""
    from ..home import Home

    body = uri_to_path(text.strip()).removeprefix("/ipns/")
    name, _, rest = body.partition("/")
    if not name:
        raise InvalidPath(f"{text[:80]!r} names no IPNS name", hint="write /ipns/NAME[/path]")
    home = Home.resolve()
    given = getattr(args, "gateway", None) or getattr(args, "node", None)
    if not home.exists() and not given and not is_domain(name):
        from ..errors import NotFound

        raise NotFound(f"{home.root} holds no IPNS record for {name}, and no node or gateway was given",
                       hint="give a trustless gateway's URL or a node's address")
    return name, rest


def record_source(args: argparse.Namespace, settings: "Settings") -> tuple[str | None, str | None]:
    """(gateway, node) to ask for IPNS records: the command's ``--gateway`` (the first) or
    ``--node``, else the configured ones, the first source of ``sources.order`` winning."""
    given = getattr(args, "gateway", None) or None
    gateway = given[0] if isinstance(given, list) else given
    node = getattr(args, "node", None)
    if gateway or node:
        return gateway, None if gateway else node
    gateway, node = next(iter(settings.gateways), None), settings.node
    if gateway and node:
        return (None, node) if settings.order[:1] == ("node",) else (gateway, None)
    return gateway, node


def is_domain(name: str) -> bool:
    """Whether ``name`` is read from DNS (DNSLink) rather than from an IPNS record."""
    from ..registry._ipns import parse_name
    from ..verify._ipns import InvalidIpnsName

    try:
        return isinstance(parse_name(name), str)
    except InvalidIpnsName:
        return False


def _in_base_of(value: str, name: str) -> str:
    """``value`` with its root CID written in the name's multibase (base36 for ``k51...``):
    Kubo answers in the base of the path it was given (``dag resolve``)."""
    from ..cid import CID
    from ..dag import base_of
    from ..errors import InvalidCID

    try:
        CID.parse(name)
    except InvalidCID:  # a peer ID or a domain: Kubo answers in its default base
        return value
    base = base_of(name)
    namespace, _, tail = value[1:].partition("/")
    root, sep, below = tail.partition("/")
    try:
        cid = CID.parse(root)
    except InvalidCID:
        return value
    if base is None or cid.version == 0:
        return value
    return f"/{namespace}/{cid.encode(base)}{sep}{below}"
