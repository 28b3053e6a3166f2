"""The ``<head>`` of an HTML page the server writes (the explorer's pages; meant for the
gateway's listings and error pages too, which use the same stylesheet).

Invariants:
- ``<meta name="viewport">`` is always there: without it a phone lays the page out 980 px wide
  and shrinks it, so the stylesheet's narrow-screen rules never apply.
- The icon is ``data:,`` (no icon, no request): otherwise a browser asks for ``/favicon.ico``,
  which no route answers, and every page shows a failed request (a 404) in its console. The
  Content-Security-Policy of ``_page_headers`` allows ``data:`` images.
- The title is escaped here; the stylesheet comes from the explorer at ``origin`` (``""``: this
  origin; the bare host when the page is answered on a content origin).
"""

from __future__ import annotations

import html


def page_head(title: str, origin: str = "") -> str:
    """``<head>...</head>`` for a page titled ``title`` (plain text) styled from ``origin``."""
    sheet = html.escape(f"{origin}/explore-static/explorer.css", quote=True)
    return ('<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>{html.escape(title, quote=False)}</title>'
            f'<link rel="stylesheet" href="{sheet}"></head>')


__all__ = ["page_head"]
