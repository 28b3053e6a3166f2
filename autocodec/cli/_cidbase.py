"""``--cid-base``: how commands spell CIDs in their output, as Kubo's ``cmdenv`` does (v0.43).

Invariants: without ``--cid-base`` a CIDv1 prints in base32 and a CIDv0 as ``Qm...``; with it
every CID prints in that base, a CIDv0 upgraded to CIDv1 unless the base is base58btc; Kubo's
deprecated global ``--upgrade-cidv0-in-output`` (``upgrade_cidv0``), when given, decides that
upgrade instead, either way (``=true``: a CIDv0 prints as a CIDv1, in base32 without
``--cid-base``; ``=false``: as ``Qm...`` whatever the base; a CIDv0 has no other spelling). A
base taken from a CIDv1 input path (``dag resolve``, as Kubo's ``CidEncoderFromPath``) upgrades a
CIDv0 too, the option unread; a CIDv0 input path lends no base. The option reads a
value as Kubo's ``--cid-base`` does: a multibase name or its one-character prefix, and an empty
value as no option.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ..cid import CID, MULTIBASES

_UPGRADE_CIDV0: ContextVar[bool | None] = ContextVar("upgrade_cidv0_in_output", default=None)


@contextmanager
def upgrade_cidv0(given: bool | None) -> Iterator[None]:
    """The command run inside prints CIDs as ``--upgrade-cidv0-in-output`` says: ``given`` is its
    value, None when the line does not give it (module invariants)."""
    token = _UPGRADE_CIDV0.set(given)
    try:
        yield
    finally:
        _UPGRADE_CIDV0.reset(token)


def cid_base_value(text: str) -> str | None:
    """An argparse ``type`` for ``--cid-base``: a multibase name, the name a one-character prefix
    stands for (``b``, ``k``, ``z``...), or None for an empty value (Kubo's default spelling)."""
    from .._multiformats import tables

    if text == "":
        return None
    name = tables().bases.get(ord(text), text) if len(text) == 1 else text
    if name not in MULTIBASES:
        raise argparse.ArgumentTypeError(
            f"unsupported multibase {text!r} (give a multibase name such as base32, base36 or base58btc, "
            "or its prefix letter)")
    return str(name)


class UnreadBase(str):
    """A ``--cid-base`` value naming no multibase, kept by a command whose JSON form Kubo writes
    without reading the option (``dag put``, ``dag resolve``, ``dag import``: the CIDs under
    ``{"/": ...}`` are in their default base): refused for text (``unread_base_refusal``), taken
    for ``--enc=json``, and spelled as no base."""


def _json_ignored_base(text: str) -> str | None:
    try:
        return cid_base_value(text)
    except argparse.ArgumentTypeError:
        return UnreadBase(text)


def add_cid_base_option(parser: argparse.ArgumentParser, *, json_ignores: bool = False) -> None:
    """``--cid-base``; ``json_ignores``: any value is taken with ``--enc=json`` (``UnreadBase``)."""
    parser.add_argument("--cid-base", metavar="BASE", type=_json_ignored_base if json_ignores else cid_base_value,
                        help="multibase for CIDs in the output, e.g. base36, base58btc, base16 "
                             "(a CIDv0 becomes CIDv1 in any base but base58btc)")


def unread_base_refusal(args: argparse.Namespace) -> str | None:
    """Why an ``UnreadBase`` is refused (the output is text, which uses it), or None."""
    base = getattr(args, "cid_base", None)
    if not isinstance(base, UnreadBase) or getattr(args, "enc", "text") == "json":
        return None
    try:
        cid_base_value(base)
    except argparse.ArgumentTypeError as exc:
        return f"argument --cid-base: {exc}"
    return None  # pragma: no cover - an UnreadBase names no multibase


def cid_text(cid: CID, base: str | None, *, upgrade: bool | None = None) -> str:
    """``cid`` as text in ``base`` (None, or an ``UnreadBase``: the default spelling), a CIDv0
    upgraded as ``upgrade`` says, or (None) as the command line does (Kubo's ``GetCidEncoder``);
    see the module invariants."""
    if isinstance(base, UnreadBase):
        base = None
    if cid.version == 0:
        if upgrade is None:
            given = _UPGRADE_CIDV0.get()
            upgrade = base not in (None, "base58btc") if given is None else given
        if not upgrade:
            return str(cid)
        cid = cid.to_v1()
    return str(cid) if base is None else cid.encode(base)


def resolved_text(root: CID, root_text: str, cid: CID, base: str | None) -> str:
    """The CID a path rooted at ``root`` (as written: ``root_text``) resolved to, spelled as
    Kubo's ``dag resolve`` and ``resolve`` spell it: in ``base`` if given (``--cid-base``),
    else in the base of a CIDv1 root (a CIDv0 it reaches upgraded), else as is."""
    from ..dag import base_of

    if base and not isinstance(base, UnreadBase):
        return cid_text(cid, base)
    lent = base_of(root_text) if root.version == 1 else None  # Kubo's CidEncoderFromPath
    return cid_text(cid, lent, upgrade=lent is not None)
