"""What differs between Kubo's gateway answer and this server's to the same request, as the
gateway-conformance modules compare them: ``differences`` of the answers as they are, and
``compare``, which first takes what is this server's own by design in a directory listing
(docs/gateway.md) from its answer. An empty list means the answers agree.
"""

from __future__ import annotations

from tests._gateway_http import CheckedReply


def compare(kubo: CheckedReply, ours: CheckedReply, names: tuple[str, ...]) -> list[object]:
    """What differs between the two answers: status, the ``names`` headers, a success's body.
    A directory listing is this server's own HTML (docs/gateway.md): its ETag keeps the CID but
    not Kubo's template hash, its type is compared without parameters, its body not at all."""
    if kubo.headers.get("etag", "").startswith('"DirIndex-'):
        kubo = _as_listing(kubo, ours)
    return differences(kubo, ours, names)


def differences(kubo: CheckedReply, ours: CheckedReply, names: tuple[str, ...]) -> list[object]:
    """What differs between two answers as they are: the status (with the heads of both bodies),
    the ``names`` headers, and the body when Kubo's answer is no redirect or error."""
    differ: list[object] = []
    if ours.status != kubo.status:
        differ.append(("status", kubo.status, ours.status, (kubo.body or b"")[:200], (ours.body or b"")[:200]))
    differ += [(name, kubo.headers.get(name), ours.headers.get(name)) for name in names
               if kubo.headers.get(name) != ours.headers.get(name)]
    if kubo.status < 300 and ours.body != kubo.body:
        differ.append(("body", (kubo.body or b"")[:200], (ours.body or b"")[:200]))
    return differ


def _as_listing(kubo: CheckedReply, ours: CheckedReply) -> CheckedReply:
    """Kubo's listing answer with what is this server's own by design taken from ``ours``
    (its ETag's template part, the type's parameters, the explorer's ``nosniff``)."""
    etag = kubo.headers["etag"].split("_CID-", 1)[1]
    assert ours.headers.get("etag", "").endswith("_CID-" + etag), (kubo.headers, ours.headers)
    assert kubo.headers["content-type"].split(";")[0] == ours.headers.get("content-type", "").split(";")[0]
    headers = {**kubo.headers, "etag": ours.headers["etag"], "content-type": ours.headers["content-type"]}
    if "x-content-type-options" in ours.headers:
        headers["x-content-type-options"] = ours.headers["x-content-type-options"]
    return CheckedReply(kubo.status, headers, ours.body)
