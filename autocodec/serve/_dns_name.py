"""A DNSLink name as ``Ipfs-Uri`` names it (IPIP-0548, as Kubo 0.43.1's boxo writes the header).

boxo writes ``ipns://`` and a DNSLink name in its ASCII form, or leaves the header out when the
name has none. ``uri_domain`` gives that form, found by comparing Kubo's headers:
- one trailing dot is dropped, then the name must hold a dot and no empty label;
- each label is mapped and checked as Go's ``idna.Lookup`` profile does (UTS 46,
  non-transitional, STD3 rules: lower case, full-width and compatibility forms mapped, ``_``,
  ``*``, spaces refused; no hyphen first or last, nor ``--`` as the third and fourth
  characters; ZWJ/ZWNJ only where CONTEXTJ allows; the Bidi rule; an ``xn--`` label must decode
  to a valid label), a label of other than ASCII then written in Punycode;
- lengths are not checked (a label over 63 octets keeps its header).
A pure function of its text; the UTS 46 table is the ``idna`` package's (a declared dependency).
"""

from __future__ import annotations

import idna

__all__ = ["uri_domain"]

_JOINERS = ("\u200c", "\u200d")


def uri_domain(name: str) -> str | None:
    """``name`` (an ``/ipns/`` root that is not an IPNS name) as ``Ipfs-Uri`` writes it, or
    None when boxo writes no header for it."""
    name = name[:-1] if name.endswith(".") else name
    try:
        mapped = idna.uts46_remap(name, std3_rules=True, transitional=False)
    except (idna.IDNAError, UnicodeError):
        return None
    labels = mapped.split(".")
    if len(labels) < 2 or not all(labels):
        return None
    ascii_labels = [_ascii_label(label) for label in labels]
    return None if None in ascii_labels else ".".join(label for label in ascii_labels if label is not None)


def _ascii_label(label: str) -> str | None:
    """One mapped label in ASCII (Punycode when it is not), or None when Go's checks refuse it."""
    unicode_label = label
    if label.startswith("xn--"):
        try:
            unicode_label = label[4:].encode("ascii").decode("punycode")
        except (UnicodeError, ValueError):
            return None
        if not unicode_label or _remapped(unicode_label) != unicode_label:
            return None
    if not _valid(unicode_label):
        return None
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")


def _remapped(label: str) -> str | None:
    try:
        return str(idna.uts46_remap(label, std3_rules=True, transitional=False))
    except (idna.IDNAError, UnicodeError):
        return None


def _valid(label: str) -> bool:
    """The hyphen, joiner and Bidi checks of Go's ``idna.Lookup`` on one Unicode label."""
    try:
        idna.check_hyphen_ok(label)
        idna.check_bidi(label)
    except (idna.IDNAError, UnicodeError):
        return False
    return all(idna.valid_contextj(label, at) for at, char in enumerate(label) if char in _JOINERS)
