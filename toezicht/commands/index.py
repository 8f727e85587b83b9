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
    if verb == "indexed" and "already_in_sync" in result:
        click.echo(f"indexed {result['indexed']}, deleted {result['deleted']}, "
                   f"already in sync {result['already_in_sync']} ({result['index']})"
                   + (f", {result['failed']} failed" if result["failed"] else ""))
    else:
        click.echo(f"{verb} {result['indexed']} of {result['total']} articles into "
                   f"{result['index']}"
                   + (f", {result['failed']} failed" if result["failed"] else ""))
    for err in result.get("errors", [])[:10]:
        click.echo(f"  {err['id']}: {err['error']}", err=True)
    if result.get("caught_up"):
        click.echo(f"then indexed {result['caught_up']} changed while loading")
    if result.get("stale_deleted"):
        click.echo(f"deleted stale partial indices {', '.join(result['stale_deleted'])}")
    if result.get("deleted") and isinstance(result["deleted"], list):
        click.echo(f"alias swapped; deleted {', '.join(result['deleted'])}")


_CHUNK = click.option("--chunk-size", type=click.IntRange(1, 10_000), default=1000,
                      show_default=True, help="Documents per bulk request.")


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


def _es_only(fts: Any, **flags: bool) -> None:
    used = [name for name, on in flags.items() if on]
    if fts is not None and used:
        raise click.UsageError(f"--{used[0]} applies to the Elasticsearch index "
                               "(search_backend = \"sqlite\" is set)")


@index.command()
@_FORMAT
@click.option("--verify", is_flag=True,
              help="Also compare the ids in the index with the store's (reads them all).")
@click.option("--clean", is_flag=True,
              help="Delete stale partial indices (left by killed rebuilds) first; never "
                   "the live one or one a running rebuild is writing.")
@click.pass_obj
def status(cfg: Config, fmt: str, verify: bool, clean: bool) -> None:
    """Alias and concrete index, document counts in index vs. store, health, partial
    indices, and whether the index is in sync with the store."""
    from index import es as es_index

    fts = _sqlite(cfg)
    _es_only(fts, verify=verify, clean=clean)
    cleaned: list[str] = []
    if fts is not None:
        result = _run(fts.status)
    else:
        store, client = _open(cfg)
        if clean:
            cleaned = _run(lambda: {"names": es_index.clean_stale(client, cfg.es_index,
                                                                   store)})["names"]
        result = _run(lambda: es_index.status(client, cfg.es_index, store, verify=verify))
        if clean:
            result["cleaned"] = cleaned
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
        return
    partial = result.pop("partial", [])
    width = max(len(k) for k in result)
    for key, value in result.items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        click.echo(f"{key.ljust(width)}  {'-' if value is None else value}")
    for part in partial:
        click.echo(f"  {part['name']}: {part['state']}"
                   + (f" - {part['why']}" if part["why"] else "")
                   + f"; {part.get('docs_loaded', 0)} docs loaded, "
                     f"{part.get('bytes', 0) / 1e6:.1f} MB", err=True)
    if result.get("unsynced"):
        click.echo(f"{result['unsynced']} article(s) not yet indexed: run `toezicht index sync`",
                   err=True)
    if result.get("exists") and result.get("marks_current") is False:
        click.echo(f"the store's synced marks describe {result.get('marks_index') or 'no index'}"
                   f", not the live {result['index']}: run `toezicht index sync`", err=True)
    elif result.get("in_sync") is False and not result.get("unsynced"):
        click.echo("index and store differ: run `toezicht index sync`", err=True)
    if result.get("stale_indices"):
        click.echo("stale partial indices (killed rebuilds): `toezicht index status --clean` "
                   "or the next rebuild deletes them", err=True)


@index.command()
@_FORMAT
@_QUIET
@_CHUNK
@click.option("--verify", is_flag=True,
              help="Compare the ids of index and store even when the counts agree.")
@click.pass_obj
def sync(cfg: Config, fmt: str, quiet: bool, chunk_size: int, verify: bool) -> None:
    """Bring the index in line with the store: index every stored article it lacks (for
    instance what was crawled while Elasticsearch was down) and delete what the store no
    longer has. Compares document counts, and the ids when they differ (or --verify)."""
    from index import es as es_index

    fts = _sqlite(cfg)
    _es_only(fts, verify=verify)
    with _progress("sync", quiet or fmt == "json") as progress:
        if fts is not None:
            result = _run(lambda: fts.sync(progress=progress))
        else:
            store, client = _open(cfg)
            result = _run(lambda: es_index.sync(store, client, cfg.es_index, progress,
                                                chunk_size=chunk_size, repair=True,
                                                verify=verify))
    _report(result, fmt, "indexed")
    if result["failed"]:
        raise click.exceptions.Exit(1)


@index.command()
@_FORMAT
@_QUIET
@_CHUNK
@click.pass_obj
def rebuild(cfg: Config, fmt: str, quiet: bool, chunk_size: int) -> None:
    """Build a fresh index from the whole store, then swap the alias to it in one
    atomic step and delete the old index (and partial indices of killed rebuilds).
    Needs no network besides Elasticsearch. One rebuild at a time per data directory."""
    from index import es as es_index
    from toezicht.schedule import CrawlLock, LockHeld

    fts = _sqlite(cfg)
    lock = CrawlLock(cfg.data_dir, "index-rebuild.lock", "index rebuild")
    try:
        lock.acquire()
    except LockHeld as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with _progress("rebuild", quiet or fmt == "json") as progress:
            if fts is not None:
                result = _run(lambda: fts.rebuild(progress))
            else:
                store, client = _open(cfg)
                result = _run(lambda: es_index.rebuild(store, client, cfg.es_index, progress,
                                                       chunk_size=chunk_size))
    finally:
        lock.release()
    _report(result, fmt, "loaded")
    if result["failed"]:
        raise click.exceptions.Exit(1)
