"""Running a backfill: WARC files in worker processes (one file each at a time), the
store and the index written by this process only.

A worker reads its file record by record (:mod:`crawler.backfill.warc`): every record
is counted by kind, every HTML record by (domain, day); an HTML page passes the topic
prefilter (:mod:`crawler.backfill.prefilter`) or costs nothing more; a passing page not
stored yet goes through the crawl's own steps: ``crawler.work.extract_fields``
(trafilatura, dates, canonical URL), ``crawler.work.analyse_batch`` (``nlp``),
``crawler.pipelines.store_record`` (the store row, raw HTML kept for ``reprocess``).
About every second the worker sends a *checkpoint*: the analysed articles of the
records since the last one, their counts, and the offset of the next record. This
process stores the articles (``Store.save_articles``, skipping any already stored by
id, URL or canonical URL, whichever way they came) and then, in one transaction,
records the checkpoint (``index.backfill_state``). Killed at any moment, the next run
starts every file at its last checkpoint: records after it are read again, articles
stored after it are found stored and skipped, so nothing is stored twice and nothing
is missed. Elasticsearch is brought up to date as the crawl does (``index.es.sync``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 1.0
# records between checkpoints at most ($TOEZICHT_BACKFILL_CHECKPOINT_RECORDS: tests)
CHECKPOINT_RECORDS = int(os.environ.get("TOEZICHT_BACKFILL_CHECKPOINT_RECORDS") or 2000)
INDEX_EVERY = 30.0  # seconds between index syncs during a backfill (and one at the end)
NLP_BATCH = 8


@dataclass
class Options:
    """What ``toezicht backfill`` was asked for (picklable: sent to the workers)."""

    published_from: str | None = None  # YYYY-MM-DD, publication date (else WARC-Date)
    published_to: str | None = None
    domains: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    alerts: bool = False
    alert_since: str = ""  # YYYY-MM-DD: reported on or after it may alert (with alerts)
    workers: int = 1
    index: bool = True
    progress: bool = True
    sources: tuple[tuple[str, str, str | None], ...] = ()  # (host, source name, lang)


@dataclass
class Summary:
    """Counters of one backfill run, over all its files."""

    files: int = 0
    files_done: int = 0
    records: int = 0
    bytes: int = 0
    counts: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    indexed: int = 0
    index_available: bool | None = None
    seconds: float = 0.0

    def add(self, stats: dict[str, Any]) -> None:
        for key, value in stats.items():
            if key == "skipped":
                self.skipped.update(value)
            elif key == "failed":
                self.failed.update(value)
            elif key != "records":
                self.counts[key] += value

    def as_dict(self) -> dict[str, Any]:
        return {"files": self.files, "files_done": self.files_done, "records": self.records,
                "bytes": self.bytes, "html": self.counts["html"],
                "passed_prefilter": self.counts["passed_prefilter"],
                "already_stored": self.counts["known"], "stored": self.counts["stored"],
                "relevant": self.counts["relevant"], "events": self.counts["events"],
                "not_article": self.counts["not_article"], "skipped": dict(self.skipped),
                "failed": dict(self.failed), "errors": list(self.errors),
                "indexed": self.indexed, "seconds": round(self.seconds, 2)}

    def lines(self) -> list[str]:
        d = self.as_dict()
        rate = self.records / self.seconds if self.seconds else 0.0
        out = [
            f"files: {d['files_done']} of {d['files']} done"
            + (f", {len(self.errors)} with errors" if self.errors else ""),
            f"records read: {d['records']:,} ({rate:,.0f}/s, "
            f"{self.bytes / 1e6 / max(self.seconds, 1e-9):.1f} MB/s)",
            f"HTML: {d['html']:,}; passed the prefilter: {d['passed_prefilter']:,}; "
            f"already stored: {d['already_stored']:,}",
            f"stored: {d['stored']:,} articles, {d['relevant']:,} relevant, "
            f"{d['events']:,} events" + (f"; not articles: {d['not_article']:,}"
                                         if d["not_article"] else ""),
        ]
        if self.skipped:
            out.append("skipped: " + ", ".join(f"{k} {v:,}" for k, v in
                                               sorted(self.skipped.items())))
        out.append("failed: " + (", ".join(f"{k} {v:,}" for k, v in sorted(self.failed.items()))
                                 if self.failed else "none"))
        if self.index_available is False:
            out.append("index: Elasticsearch not updated; run `toezicht index sync` once it "
                       "is up")
        elif self.index_available:
            out.append(f"index: {self.indexed:,} articles sent to Elasticsearch")
        return out


# -- helpers ---------------------------------------------------------------------------
def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def in_domains(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def source_hosts(sources: Iterable[Any]) -> tuple[tuple[str, str, str | None], ...]:
    """(host, name, lang) of every configured source with a real URL."""
    out = []
    for src in sources:
        host = host_of(src.url) if "{" not in src.url else ""
        if host:
            out.append((host, src.name, src.lang))
    return tuple(out)


def source_for(host: str, sources: Iterable[tuple[str, str, str | None]]
               ) -> tuple[str, str | None]:
    """The configured source whose URL has this domain (the closest), else the domain."""
    best: tuple[int, str, str | None] | None = None
    for shost, name, lang in sources:
        if host == shost or host.endswith("." + shost) or shost.endswith("." + host):
            score = 2 if host == shost else 1
            if best is None or score > best[0]:
                best = (score, name, lang)
    return (best[1], best[2]) if best else (host, None)


def report_date(article: dict[str, Any], warc_date: str) -> str:
    return str(article.get("published") or warc_date or "")[:10]


# -- the worker side -------------------------------------------------------------------
def scan_file(task: dict[str, Any], emit: Callable[[tuple[Any, ...]], None]) -> None:
    """Read one WARC file from its checkpoint to its end, emitting checkpoints."""
    from crawler.backfill.prefilter import default_prefilter
    from crawler.backfill.warc import WarcError, WarcReader
    from crawler.items import FetchedPage
    from crawler.middlewares import stored_urls
    from crawler.pipelines import store_record
    from crawler.urls import canonical_id, canonicalize
    from crawler.work import analyse_batch, extract_fields
    from index.store import Store

    opts: Options = task["options"]
    key = task["file"]
    prefilter = default_prefilter()
    store = Store(task["store_url"])
    reader = WarcReader(task["location"], task["offset"])
    records = task["records"]
    days: Counter = Counter()
    stats: dict[str, Any] = {"records": 0, "skipped": Counter(), "failed": Counter()}
    pending: list[FetchedPage] = []
    ready: list[dict[str, Any]] = []
    last = time.monotonic()
    since_cp = 0
    reported = 0

    def count(name: str, n: int = 1) -> None:
        stats[name] = stats.get(name, 0) + n

    def analyse() -> None:
        if not pending:
            return
        try:
            results = analyse_batch([item.article or {} for item in pending])
        except Exception as exc:  # keep the articles; `reprocess` can analyse them later
            log.warning("analysis failed for %d archived pages: %s: %s", len(pending),
                        exc.__class__.__name__, exc)
            stats["failed"]["nlp_error"] += len(pending)
            results = [(None, None, None)] * len(pending)
        for item, (analysis, lang, version) in zip(pending, results, strict=True):
            item.analysis, item.nlp_version = analysis, version
            if lang and item.article is not None:
                item.article["lang"] = lang
            record = store_record(item)
            record["_warc_date"] = item.fetched_at
            ready.append(record)
        pending.clear()

    def checkpoint(offset: int, status: str | None = None, error: str | None = None) -> None:
        nonlocal last, since_cp, days, stats, reported
        analyse()
        errors = reader.errors[reported:]
        reported = len(reader.errors)
        emit(("checkpoint", key, {"records": records, "offset": offset, "days": dict(days),
                                  "stats": stats, "articles": list(ready), "status": status,
                                  "error": error, "errors": errors, "size": reader.size}))
        ready.clear()
        days = Counter()
        stats = {"records": 0, "skipped": Counter(), "failed": Counter()}
        last, since_cp = time.monotonic(), 0

    try:
        for start, kind, page in reader:
            if since_cp >= CHECKPOINT_RECORDS or (
                    since_cp and time.monotonic() - last >= CHECKPOINT_SECONDS):
                checkpoint(start)
            records += 1
            since_cp += 1
            stats["records"] += 1
            if page is None:
                if kind.startswith("failed:"):
                    stats["failed"][kind[7:]] += 1
                else:
                    stats["skipped"][kind] += 1
                continue
            host = host_of(page.url)
            if opts.domains and not in_domains(host, opts.domains):
                stats["skipped"]["other_domain"] += 1
                continue
            days[(host, page.warc_date[:10])] += 1
            count("html")
            if prefilter.match(page.body) is None:
                continue
            count("passed_prefilter")
            try:
                request_url = canonicalize(page.url)
            except ValueError:
                stats["failed"]["invalid_url"] += 1
                continue
            if store.known_ids([canonical_id(request_url)]) or stored_urls(
                    store, [request_url, page.url]):
                count("known")
                continue
            source, lang_hint = source_for(host, opts.sources)
            fields = {"body": page.body, "url": page.url, "content_type": page.content_type,
                      "lang_hint": lang_hint, "source": source, "request_url": request_url,
                      "fetched_at": page.warc_date, "status": page.status}
            try:
                article = extract_fields(fields)
            except Exception as exc:  # never lose the file over one page
                log.warning("extraction failed for %s: %s: %s", page.url,
                            exc.__class__.__name__, exc)
                stats["failed"]["extract_error"] += 1
                continue
            if article.get("kind") != "article":
                count("not_article")
                continue
            day = report_date(article, page.warc_date)
            if (opts.published_from and day < opts.published_from) or (
                    opts.published_to and day > opts.published_to):
                stats["skipped"]["outside_dates"] += 1
                continue
            if opts.langs and (article.get("lang") or "") not in opts.langs:
                stats["skipped"]["other_lang"] += 1
                continue
            item = FetchedPage(source=source, url=page.url, request_url=request_url,
                               body=page.body, status=page.status,
                               content_type=page.content_type, headers=page.headers,
                               fetched_at=page.warc_date, lang_hint=lang_hint)
            item.article = article
            pending.append(item)
            if len(pending) >= NLP_BATCH:
                analyse()
        checkpoint(reader.position, status="done")
    except WarcError as exc:
        checkpoint(reader.position, status="failed", error=str(exc))
    except Exception as exc:  # anything else ends this file, never the others
        checkpoint(reader.position, status="failed",
                   error=f"{exc.__class__.__name__}: {' '.join(str(exc).split())}")
    finally:
        store.engine.dispose()


def _worker_main(tasks: Any, results: Any, parent_pid: int, lifeline: Any) -> None:
    from crawler.work import _worker_init

    _worker_init(parent_pid, lifeline)
    while True:
        task = tasks.get()
        if task is None:
            return
        results.put(("start", task["file"], os.getpid()))
        try:
            scan_file(task, results.put)
        except Exception as exc:  # opening the store, say
            results.put(("checkpoint", task["file"], {
                "records": task["records"], "offset": task["offset"], "days": {},
                "stats": {}, "articles": [], "status": "failed", "errors": [], "size": None,
                "error": f"{exc.__class__.__name__}: {' '.join(str(exc).split())}"}))


# -- this process ----------------------------------------------------------------------
class Backfill:
    """One backfill run over ``locations`` (paths or URLs)."""

    def __init__(self, cfg: Any, locations: list[str], opts: Options,
                 echo: Callable[[str], None] | None = None) -> None:
        from index import backfill_state  # noqa: F401  (its tables, before the store opens)
        from index.store import Store

        self.cfg = cfg
        self.locations = list(dict.fromkeys(locations))
        self.opts = opts
        self.store = Store(cfg.resolved_store_url)
        self.summary = Summary(files=len(self.locations))
        self.echo = echo or (lambda line: log.warning("%s", line))
        self.done: dict[str, int] = {}  # bytes done per file (progress)
        self.sizes: dict[str, int | None] = {}
        self.last_index = time.monotonic()
        self.stored_since_index = 0
        self.seen_ids: set[str] = set()
        self.index_down = False

    # tasks
    def tasks(self) -> list[dict[str, Any]]:
        from crawler.backfill.warc import file_key
        from index import backfill_state

        out = []
        for location in self.locations:
            key = file_key(location)
            state = backfill_state.file_state(self.store, key)
            if state and state["status"] == "done":
                self.summary.files_done += 1
                self.summary.skipped["file_already_done"] += 1
                continue
            state = backfill_state.start_file(self.store, key)
            self.sizes[key] = state.get("size")
            self.done[key] = int(state.get("byte_offset") or 0)
            out.append({"file": key, "location": location,
                        "offset": int(state.get("byte_offset") or 0),
                        "records": int(state.get("records") or 0),
                        "store_url": self.cfg.resolved_store_url, "options": self.opts})
        return out

    def run(self) -> Summary:
        started = time.monotonic()
        tasks = self.tasks()
        bar = self._bar()
        try:
            with bar:
                self._task = bar.add_task("backfill", total=self._total())
                self._bar_obj = bar
                if not tasks:
                    pass
                elif self.opts.workers <= 0:
                    for task in tasks:
                        scan_file(task, self.handle)
                else:
                    self._run_workers(tasks)
        finally:
            self.summary.seconds = time.monotonic() - started
            self._index(final=True)
            self.store.engine.dispose()
        return self.summary

    def _run_workers(self, tasks: list[dict[str, Any]]) -> None:
        ctx = multiprocessing.get_context("spawn")
        task_q, result_q = ctx.Queue(), ctx.Queue()
        read_fd, write_fd = os.pipe()
        from multiprocessing.connection import Connection

        lifeline = Connection(read_fd, writable=False)
        n = max(1, min(self.opts.workers, len(tasks)))
        for task in tasks:
            task_q.put(task)
        for _ in range(n):
            task_q.put(None)
        procs = [ctx.Process(target=_worker_main, args=(task_q, result_q, os.getpid(), lifeline),
                             daemon=True) for _ in range(n)]
        for proc in procs:
            proc.start()
        current: dict[int, str] = {}
        left = {t["file"] for t in tasks}
        try:
            while left:
                try:
                    msg = result_q.get(timeout=0.5)
                except queue.Empty:
                    if all(not p.is_alive() for p in procs):
                        for key in sorted(left):
                            self._file_error(key, "worker process died")
                        return
                    for proc in procs:
                        key = current.get(proc.pid or -1)
                        if key and not proc.is_alive() and key in left:
                            self._file_error(key, f"worker process died (exit {proc.exitcode})")
                            left.discard(key)
                    continue
                if msg[0] == "start":
                    current[msg[2]] = msg[1]
                    continue
                self.handle(msg)
                if msg[2].get("status"):
                    left.discard(msg[1])
        finally:
            for proc in procs:
                proc.join(timeout=0.2 if left else 5)
                if proc.is_alive():
                    proc.kill()
            lifeline.close()
            os.close(write_fd)

    def _file_error(self, key: str, error: str) -> None:
        from index import backfill_state

        state = backfill_state.file_state(self.store, key) or {}
        backfill_state.checkpoint(self.store, key, records=int(state.get("records") or 0),
                                  offset=int(state.get("byte_offset") or 0), days={}, stats={},
                                  status="failed", error=error)
        self.summary.errors.append(f"{key}: {error}")
        self.echo(f"error: {key}: {error}")

    # checkpoints
    def handle(self, msg: tuple[Any, ...]) -> None:
        from index import backfill_state

        _, key, cp = msg
        records = cp["articles"]
        stats = dict(cp["stats"])
        stored, alerts = self._store(records, stats)
        backfill_state.checkpoint(
            self.store, key, records=cp["records"], offset=cp["offset"], days=cp["days"],
            stats=_plain(stats), articles=alerts, status=cp.get("status"),
            error=cp.get("error"), size=cp.get("size"))
        self.summary.records += int(stats.get("records") or 0)
        self.summary.add(_plain(stats))
        for problem in cp.get("errors") or []:
            self.summary.failed["corrupt_member" if "corrupt" in problem else
                                "bad_record"] += 1
            self.summary.errors.append(f"{key}: {problem}")
            self.echo(f"error: {key}: {problem}")
        if cp.get("error"):
            self.summary.errors.append(f"{key}: {cp['error']}")
            self.summary.failed["file_error"] += 1
            self.echo(f"error: {key}: {cp['error']}")
        if cp.get("status") == "done":
            self.summary.files_done += 1
        if cp.get("size") and not self.sizes.get(key):
            self.sizes[key] = cp["size"]
            self._bar_obj.update(self._task, total=self._total())
        moved = max(0, int(cp["offset"]) - self.done.get(key, 0))
        self.done[key] = int(cp["offset"])
        self.summary.bytes += moved
        self._bar_obj.update(self._task, advance=moved, description=self._describe())
        self.stored_since_index += stored
        if self.stored_since_index and time.monotonic() - self.last_index >= INDEX_EVERY:
            self._index()

    def _store(self, records: list[dict[str, Any]], stats: dict[str, Any]
               ) -> tuple[int, list[tuple[str, str | None, bool]]]:
        """Store the articles not stored yet; returns how many and the backfill rows."""
        from crawler.middlewares import stored_urls
        from crawler.pipelines import _dedupe

        if not records:
            return 0, []
        ids = [r["id"] for r in records]
        known = self.store.known_ids(ids) | self.seen_ids
        urls = stored_urls(self.store, {u for r in records
                                        for u in (r.get("url"), r.get("canonical_url")) if u})
        fresh: list[dict[str, Any]] = []
        for record in records:
            if record["id"] in known or record.get("url") in urls or record.get(
                    "canonical_url") in urls:
                stats["known"] = stats.get("known", 0) + 1
                continue
            known.add(record["id"])
            fresh.append(record)
        if not fresh:
            return 0, []
        rows = []
        for record in fresh:
            when = record.pop("_warc_date", None)
            may = self.opts.alerts and report_date(record, when or "") >= self.opts.alert_since
            rows.append((record["id"], when, bool(may)))
        try:
            self.store.save_articles(_dedupe(fresh))
        except Exception as exc:
            stats.setdefault("failed", Counter())["store_error"] += len(fresh)
            log.error("could not store %d archived articles: %s: %s", len(fresh),
                      exc.__class__.__name__, exc)
            raise
        for record in fresh:
            analysis = record.get("analysis") or {}
            stats["stored"] = stats.get("stored", 0) + 1
            stats["relevant"] = stats.get("relevant", 0) + int(bool(analysis.get("relevant")))
            stats["events"] = stats.get("events", 0) + len(analysis.get("events") or [])
        self.seen_ids.update(r["id"] for r in fresh)
        return len(fresh), rows

    def _index(self, final: bool = False) -> None:
        if not self.opts.index or not self.stored_since_index or (
                self.index_down and not final):
            return
        from crawler.reprocess import _sync_index

        result = _sync_index(self.cfg, self.store)
        self.summary.index_available = bool(result.get("index_available"))
        self.summary.indexed += int(result.get("indexed") or 0)
        self.last_index = time.monotonic()
        if self.summary.index_available:
            self.stored_since_index = 0
        else:
            self.index_down = True  # tried again only at the end

    # progress
    def _total(self) -> float | None:
        if not self.sizes or any(s is None for s in self.sizes.values()):
            return None
        return float(sum(s or 0 for s in self.sizes.values()))

    def _describe(self) -> str:
        elapsed = max(1e-9, time.monotonic() - self._started_at())
        return (f"{self.summary.records:,} records · {self.summary.records / elapsed:,.0f} "
                f"rec/s · {self.summary.bytes / 1e6 / elapsed:.1f} MB/s")

    def _started_at(self) -> float:
        if not hasattr(self, "_t0"):
            self._t0 = time.monotonic()
        return self._t0

    def _bar(self) -> Any:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._started_at()
        return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                        TextColumn("ETA"), TimeRemainingColumn(),
                        console=Console(stderr=True), disable=not self.opts.progress,
                        transient=False)


def _plain(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in stats.items()}


# -- CC-NEWS ---------------------------------------------------------------------------
CC_NEWS_BASE = "https://data.commoncrawl.org/"


def months(first: date, last: date) -> list[tuple[int, int]]:
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def cc_news_listing(base: str, year: int, month: int, timeout: float = 60.0) -> list[str]:
    """The WARC URLs of one month of CC-NEWS (``crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz``
    under ``base``)."""
    import gzip
    import urllib.request

    from crawler.backfill.warc import USER_AGENT, WarcError

    base = base if base.endswith("/") else base + "/"
    url = f"{base}crawl-data/CC-NEWS/{year:04d}/{month:02d}/warc.paths.gz"
    try:
        with urllib.request.urlopen(urllib.request.Request(  # noqa: S310
                url, headers={"User-Agent": USER_AGENT}), timeout=timeout) as response:
            data = response.read()
    except OSError as exc:
        raise WarcError(f"cannot fetch the CC-NEWS listing {url}: "
                        f"{getattr(exc, 'reason', None) or exc}") from None
    try:
        text = gzip.decompress(data).decode("utf-8") if data[:2] == b"\x1f\x8b" else \
            data.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise WarcError(f"the CC-NEWS listing {url} is not a gzipped list of paths: "
                        f"{exc}") from None
    return [base + line.strip().lstrip("/") for line in text.splitlines() if line.strip()]


def alert_cutoff(since: timedelta, now: datetime | None = None) -> str:
    return ((now or datetime.now(UTC)) - since).date().isoformat()
