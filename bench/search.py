"""Search benchmark: Elasticsearch vs. SQLite FTS5 on generated articles.

    .venv/bin/python bench/search.py --n 100000            # the full run
    .venv/bin/python bench/search.py --n 5000 --queries 50 # a quick one

Generates ``--n`` articles (60% Dutch, 150-900 words, ~10% syndicated copies;
index/search/synthetic.py) into a fresh store, assigns stories, then for each
backend: loads the index (docs/s), runs ``--queries`` mixed queries (text +
filters + facets + highlights, some collapsed to stories; latency p50/p95
measured at the client), and exports every article to CSV (time, and the
process's peak RSS above its level before the export: flat memory means that
number does not grow with the corpus). Targets: bulk >= 2,000 docs/s,
p50 < 50 ms, p95 < 150 ms, export of 100k < 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index import es  # noqa: E402
from index.search import SearchParams  # noqa: E402
from index.search import export as exporter  # noqa: E402
from index.search import stories as story_index  # noqa: E402
from index.search.es_backend import ElasticsearchBackend  # noqa: E402
from index.search.sqlite_backend import SqliteBackend  # noqa: E402
from index.search.synthetic import _COUNTRIES, _EN, _MEASURES, _NL, _PLATFORMS, bulk  # noqa: E402
from index.store import Store  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 1e6


class PeakRss:
    """Samples this process's RSS every 20 ms while active."""

    def __enter__(self) -> PeakRss:
        self.start = rss_mb()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def mixed_queries(n: int, seed: int = 1) -> list[SearchParams]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = rng.choice([_NL, _EN])
        kind = i % 5
        if kind == 0:
            q = rng.choice(words)
        elif kind == 1:
            q = " ".join(rng.sample(words, 2))
        elif kind == 2:
            q = f'"{rng.choice(words)} {rng.choice(words)}" | {rng.choice(words)}'
        elif kind == 3:
            q = f"{rng.choice(words)[:4]}* -{rng.choice(words)}"
        else:
            q = ""
        kw: dict[str, Any] = {"size": 10, "facets": True, "highlight": True}
        if rng.random() < 0.5:
            kw["langs"] = [rng.choice(["nl", "en"])]
        if rng.random() < 0.4:
            kw["countries"] = [rng.choice(_COUNTRIES)]
        if rng.random() < 0.3:
            kw["measures"] = [rng.choice(_MEASURES)]
        if rng.random() < 0.2:
            kw["platforms"] = [rng.choice(_PLATFORMS)]
        if rng.random() < 0.4:
            year = rng.choice([2024, 2025])
            kw["date_from"] = f"{year}-{rng.randint(1, 6):02d}"
            kw["date_to"] = f"{year}-{rng.randint(7, 12):02d}"
        if rng.random() < 0.2:
            kw["stories"] = True
        if rng.random() < 0.2:
            kw["sort"] = "date"
        out.append(SearchParams(query=q, **kw))
    return out


def loadavg() -> list[float]:
    """1/5/15-minute load averages: the machine may be shared, so numbers come with it."""
    return [round(x, 2) for x in os.getloadavg()]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def run_queries(backend: Any, queries: list[SearchParams]) -> dict[str, Any]:
    backend.search(SearchParams(query="warm", size=1))  # warm-up
    times, hits = [], 0
    for q in queries:
        t0 = time.perf_counter()
        result = backend.search(q)
        times.append((time.perf_counter() - t0) * 1000)
        hits += result.total
    return {"queries": len(queries), "p50_ms": round(pct(times, 50), 1),
            "p95_ms": round(pct(times, 95), 1), "max_ms": round(max(times), 1),
            "mean_ms": round(statistics.fmean(times), 1), "mean_total_hits": hits // len(times)}


def run_export(backend: Any, path: Path) -> dict[str, Any]:
    with PeakRss() as mem:
        t0 = time.perf_counter()
        with path.open("w", encoding="utf-8", newline="") as fh:
            n = exporter.write(backend.iter_all(SearchParams(relevant_only=False)), fh, "csv")
        seconds = time.perf_counter() - t0
    return {"rows": n, "seconds": round(seconds, 1), "rows_per_s": round(n / seconds),
            "mb_written": round(path.stat().st_size / 1e6, 1),
            "rss_before_mb": round(mem.start), "rss_peak_extra_mb": round(mem.peak - mem.start, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="articles to generate")
    ap.add_argument("--queries", type=int, default=200, help="mixed queries per backend")
    ap.add_argument("--es-url", default=os.environ.get("TOEZICHT_TEST_ES_URL",
                                                       "http://127.0.0.1:9200"))
    ap.add_argument("--backends", default="elasticsearch,sqlite")
    ap.add_argument("--workdir", help="keep the store here (default: a temp dir, removed)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON only")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="toezicht-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"n": args.n, "queries": args.queries,
                              "cpus": os.cpu_count(), "loadavg": {"start": loadavg()}}

    def say(msg: str) -> None:
        if not args.json:
            print(msg, file=sys.stderr, flush=True)

    store = Store(f"sqlite:///{work / 'bench.db'}")
    say(f"generating {args.n} articles into {work}/bench.db ...")
    t0 = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for art in bulk(args.n):
        batch.append(art)
        if len(batch) == 1000:
            store.save_articles(batch)
            batch = []
    if batch:
        store.save_articles(batch)
    report["store"] = {"seconds": round(time.perf_counter() - t0, 1),
                       "articles": store.count_articles()}
    say("assigning stories (MinHash LSH) ...")
    t0 = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for row in store.iter_articles(batch=1000):
        rows.append({"id": row["id"], "text": row["text"]})
        if len(rows) == 1000:
            story_index.assign(store.engine, rows)
            rows = []
    story_index.assign(store.engine, rows)
    seconds = time.perf_counter() - t0
    with store.engine.connect() as conn:
        from sqlalchemy import func, select

        n_stories = conn.scalar(select(func.count(func.distinct(
            story_index.article_stories.c.story_id))))
    report["stories"] = {"seconds": round(seconds, 1), "docs_per_s": round(args.n / seconds),
                         "stories": n_stories}

    for name in args.backends.split(","):
        say(f"[{name}] loading the index ...")
        alias = None
        if name == "elasticsearch":
            client = es.make_client(SimpleNamespace(
                resolved_es_url=args.es_url, es_api_key="", es_username="", es_password="",
                es_ca_certs=""), timeout=120)
            alias = f"toezicht-bench-{uuid.uuid4().hex[:8]}"
            t0 = time.perf_counter()
            result = es.sync(store, client, alias, chunk_size=1000)
            load = time.perf_counter() - t0
            backend: Any = ElasticsearchBackend(client, alias)
        else:
            backend = SqliteBackend(store)
            t0 = time.perf_counter()
            result = backend.sync(batch=1000)
            load = time.perf_counter() - t0
        part: dict[str, Any] = {"load": {"docs": result["indexed"], "seconds": round(load, 1),
                                         "docs_per_s": round(result["indexed"] / load)}}
        say(f"[{name}] {part['load']}; {args.queries} queries ...")
        part["query"] = run_queries(backend, mixed_queries(args.queries))
        say(f"[{name}] {part['query']}; export ...")
        part["export"] = run_export(backend, work / f"export-{name}.csv")
        say(f"[{name}] {part['export']}")
        (work / f"export-{name}.csv").unlink()
        part["loadavg"] = loadavg()
        report[name] = part
        if alias:
            es.drop(client, alias)
        backend.close()

    report["loadavg"]["end"] = loadavg()
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(json.dumps(report, indent=2))
    names = [n for n in args.backends.split(",") if n in report]
    print(f"\n{'':28}" + "".join(f"{n:>16}" for n in names))
    for label, path in (("bulk load docs/s", ("load", "docs_per_s")),
                        ("query p50 ms", ("query", "p50_ms")),
                        ("query p95 ms", ("query", "p95_ms")),
                        (f"export {args.n} s", ("export", "seconds")),
                        ("export peak extra RSS MB", ("export", "rss_peak_extra_mb"))):
        print(f"{label:28}" + "".join(f"{report[n][path[0]][path[1]]:>16}" for n in names))
    print(f"{'stories (shared) docs/s':28}{report['stories']['docs_per_s']:>16}")
    print(f"{'load average after (1 min)':28}" + "".join(f"{report[n]['loadavg'][0]:>16}"
                                                         for n in names)
          + f"   ({report['cpus']} CPUs; start {report['loadavg']['start']})")
    if not args.workdir:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
