"""Claims of docs/cli.md and docs/trust.md that a newcomer's audit found out of step with the code.

- docs/cli.md's exit-status table said a bad CID gives "one `autocodec:` line" for ``cid format``
  too; ``cid format`` and ``cid base32`` print two, as Kubo 0.43.1 does (measured: ``ipfs cid
  format notacid`` writes ``notacid: invalid cid: selected encoding not supported`` then ``Error:
  errors while displaying some entries``, exit 1).
- docs/trust.md said chunkers and tasks are the kinds keyed by name (listed by the top index only,
  with ``codes: []``); verifiers are too (``verify/_documents.NAMED_KINDS``).
- README's ``serve`` status codes said 403 for "untrusted or no extension"; a block whose codec
  nothing serves is 501 (``serve/_app.status_for``; measured: ``/decode/`` of a block of code
  0x300001 on a fresh home answered 501), and 502 and 503 were not named.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autocodec import errors
from autocodec.serve._app import status_for

from autocodec.verify._documents import NAMED_KINDS
from tests._cli import run_cli

REPO = Path(__file__).resolve().parents[1]


def _bad_cid_row() -> list[str]:
    """The cells of docs/cli.md's exit-status row for a bad CID: situation, Kubo, autocodec."""
    for line in (REPO / "docs" / "cli.md").read_text().splitlines():
        if line.strip().startswith("| bad CID"):
            return [cell.strip() for cell in line.strip().strip("|").split("|")]
    raise AssertionError("docs/cli.md has no exit-status row for a bad CID")


@pytest.mark.parametrize("action", ["format", "base32"])
def test_a_bad_cid_in_cid_format_or_base32_is_the_two_lines_the_cli_page_states(tmp_path: Path, action: str) -> None:
    proc = run_cli(tmp_path / "home", "cid", action, "notacid", check=False)
    lines = proc.stderr.decode().splitlines()
    assert proc.returncode == 1 and proc.stdout == b""
    assert lines[0] == "notacid: invalid cid: selected encoding not supported", lines
    assert len(lines) == 2 and lines[1].startswith("autocodec: InvalidInput: errors while displaying some entries"), lines
    _, kubo, ours = _bad_cid_row()
    for cell in (kubo, ours):
        assert f"`cid {action}`" in cell and "two for" in cell, cell


def test_the_cli_pages_bad_cid_row_is_checked_against_a_command_of_one_line(tmp_path: Path) -> None:
    """The row's other example, ``dag get notacid``, is one line: the two-line case is the exception."""
    proc = run_cli(tmp_path / "home", "dag", "get", "notacid", check=False)
    assert proc.returncode == 1 and len(proc.stderr.decode().splitlines()) == 1
    assert "`dag get notacid`" in _bad_cid_row()[0]


def test_trust_md_names_every_kind_keyed_by_name() -> None:
    """The delegation rule and the manifest's ``codes`` comment name each kind keyed by name."""
    text = re.sub(r"\s+", " ", (REPO / "docs" / "trust.md").read_text())
    rule = re.search(r"([^.]*)\(keyed by name\) can only be listed by the top index", text)
    codes = re.search(r"codes: \[\] for ([a-z, ]+)", text)
    assert rule is not None and codes is not None
    assert set(NAMED_KINDS) == {"chunker", "task", "verifier"}
    for kind in NAMED_KINDS:
        assert kind in rule[1].lower(), (kind, rule[1])
        assert kind in codes[1], (kind, codes[1])


# What README's list says each status is for: an error of that kind, raised by a decode.
_README_STATUS_EXAMPLES = {
    400: errors.InvalidCID, 404: errors.BlockNotFound, 403: errors.RevokedError, 501: errors.UnknownCodec,
    422: errors.InvalidBlock, 502: errors.SourceUnavailable, 503: errors.FetchBusy, 504: errors.FuelExhausted,
}


def test_the_readmes_serve_status_codes_are_status_fors() -> None:
    text = re.sub(r"\s+", " ", (REPO / "README.md").read_text())
    listed = re.search(r"Status codes: (\d{3} .*?)(?: \(\[|\. )", text)
    assert listed is not None, "README no longer lists serve's status codes"
    stated = {int(item.strip()[:3]): item.strip()[4:] for item in re.split(r", (?=\d{3} )", listed[1])}
    assert set(stated) == set(_README_STATUS_EXAMPLES), stated
    for status, error in _README_STATUS_EXAMPLES.items():
        assert status_for(error("x")) == status, (error.__name__, status)
    assert "no extension" in stated[501] and "trusted" in stated[403], stated
