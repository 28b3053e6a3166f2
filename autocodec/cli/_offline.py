"""Kubo's global ``--offline`` and ``--api``, checked against the command's own options.

Invariants: ``--api ADDR`` is the command's ``--node ADDR``, or its ``--to-node ADDR`` for a
command that only puts on a node (``publish``, ``set publish``, ``name publish``): the same
checks, and a different ``--node``/``--to-node`` beside it is refused; a command that takes no
node refuses it, since nothing here would reach that node (``pin update``/``pin repair`` are told
that they fetch from each set's own source). Refusals show a node URL without its
``USER:PASSWORD@``. ``--offline`` with an option naming a network peer (``--node``/``--api``,
``--gateway``, ``--to-node``, ``--remote``) is refused in one line, the two asks contradicting
each other; what ``config.toml`` names is not refused but left unused (``Runtime``'s offline).
"""

from __future__ import annotations

import argparse

NETWORK_OPTIONS = (("node", "--node"), ("gateway", "--gateway"), ("cat_gateway", "--gateway"),
                   ("to_node", "--to-node"), ("remote", "--remote"))
"""The attributes of the parsed arguments that name a network peer, with their option."""

FROM_SET_SOURCES = ("pin update", "pin repair")
"""Commands without a node option that still fetch: from each pinned set's own source."""


def api_as_node(args: argparse.Namespace, name: str) -> str | None:
    """Move ``--api`` into ``args.node`` (else ``args.to_node``); why it is refused instead, or None."""
    api = getattr(args, "api", None)
    if api is None:
        return None
    attr = "node" if hasattr(args, "node") else "to_node" if hasattr(args, "to_node") else None
    if attr is None and name in FROM_SET_SOURCES:
        return (f"--api names the node a command fetches from or puts on, and `autocodec {name}` takes none: it "
                "fetches from each set's own source, as `autocodec pin ls` shows it (leave --api out; for a set's "
                "node that asks for credentials, name it as sources.node in config.toml)")
    if attr is None:
        return (f"--api names the node a command fetches from or puts on, and `autocodec {name}` fetches from none "
                "and puts on none (leave --api out)")
    given = getattr(args, attr)
    if given is not None and given != api:
        from ..sources import without_userinfo as shown

        option = "--node" if attr == "node" else "--to-node"
        return f"--api {shown(api)} and {option} {shown(given)} name two nodes (give one of them)"
    setattr(args, attr, api)
    return None


def offline_conflict(args: argparse.Namespace, name: str) -> str | None:
    """Why ``--offline`` cannot go with this command line, or None."""
    if not getattr(args, "offline", False):
        return None
    for attr, option in NETWORK_OPTIONS:
        if getattr(args, attr, None):
            given = "--api" if attr in ("node", "to_node") and getattr(args, "api", None) else option
            return (f"`autocodec {name}` with {given} reaches the network, which --offline forbids "
                    f"(leave out {given} or --offline)")
    return None
