"""The multiformats tables Kubo v0.43.1 is built with: every multicodec code (name and tag), the
multihash functions go-multihash names (and which boxo's verifcid allows), the multibases
go-multibase knows, and base256emoji's alphabet.

Source: ``_multiformats.csv``, printed from go-multicodec v0.10.0 (the multicodec table,
github.com/multiformats/multicodec ``table.csv``), go-multihash v0.2.3, go-multibase v0.3.0 and
boxo v0.43.0 by ``tools/multiformats-table`` (``go run .``); facts, not code.

Invariants: loaded once, on first use; read-only; ``codec_name`` spells an unknown code as Go's
``multicodec.Code.String`` does (``Code(N)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Tables:
    codecs: dict[int, tuple[str, str]]  # code -> (name, tag), in the table's order
    hashes: dict[int, tuple[str, bool]]  # code -> (go-multihash name, allowed by verifcid)
    bases: dict[int, str]  # multibase code (its prefix's code point) -> name
    emoji: str  # base256emoji: the symbol of each byte value


@cache
def tables() -> Tables:
    text = resources.files("autocodec").joinpath("_multiformats.csv").read_text("utf-8")
    codecs: dict[int, tuple[str, str]] = {}
    hashes: dict[int, tuple[str, bool]] = {}
    bases: dict[int, str] = {}
    emoji = ""
    for line in text.splitlines()[1:]:
        table, name, tag, code = line.split(",", 3)
        if table == "multicodec":
            codecs[int(code)] = (name, tag)
        elif table == "multihash":
            hashes[int(code)] = (name, tag == "allowed")
        elif table == "multibase":
            bases[int(code)] = name
        elif table == "alphabet" and name == "base256emoji":
            emoji = code
    return Tables(codecs, hashes, bases, emoji)


def codec_name(code: int) -> str:
    """The multicodec name of ``code``, or ``Code(N)`` as Go writes an unknown one."""
    found = tables().codecs.get(code)
    return found[0] if found else f"Code({code})"


def codec_code(name: str) -> int | None:
    """The code of a multicodec name (any tag), or None."""
    return _codes_by_name()[0].get(name)


def hash_name(code: int) -> str | None:
    """go-multihash's name of a hash function code, or None."""
    found = tables().hashes.get(code)
    return found[0] if found else None


def hash_code(name: str) -> int | None:
    """The code of a hash function by its go-multihash name, or None."""
    return _codes_by_name()[1].get(name)


def base_code(name: str) -> int | None:
    """The code of a multibase by its name, or None."""
    return _codes_by_name()[2].get(name)


@cache
def _codes_by_name() -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    found = tables()
    return ({name: code for code, (name, _tag) in found.codecs.items()},
            {name: code for code, (name, _allowed) in found.hashes.items()},
            {name: code for code, name in found.bases.items()})
