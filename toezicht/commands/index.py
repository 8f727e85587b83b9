"""`toezicht index status|sync|rebuild`: the Elasticsearch index built from the store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from toezicht.config import Config


def _open(cfg: Config) -> tuple[Any, Any]:
    from index.es import make_client
    from index.store import Store, StoreError

    try:
        store = Store(cfg.resolved_store_url)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    return store, make_client(cfg)


@contextmanager
def _progress(label: str, quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr; yields the ``progress(done, total)`` callback."""
    if quiet:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _run(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    from index.es import SearchBackendError
    from index.search.sqlite_backend import SqliteSearchError

    try:
        return fn()
    except (SearchBackendError, SqliteSearchError) as exc:
        raise click.ClickException(str(exc)) from None


def _sqlite(cfg: Config) -> Any:
    """The SQLite FTS5 index when ``search_backend = "sqlite"``, else None."""
    if (cfg.search_backend or "elasticsearch").lower() != "sqlite":
        return None
    from index.search.sqlite_backend import SqliteBackend, SqliteSearchError
    from index.store import Store, StoreError

    try:
        return SqliteBackend(Store(cfg.resolved_store_url))
    except (StoreError, SqliteSearchError) as exc:
        raise click.ClickException(str(exc)) from None


def _report(result: dict[str, Any], fmt: str, verb: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    click.echo(f"{verb} {result['indexed']} of {result['total']} articles into {result['index']}"
               + (f", {result['failed']} failed" if result["failed"] else ""))
    for err in result.get("errors", [])[:10]:
        click.echo(f"  {err['id']}: {err['error']}", err=True)
    if result.get("deleted"):
        click.echo(f"alias swapped; deleted {', '.join(result['deleted'])}")


_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                       show_default=True, help="Output format.")
_QUIET = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")


@click.group()
def index() -> None:
    """The search index: Elasticsearch, rebuilt at will from the store of record.

    The index is an alias (es_index, default toezicht-articles) over a concrete
    index <alias>-<timestamp>, so a rebuild swaps it without downtime. With
    search_backend = "sqlite" these commands work on the SQLite FTS5 index in the
    store instead (which also follows the store by itself at each search).
    """


@index.command()
@_FORMAT
@click.pass_obj
def status(cfg: Config, fmt: str) -> None:
    """Alias and concrete index, document counts in index vs. store, health."""
    from index import es as es_index

    fts = _sqlite(cfg)
    if fts is not None:
        result = _run(fts.status)
    else:
        store, client = _open(cfg)
        result = _run(lambda: es_index.status(client, cfg.es_index, store))
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        click.echo(f"{key.ljust(width)}  {'-' if value is None else value}")
    if result.get("unsynced"):
        click.echo(f"{result['unsynced']} article(s) not yet indexed: run `toezicht index sync`",
                   err=True)


@index.command()
@_FORMAT
@_QUIET
@click.pass_obj
def sync(cfg: Config, fmt: str, quiet: bool) -> None:
    """Index every stored article Elasticsearch has not seen yet (for instance
    what was crawled while it was down), and mark them synced."""
    from index import es as es_index

    fts = _sqlite(cfg)
    with _progress("sync", quiet or fmt == "json") as progress:
        if fts is not None:
            result = _run(lambda: fts.sync(progress=progress))
        else:
            store, client = _open(cfg)
            result = _run(lambda: es_index.sync(store, client, cfg.es_index, progress))
    _report(result, fmt, "indexed")
    if result["failed"]:
        raise click.exceptions.Exit(1)


@index.command()
@_FORMAT
@_QUIET
@click.pass_obj
def rebuild(cfg: Config, fmt: str, quiet: bool) -> None:
    """Build a fresh index from the whole store, then swap the alias to it in one
    atomic step and delete the old index. Needs no network besides Elasticsearch."""
    from index import es as es_index

    fts = _sqlite(cfg)
    with _progress("rebuild", quiet or fmt == "json") as progress:
        if fts is not None:
            result = _run(lambda: fts.rebuild(progress))
        else:
            store, client = _open(cfg)
            result = _run(lambda: es_index.rebuild(store, client, cfg.es_index, progress))
    _report(result, fmt, "loaded")
    if result["failed"]:
        raise click.exceptions.Exit(1)
