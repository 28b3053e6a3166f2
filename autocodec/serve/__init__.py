"""``autocodec serve``: a decode gateway over a live-upgrading ``Runtime``.

``make_app(runtime)`` builds the aiohttp application; ``serve(...)`` runs it with a
background refresher, SIGHUP for an immediate refresh and a clean shutdown on SIGTERM.
"""

from __future__ import annotations

from ._app import make_app, serve, status_for

__all__ = ["make_app", "serve", "status_for"]
