"""`toezicht es start|stop|status`: the local single-node Elasticsearch."""

from __future__ import annotations

import json

import click

from toezicht.config import Config


def _elastic():  # imported lazily: keeps `toezicht --help` fast
    from toezicht import elastic

    return elastic


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group()
def es() -> None:
    """Run the local Elasticsearch node that holds the search index.

    Toezicht provisions a single node on 127.0.0.1 from the official distribution
    on Maven Central, cached with its data under <data-dir>/es. With your own
    cluster (es_url / TOEZICHT_ES_URL) there is nothing to start: `status` checks it
    (exit 1 when its major version is not the client's: Toezicht needs 9.x).
    """


@es.command()
@click.option("--timeout", type=float, default=180.0, show_default=True,
              help="Seconds to wait for the node to become healthy.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.pass_obj
def start(cfg: Config, timeout: float, fmt: str) -> None:
    """Download (first time only), configure and start the node; wait until it is
    green/yellow. Says so and does nothing when it is already running."""
    elastic = _elastic()
    try:
        result = elastic.start(cfg, timeout=timeout, log=lambda m: click.echo(m, err=True))
    except elastic.ElasticError as exc:
        raise _fail(exc) from None
    click.echo(json.dumps(result, indent=2) if fmt == "json" else elastic.describe("start", result))


@es.command()
@click.option("--timeout", type=float, default=60.0, show_default=True,
              help="Seconds to wait for a graceful shutdown before killing the node.")
@click.pass_obj
def stop(cfg: Config, timeout: float) -> None:
    """Stop the node gracefully (SIGTERM), killing it after --timeout seconds."""
    elastic = _elastic()
    try:
        result = elastic.stop(cfg, timeout=timeout)
    except elastic.ElasticError as exc:
        raise _fail(exc) from None
    click.echo(elastic.describe("stop", result))


@es.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.pass_obj
def status(cfg: Config, fmt: str) -> None:
    """Show whether Elasticsearch answers: URL, version, health, pid and paths.
    Exits with status 3 when it is not running, 1 when it runs a major version
    this Toezicht's client cannot talk to."""
    elastic = _elastic()
    result = elastic.status(cfg)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
    else:
        width = max(len(k) for k in result)
        for key, value in result.items():
            click.echo(f"{key.ljust(width)}  {'' if value is None else value}")
    if not result.get("running"):
        raise click.exceptions.Exit(3)
    if result.get("compatible") is False:  # running, but of another major than the client
        raise click.exceptions.Exit(1)
