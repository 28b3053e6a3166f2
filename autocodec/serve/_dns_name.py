"""A DNSLink name as ``Ipfs-Uri`` names it (IPIP-0548, as Kubo 0.43.1's boxo writes the header).

boxo writes ``ipns://`` and a DNSLink name in its ASCII form, or leaves the header out when the
name has none. ``uri_domain`` gives that form, found by comparing Kubo's headers:
- one trailing dot is dropped, then the name must hold a dot and no empty label;
- each label is mapped and checked as Go's ``idna.Lookup`` profile does (UTS 46,
  non-transitional, STD3 rules: lower case, full-width and compatibility forms mapped, ``_``,
  ``*``, spaces refused; no hyphen first or last, nor ``--`` as the third and fourth
  characters; ZWJ/ZWNJ only where CONTEXTJ allows; the Bidi rule; an ``xn--`` label must decode
  to a valid label), a label of other than ASCII then written in Punycode;
- lengths are not checked (a label over 63 octets keeps its header);
- bytes that are no UTF-8 (kept as surrogate escapes) are read as Go's IDNA trie reads them: each
  ill-formed sequence is one U+FFFD, which the label keeps (``a%ffb.test`` is
  ``xn--ab-gg4n.test``; a U+FFFD sent as UTF-8 is refused, as UTS 46 refuses it), and a name
  ending inside a sequence its lead byte starts has no header.
A pure function of its text; the UTS 46 table is the ``idna`` package's (a declared dependency).
"""

from __future__ import annotations

import idna

__all__ = ["uri_domain"]

_JOINERS = ("\u200c", "\u200d")
_REPLACEMENT = "\ufffd"


def _go_runs(data: bytes) -> list[str] | None:
    """``data`` as the runs of well-formed UTF-8 between its ill-formed sequences, each sequence
    cut as Go's IDNA trie cuts it; None when ``data`` ends inside a sequence (Go's error)."""
    runs: list[str] = []
    start = at = 0
    while at < len(data):
        size, well_formed = _go_step(data, at)
        if size == 0:
            return None
        if not well_formed:
            runs.append(data[start:at].decode("utf-8"))
            start = at + size
        at += size
    runs.append(data[start:].decode("utf-8"))
    return runs


def _go_step(data: bytes, at: int) -> tuple[int, bool]:
    """The length of the sequence at ``at`` as Go's generated trie reads it (0: too few bytes
    left for its lead byte), and whether it is well-formed UTF-8: a lead byte under 0xC2 or over
    0xF7 is one byte, a byte that is no continuation ends the sequence before it, and a whole
    sequence Go's table holds no rune for (an overlong form, a surrogate, past U+10FFFF) is one."""
    lead = data[at]
    if lead < 0x80:
        return 1, True
    if lead < 0xC2 or lead >= 0xF8:
        return 1, False
    size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    if len(data) - at < size:
        return 0, False
    for offset in range(1, size):
        if not 0x80 <= data[at + offset] < 0xC0:
            return offset, False
    try:
        data[at:at + size].decode("utf-8")
    except UnicodeDecodeError:
        return size, False
    return size, True


def uri_domain(name: str) -> str | None:
    """``name`` (an ``/ipns/`` root that is not an IPNS name) as ``Ipfs-Uri`` writes it, or
    None when boxo writes no header for it."""
    name = name[:-1] if name.endswith(".") else name
    runs = _go_runs(name.encode("utf-8", "surrogateescape"))
    if runs is None:
        return None
    try:
        mapped = _REPLACEMENT.join(idna.uts46_remap(run, std3_rules=True, transitional=False) for run in runs)
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
