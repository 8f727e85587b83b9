"""`toezicht backfill`: articles from web archives (WARC files, Common Crawl's CC-NEWS)
through the crawl's own extract → NLP → store → index steps (crawler.backfill)."""

from __future__ import annotations

import calendar
import json
import re
from datetime import date, timedelta
from typing import Any

import click

from toezicht.config import Config

MONTH_OR_DAY = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
DURATION = re.compile(r"^(\d+)\s*([dhw])$")


class MonthOrDay(click.ParamType):
    """YYYY-MM (a whole month) or YYYY-MM-DD; the value is ``(first day, last day)``."""

    name = "month"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM[-DD]"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[date, date]:
        if isinstance(value, tuple):
            return value
        match = MONTH_OR_DAY.match(str(value).strip())
        try:
            if not match:
                raise ValueError
            year, month = int(match[1]), int(match[2])
            if match[3]:
                day = date(year, month, int(match[3]))
                return day, day
            last = calendar.monthrange(year, month)[1]
            return date(year, month, 1), date(year, month, last)
        except ValueError:
            self.fail(f"{value!r} is not a month or a date: use YYYY-MM or YYYY-MM-DD",
                      param, ctx)


class Since(click.ParamType):
    """A duration back from now (7d, 48h, 2w) or a date (YYYY-MM-DD)."""

    name = "since"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "7d|48h|YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from crawler.backfill.run import alert_cutoff

        text = str(value).strip().lower()
        match = DURATION.match(text)
        if match:
            n, unit = int(match[1]), match[2]
            return alert_cutoff(timedelta(days=n) if unit == "d" else timedelta(hours=n)
                                if unit == "h" else timedelta(weeks=n))
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            self.fail(f"{value!r} is neither a duration (7d, 48h, 2w) nor a date "
                      "(YYYY-MM-DD)", param, ctx)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out += [v.strip().lower() for v in value.split(",") if v.strip()]
    return tuple(dict.fromkeys(out))


@click.command()
@click.argument("warcs", nargs=-1, metavar="[WARC]...")
@click.option("--cc-news", is_flag=True,
              help="Read Common Crawl's CC-NEWS: the WARC files listed for every month from "
                   "--from to --to (crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz under "
                   "--cc-news-url).")
@click.option("--cc-news-url", "base_url", envvar="TOEZICHT_CC_NEWS_URL",
              default="https://data.commoncrawl.org/", show_default=True, metavar="URL",
              help="Where CC-NEWS lives (a mirror, or a local test server); also "
                   "$TOEZICHT_CC_NEWS_URL.")
@click.option("--from", "date_from", type=MonthOrDay(),
              help="Keep articles published on or after this month or day (else the "
                   "archive date counts); with --cc-news also the first month read.")
@click.option("--to", "date_to", type=MonthOrDay(),
              help="Keep articles published up to the end of this month or on this day; "
                   "with --cc-news also the last month read (default: --from's month).")
@click.option("--domain", "domains", multiple=True, metavar="DOMAIN",
              help="Only pages of this domain or its subdomains (repeatable or "
                   "comma-separated, e.g. nos.nl,nu.nl); other records are skipped.")
@click.option("--lang", "langs", multiple=True, metavar="LANGS",
              help="Only articles in these languages (comma-separated, e.g. nl,en).")
@click.option("--alerts", is_flag=True,
              help="Let actions first reported by backfilled articles alert subscribers "
                   "(only those reported within --alert-since). Default: they fold into "
                   "actions silently.")
@click.option("--alert-since", type=Since(), default="7d", show_default=True,
              help="With --alerts: articles published (else archived) this recently, or "
                   "since this date, may alert.")
@click.option("--workers", type=click.IntRange(min=0), metavar="N",
              help="WARC files read in parallel, one process each (default: one per core, "
                   "at most 4 and at most the number of files; 0 = in this process).")
@click.option("--no-index", is_flag=True,
              help="Only store; leave Elasticsearch to `toezicht index sync`.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar with records/s, MB/s and ETA (default: on a terminal).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format of the final summary.")
@click.pass_obj
def backfill(cfg: Config, warcs: tuple[str, ...], cc_news: bool, base_url: str,
             date_from: tuple[date, date] | None, date_to: tuple[date, date] | None,
             domains: tuple[str, ...], langs: tuple[str, ...], alerts: bool,
             alert_since: str, workers: int | None, no_index: bool, progress: bool | None,
             fmt: str) -> None:
    """Backfill from web archives: read WARC files (local .warc/.warc.gz files or
    http(s) URLs, streamed, never downloaded first) or a span of CC-NEWS months, and
    put the archived news articles on the topic through the crawl's own extraction,
    NLP, store and index.

    Only HTML responses are read (requests, metadata, robots.txt, images, ... are
    skipped and counted); a prefilter on the raw bytes drops off-topic pages before
    any parsing. An article already stored (by URL or canonical URL) is not stored
    again. Its source is the configured source of its domain, else the domain;
    fetched_at is the WARC-Date. Per domain and day the HTML records read are kept.

    Resumable: each file's progress is in the store, so the same command after a
    kill continues where it stopped; finished files are skipped. A corrupt or
    truncated file is one error line, the other files go on (exit status 1 at the
    end).

    \b
    Examples:
      toezicht backfill archive-2026-01.warc.gz
      toezicht backfill --cc-news --from 2026-01 --domain nos.nl,nu.nl --lang nl
    """
    from crawler.backfill.run import Backfill, Options, cc_news_listing, months, source_hosts
    from crawler.backfill.warc import WarcError
    from crawler.work import default_workers
    from toezicht.schedule import CrawlLock, LockHeld

    if not warcs and not cc_news:
        raise click.UsageError("give WARC files or URLs, or --cc-news with --from")
    if cc_news and not date_from:
        raise click.UsageError("--cc-news needs --from (a month such as 2026-01)")
    first = date_from[0] if date_from else None
    last = date_to[1] if date_to else (date_from[1].replace(
        day=calendar.monthrange(date_from[1].year, date_from[1].month)[1])
        if date_from and cc_news else None)
    if first and last and last < first:
        raise click.UsageError("--to is before --from")
    locations = list(warcs)
    errors: list[str] = []
    if cc_news and first and last:
        for year, month in months(first, last):
            try:
                locations += cc_news_listing(base_url, year, month)
            except WarcError as exc:
                errors.append(str(exc))
                click.echo(f"error: {exc}", err=True)
    n_workers = workers if workers is not None else max(1, min(default_workers(),
                                                               len(locations) or 1))
    opts = Options(
        published_from=first.isoformat() if first else None,
        published_to=last.isoformat() if last else None,
        domains=_split(domains), langs=_split(langs), alerts=alerts,
        alert_since=alert_since, workers=n_workers, index=not no_index,
        progress=_show_progress(progress), sources=_sources(cfg, source_hosts))
    lock = CrawlLock(cfg.data_dir, "backfill.lock", "backfill")
    try:
        lock.acquire()
    except LockHeld as exc:
        raise click.ClickException(f"{exc}: wait for it to finish") from None
    try:
        summary = Backfill(cfg, locations, opts,
                           echo=lambda line: click.echo(line, err=True)).run()
    finally:
        lock.release()
    summary.errors[:0] = errors
    if fmt == "json":
        click.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    else:
        for line in summary.lines():
            click.echo(line)
    if summary.errors:
        raise click.ClickException(f"{len(summary.errors)} file(s) or listing(s) had "
                                   "errors (see above); run the same command again to retry")


def _show_progress(flag: bool | None) -> bool:
    import sys

    return sys.stderr.isatty() if flag is None else flag


def _sources(cfg: Config, source_hosts: Any) -> tuple[tuple[str, str, str | None], ...]:
    from crawler.sources import SourceError, load_sources

    try:
        return source_hosts(load_sources(cfg.sources_file, keep_placeholders=True))
    except SourceError:
        return ()
