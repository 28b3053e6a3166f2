"""How the gateway refuses a request: ``GatewayError`` (a status and a one-line text) and the
status any error on ``/ipfs/`` maps to (``status_for_gateway``), as Kubo v0.43.1 answers it.

Its one job: that mapping, shared by the gateway's routes, the explorer and the blob routes.
"""

from __future__ import annotations

from .. import errors


class GatewayError(Exception):
    """A request the gateway answers with ``status`` and a one-line ``text``: as a page to a
    browser (``_error_page``), unless ``plain`` (answered as Go's ``http.Error``, in Kubo too)."""

    def __init__(self, status: int, text: str, headers: dict[str, str] | None = None, *, plain: bool = False) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers or {}
        self.plain = plain


def status_for_gateway(exc: BaseException) -> int:
    """The status for an error on ``/ipfs/``: 400 bad CID/path/parameter, 404 not found, 500 an
    invalid block (as Kubo), else ``serve.status_for`` (501 a codec nothing trusted decodes, 504
    a timeout...)."""
    from ._app import status_for

    if isinstance(exc, GatewayError):
        return exc.status
    if isinstance(status := getattr(exc, "gateway_status", None), int):  # an error that knows Kubo's status
        return status
    if isinstance(exc, (errors.InvalidCID, errors.InvalidPath)):
        return 400
    if isinstance(exc, (errors.WeakDigest, errors.DigestTooLong)):
        return 500  # as Kubo answers a CID boxo's verifcid refuses
    if isinstance(exc, errors.InvalidBlock):
        return 500
    if isinstance(exc, errors.InvalidInput):
        return 400
    return status_for(exc)
