"""`toezicht crawl`, `toezicht reprocess` and `toezicht sources list|check|health`."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

import click

from toezicht.config import Config


def _sources_path(cfg: Config, sources_file: str | None) -> Path:
    return Path(sources_file) if sources_file else Path(cfg.sources_file)


@click.command()
@click.option("--source", "-s", "names", multiple=True, metavar="NAME",
              help="Crawl only this source (repeatable). Default: every enabled source.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="At most N new article pages per source.")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False),
              help="Sources file (default: the configured sources_file).")
@click.option("--base", metavar="URL",
              help="Value for {base} placeholders in the sources file (the demo site).")
@click.option("--workers", type=click.IntRange(min=0), metavar="N",
              help="Processes for extraction and NLP (default: one per core, max 4; "
                   "0 = in the crawl process).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format of the run summary.")
@click.option("--verbose", "-v", is_flag=True, help="Show Scrapy's log (INFO).")
@click.pass_obj
def crawl(cfg: Config, names: tuple[str, ...], limit: int | None, sources_file: str | None,
          base: str | None, workers: int | None, fmt: str, verbose: bool) -> None:
    """Fetch new articles from the sources, extract and analyse them, store them and
    index them in Elasticsearch.

    Articles already stored are not fetched again. When Elasticsearch is down the
    articles are still stored; `toezicht index sync` indexes them later. Whatever is
    dropped (a failed request, a refused or truncated feed or sitemap, a redirect
    cycle, ...) is counted as failed with its reason, shown in the summary.

    Ctrl-C or SIGTERM stop gracefully: no new requests, the pages in flight are
    stored, the run is recorded as interrupted, exit status 130 or 143 (a second
    signal quits at once). Runs whose process died are marked abandoned.
    """
    from crawler.run import run_crawl
    from crawler.sources import SourceError
    from toezicht.schedule import LockHeld, crawl_run_lock

    settings = {"LOG_LEVEL": "INFO" if verbose else "WARNING"}
    lock = crawl_run_lock(cfg)
    try:
        lock.acquire()
    except LockHeld as exc:
        raise click.ClickException(f"{exc}: wait for it to finish") from None
    try:
        stats = run_crawl(cfg, list(names) or None, limit, sources_file, base=base,
                          workers=workers, settings=settings)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        lock.release()
    if fmt == "json":
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        _print_run(stats)
    if stats["status"] == "failed":
        raise click.ClickException(f"crawl failed: {stats['error']}")
    if stats["status"] == "interrupted":  # 128 + the signal, as a shell reports it
        sys.exit(128 + int(getattr(signal, stats.get("signal") or "SIGINT", signal.SIGINT)))


def _print_run(stats: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"crawl run {stats['run_id']} ({stats['status']}, "
                        f"{stats['elapsed']}s)")
    for col in ("source", "discovered", "known", "fetched", "new", "updated", "not article",
                "failed"):
        table.add_column(col, justify="left" if col == "source" else "right")
    for name, s in stats["sources"].items():
        errors = ", ".join(f"{k} {v}" for k, v in s["errors"].items())
        table.add_row(name, str(s["discovered"]), str(s["skipped_known"]), str(s["fetched"]),
                      str(s["new"]), str(s["updated"]), str(s["not_article"]),
                      f"{s['failed']}" + (f" ({errors})" if errors else ""))
    console = Console(stderr=False, width=None if sys.stdout.isatty() else 120)
    console.print(table)
    t = stats["totals"]
    index = (f"{t['indexed']} indexed" if stats.get("index_available")
             else "Elasticsearch unavailable: run `toezicht index sync` later")
    why = stats.get("failed_reasons") or {}
    failed = f"{t['failed']} failed" + (
        " (" + ", ".join(f"{k} {v}" for k, v in why.items()) + ")" if why else "")
    console.print(f"{t['new']} new, {t['updated']} updated, {failed}; {index}", soft_wrap=True)
    if stats["status"] == "interrupted":
        how = ("quit at once: pages in flight were dropped" if stats.get("stopped_now")
               else "the pages in flight were stored")
        console.print(f"interrupted by {stats.get('signal') or 'a signal'}: {how}; the next "
                      "crawl fetches the rest")


@click.command()
@click.option("--all", "scope", flag_value="all", help="Every stored page.")
@click.option("--stale", "scope", flag_value="stale", default=True,
              help="Pages analysed by an older NLP version (default).")
@click.option("--workers", type=click.IntRange(min=0), metavar="N",
              help="Processes for extraction and NLP (default: one per core, max 4).")
@click.pass_obj
def reprocess(cfg: Config, scope: str, workers: int | None) -> None:
    """Re-run extraction and NLP over the stored raw HTML (no network), update the
    store, then bring Elasticsearch up to date when it is reachable."""
    from crawler.reprocess import reprocess_store

    try:
        result = reprocess_store(cfg, only_stale=(scope == "stale"), workers=workers)
    except Exception as exc:  # a broken store is reported as one line
        from index.store import StoreError

        if isinstance(exc, StoreError):
            raise click.ClickException(str(exc)) from None
        raise
    click.echo(f"reprocessed {result['processed']} pages ({result['articles']} articles, "
               f"{result['failed']} failed); "
               + (f"{result['indexed']} indexed" if result["index_available"]
                  else "Elasticsearch unavailable: run `toezicht index sync` later"))


@click.group()
def sources() -> None:
    """List or check the sources file; show per-source crawl health."""


@sources.command("list")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False),
              help="Sources file (default: the configured sources_file).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def sources_list(cfg: Config, sources_file: str | None, fmt: str) -> None:
    """Show the configured sources."""
    from crawler.sources import SourceError, load_sources

    path = _sources_path(cfg, sources_file)
    try:
        items = load_sources(path, keep_placeholders=True)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps([s.as_dict() for s in items], indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=str(path))
    for col in ("name", "type", "lang", "enabled", "url"):
        table.add_column(col, overflow="fold")
    for s in items:
        table.add_row(s.name, s.type, s.lang or "", "yes" if s.enabled else "no", s.url)
    Console().print(table)


@sources.command("check")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False),
              help="Sources file (default: the configured sources_file).")
@click.pass_obj
def sources_check(cfg: Config, sources_file: str | None) -> None:
    """Validate the sources file: one-line error and a non-zero exit when it is bad."""
    from crawler.sources import SourceError, load_sources

    path = _sources_path(cfg, sources_file)
    try:
        items = load_sources(path, keep_placeholders=True)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from None
    kinds = ", ".join(f"{sum(s.type == k for s in items)} {k}" for k in ("feed", "sitemap",
                                                                          "pages"))
    click.echo(f"ok: {len(items)} sources in {path} ({kinds})")


@sources.command("health")
@click.option("--source", "-s", "names", multiple=True, metavar="NAME",
              help="Only this source (repeatable). Default: every source of the latest run.")
@click.option("--runs", "window", type=click.IntRange(min=1), default=14, show_default=True,
              help="Previous runs the new-article count is compared with (mean − 2σ).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--fail-on-flag", is_flag=True,
              help="Exit with status 3 when any source is flagged (for cron and CI).")
@click.pass_obj
def sources_health(cfg: Config, names: tuple[str, ...], window: int, fmt: str,
                   fail_on_flag: bool) -> None:
    """Per-source health of the latest crawl run: discovered, fetched, new, failures by
    reason (robots, 403, 404, 5xx, timeout), pages that were not articles and why, the
    last success, and a flag when a source fails every request or its new-article
    count falls below mean − 2σ of its previous runs."""
    from crawler.health import source_health
    from index.store import Store, StoreError

    try:
        store = Store(cfg.resolved_store_url)
        found = source_health(store, window=window, sources=list(names) or None)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps([h.as_dict() for h in found], indent=2, ensure_ascii=False))
    elif not found:
        click.echo("no finished crawl runs yet: run `toezicht crawl` first")
    else:
        _print_health(found)
    if fail_on_flag and any(h.flagged for h in found):
        sys.exit(3)


def _print_health(found: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="source health (latest run per source)")
    for col in ("source", "run", "discovered", "fetched", "new", "usual new", "not article",
                "failed", "last success", "flag"):
        table.add_column(col, justify="left" if col in {"source", "not article", "failed",
                                                        "last success", "flag"} else "right",
                         overflow="fold")
    for h in found:
        usual = f"{h.mean_new:.1f} ± {h.sd_new:.1f}" if h.mean_new is not None else "-"
        not_article = str(h.not_article) + (
            " (" + ", ".join(f"{k} {v}" for k, v in h.not_article_reasons.items()) + ")"
            if h.not_article_reasons else "")
        failed = str(h.failed) + (
            " (" + ", ".join(f"{k} {v}" for k, v in h.failures.items()) + ")"
            if h.failures else "")
        table.add_row(h.source, str(h.run_id or "-"), str(h.discovered), str(h.fetched),
                      str(h.new), usual, not_article, failed, h.last_success or "never",
                      f"[bold red]FLAG[/] {h.reason}" if h.flagged else "ok")
    console = Console(stderr=False, width=None if sys.stdout.isatty() else 160)
    console.print(table)
    flagged = [h.source for h in found if h.flagged]
    console.print(f"{len(flagged)} of {len(found)} sources flagged"
                  + (f": {', '.join(flagged)}" if flagged else ""))
