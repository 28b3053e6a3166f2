"""A CID's text, and an IPNS name's, read as Kubo v0.43.1's gateway reads them (go-cid over
go-multibase).

Its one job: this runtime's ``CID.parse`` also reads the multibase table's draft entries base8
(``7``) and base10 (``9``), which go-multibase does not implement, so Kubo answers a content
path or a subdomain label spelled in them with go-cid's ``selected encoding not supported``,
and reads such an ``/ipns/`` name as neither a key nor a domain. ``gateway_cid`` and
``gateway_name`` parse as ``CID.parse`` and ``parse_name`` do and refuse those two bases;
every other text gets the runtime's own answer.
"""

from __future__ import annotations

from ..cid import CID
from ..errors import InvalidCID
from ..registry._ipns import parse_name
from ..verify._ipns import InvalidIpnsName, IpnsName

NOT_IN_GO = frozenset("79")
"""Multibase prefixes this runtime decodes and go-multibase (Kubo) does not: base8, base10."""
UNSUPPORTED = "selected encoding not supported"
"""go-multibase's words for a prefix it has no decoder for, as go-cid passes them on."""


def gateway_cid(text: str) -> CID:
    """The CID ``text`` names, as Kubo's gateway parses it; ``InvalidCID`` with go-cid's reason
    for a base Kubo lacks (no CIDv0 text, ``Qm...``, starts with those prefixes)."""
    if text[:1] in NOT_IN_GO:
        raise InvalidCID(UNSUPPORTED)
    return CID.parse(text)


def gateway_name(text: str) -> IpnsName | str:
    """``/ipns/{text}``'s name as Kubo's namesys reads it: an IPNS name, or a domain (``parse_name``);
    ``InvalidIpnsName`` for a key spelled in a base Kubo lacks (a domain never parses as a CID)."""
    parsed = parse_name(text)
    if isinstance(parsed, IpnsName) and text[:1] in NOT_IN_GO:
        raise InvalidIpnsName(f"{UNSUPPORTED}: {text}")
    return parsed


def gateway_ipns_name(text: str) -> IpnsName:
    """The IPNS name ``text`` spells, as ``IpnsName.parse`` reads it but for the bases Kubo lacks
    (``InvalidIpnsName``)."""
    if text[:1] in NOT_IN_GO:
        raise InvalidIpnsName(f"{UNSUPPORTED}: {text}")
    return IpnsName.parse(text)
