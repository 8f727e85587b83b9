"""`toezicht serve`: the web interface and the HTTP JSON API (FastAPI on uvicorn)."""

from __future__ import annotations

import errno
import socket

import click

from toezicht.config import Config

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_port(host: str, port: int) -> None:
    """Fail in one line if ``host:port`` cannot be listened on (the port is taken, the
    address is not local ...), by binding it the way uvicorn will (same address family,
    SO_REUSEADDR) and letting go. Checked before anything starts; a server that takes
    the port in between still makes uvicorn fail."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(f"port {port} on {host} is in use") from None
            raise click.ClickException(f"cannot listen on {host} port {port}: "
                                       f"{exc.strerror or exc}") from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the API has no authentication: keep it local "
                   "or put it behind a proxy).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--backend", type=click.Choice(["elasticsearch", "sqlite"]),
              help="Search backend (default: the search_backend setting).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info",
                                                "debug"]), default="info", show_default=True)
@click.pass_obj
def serve(cfg: Config, host: str, port: int, backend: str | None, log_level: str) -> None:
    """Serve the web interface (search, timeline, articles, actions, sources, alerts at
    /) and the search API: /api/search, /api/facets, /api/timeline, /api/actions,
    /api/articles/{id}, /api/export and /api/health; OpenAPI at /openapi.json,
    interactive docs at /docs.

      toezicht serve --port 8000

      curl 'http://127.0.0.1:8000/api/search?q=grok&country=GB&stories=true'
    """
    try:
        import uvicorn

        from index.search.api import create_app
    except ImportError as exc:
        raise click.ClickException(f"serve needs fastapi and uvicorn ({exc.name} is missing): "
                                   "pip install fastapi uvicorn") from None
    check_port(host, port)
    from index.es import SearchBackendError, check_reachable
    from index.search import SearchError, open_backend
    from index.search.sqlite_backend import SqliteSearchError
    from index.store import Store, StoreError

    try:
        store = Store(cfg.resolved_store_url)
        engine = open_backend(cfg, backend, store=store)
        if engine.name == "elasticsearch":
            check_reachable(engine.client)
    except (SearchError, SqliteSearchError, StoreError, SearchBackendError) as exc:
        raise click.ClickException(str(exc)) from None
    if host not in LOOPBACK:
        click.echo(f"warning: listening on {host}: the API has no authentication"
                   + ("" if cfg.web_token else "; subscriptions are read-only without "
                      "web_token"), err=True)
    from toezicht.timezone import display_tz
    from toezicht.web import mount

    app = mount(create_app(engine, store, tz=display_tz(cfg)), engine, store, cfg, host=host)
    click.echo(f"Toezicht on http://{host}:{port}/ ({engine.name}) — API docs at /docs",
               err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
