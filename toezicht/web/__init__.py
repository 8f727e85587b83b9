"""The web interface served by ``toezicht serve`` next to the JSON API: search with
facets and a timeline, articles with their events, the actions tracker, source
health and alert subscriptions. Server-side rendered (Jinja2), a little vanilla
JavaScript, every asset shipped in this package."""

from __future__ import annotations

from typing import Any


def mount(app: Any, backend: Any, store: Any, cfg: Any = None, *, host: str = "127.0.0.1"
          ) -> Any:
    """Add the web pages to the API app (see :func:`toezicht.web.app.mount`)."""
    from toezicht.web.app import mount as _mount

    return _mount(app, backend, store, cfg, host=host)


__all__ = ["mount"]
