"""Review of the s10 store audit (2df2728, 7006a47, d048ae7).

Found: since 2df2728 a CAR ending right after a section's length varint ends there, as
``ipfs dag import`` (go-car) reads a file; the same reader checks a DAG a gateway or node
answered (``check_car_root``), which then took an answer cut right after a length as the whole
CAR, dropping the blocks after it without a word. An answer cut there is short: refused again,
as one cut anywhere else in a section is (the ``Fetcher`` asks the next source).
"""

from __future__ import annotations

import io

import pytest

from autocodec.builtin import cid_for
from autocodec.cid import encode_varint
from autocodec.errors import InvalidCar
from autocodec.sources._car import check_car_root
from autocodec.store import CarReader, CarWriter

A = b"first block of the reviewed DAG"
B = b"second block of the reviewed DAG"


def _car() -> tuple[bytes, bytes]:
    """A CAR of root A then B, and the same cut right after B's section length."""
    out = io.BytesIO()
    writer = CarWriter(out, [cid_for(A, "raw")])
    writer.write(cid_for(A, "raw"), A)
    whole_a = out.getvalue()
    b = cid_for(B, "raw")
    writer.write(b, B)
    return out.getvalue(), whole_a + encode_varint(len(bytes(b)) + len(B))


def test_a_fetched_car_cut_right_after_a_section_length_is_not_whole() -> None:
    """Fails on 2df2728 (the cut answer was returned as the DAG, B missing)."""
    whole, cut = _car()
    root = cid_for(A, "raw")
    kept = check_car_root(whole, root, "gateway g")  # B, which raw A does not link, is dropped (6b770c1)
    assert [c for c, _ in CarReader(io.BytesIO(kept))] == [root]
    with pytest.raises(InvalidCar, match=r"not a whole CAR .*section length at byte \d+ and no section after it"):
        check_car_root(cut, root, "gateway g")


def test_the_reader_still_ends_there_and_says_where() -> None:
    """The file reader (dag import, car import, CarSource) keeps go-car's reading (2df2728)."""
    whole, cut = _car()
    reader = CarReader(io.BytesIO(cut))
    assert [c for c, _ in reader] == [cid_for(A, "raw")]
    assert reader.bare_length_at == len(whole) - len(bytes(cid_for(B, "raw"))) - len(B) - 1
    reader = CarReader(io.BytesIO(whole))
    assert len(list(reader)) == 2 and reader.bare_length_at is None


@pytest.mark.slow
def test_a_gateway_and_a_node_answering_a_car_cut_after_a_length_are_refused() -> None:
    """The same through HTTP (``GatewaySource``, ``NodeSource``); fails on 2df2728."""
    from autocodec.config import FetchLimits
    from autocodec.sources import GatewaySource, NodeSource
    from tests._http_peers import Peer, answer

    fast = FetchLimits(timeout_s=5.0, retries=0, backoff_s=0.05, deadline_s=10.0)
    _whole, cut = _car()
    with Peer(answer("200 OK", "application/vnd.ipld.car", cut)) as peer:
        for source in (GatewaySource(peer.url, limits=fast), NodeSource(peer.url, limits=fast)):
            with pytest.raises(InvalidCar, match="not a whole CAR"):
                source.export_dag(cid_for(A, "raw"))
