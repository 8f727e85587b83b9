"""End-to-end crawl benchmark: a generated local news site of 2,000 article pages,
served on 127.0.0.1 and crawled fetch → trafilatura → NLP → store → index (when
Elasticsearch is reachable), next to trafilatura-only extraction of the same HTML in
the same run.

Pages are the real pages of the Article Extraction Benchmark (``../shared/data``)
used as templates, each given its own URL, title and canonical link; without that
data, pages are generated from the demo site's template. Reports articles/s, time
relative to trafilatura-only, and peak RSS of the crawl (main process + workers).

    python bench/crawl.py [--pages 2000] [--workers N] [--no-index] [--json FILE]

Targets: ≥ 40 articles/s, end-to-end ≤ 1.5 × trafilatura-only time, peak RSS < 600 MB.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds scripts named like packages (incremental.py shadows Twisted's dependency)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
DATA = ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
SITE_VERSION = "2"  # bump when the generated site changes

# Politeness off for a local benchmark site only.
BENCH_SETTINGS = {
    "DOWNLOAD_DELAY": 0, "DOWNLOAD_DELAY_JITTER": 0, "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "LOG_LEVEL": "WARNING", "TOEZICHT_STORE_BATCH": 50,
}


# -- the site ---------------------------------------------------------------------
def _templates() -> list[str]:
    """Real article pages (decoded), or generated ones without the benchmark data."""
    files = sorted((DATA / "html").glob("*.html.gz")) if DATA.exists() else []
    if files:
        from w3lib.encoding import html_to_unicode

        return [html_to_unicode(None, gzip.decompress(f.read_bytes()))[1] for f in files]
    return _generated_templates()


def _generated_templates(n: int = 50) -> list[str]:
    from toezicht.demo.build import load_articles, page

    rng = random.Random(7)
    articles = load_articles()
    by_slug = {a["slug"]: a for a in articles}
    out = []
    for i in range(n):
        a = dict(articles[i % len(articles)])
        body = list(a["body"])
        a["body"] = [rng.choice(body) for _ in range(rng.randint(8, 20))]
        out.append(page(a, by_slug))
    return out


_CANONICAL = re.compile(r"<link[^>]+rel=[\"']?canonical[^>]*>", re.IGNORECASE)
_OG_URL = re.compile(r"<meta[^>]+property=[\"']og:url[^>]*>", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEAD = re.compile(r"<head[^>]*>", re.IGNORECASE)


def build_site(pages: int) -> Path:
    """Write the site under bench/out/site-<pages> (reused when already there)."""
    site = OUT / f"site-{pages}"
    stamp = site / ".version"
    if stamp.exists() and stamp.read_text() == SITE_VERSION:
        return site
    if site.exists():
        shutil.rmtree(site)
    (site / "a").mkdir(parents=True)
    templates = _templates()
    urls = []
    for i in range(pages):
        html = templates[i % len(templates)]
        path = f"/a/{i:05d}.html"
        html = _CANONICAL.sub("", html)
        html = _OG_URL.sub("", html)
        html = _TITLE.sub(lambda m, i=i: f"<title>{m.group(1).strip()} ({i})</title>", html,
                          count=1)
        link = f'<link rel="canonical" href="{{base}}{path}">'
        html, found = _HEAD.subn(lambda m, link=link: m.group(0) + link, html, count=1)
        if not found:
            html = link + html
        # keep the page's own encoding declaration out of the way: it is served as UTF-8
        html = re.sub(r"<meta[^>]+charset=[^>]*>", '<meta charset="utf-8">', html, count=1,
                      flags=re.IGNORECASE)
        (site / path.lstrip("/")).write_text(html, encoding="utf-8")
        urls.append(path)
    half = (len(urls) + 1) // 2
    for n, chunk in enumerate((urls[:half], urls[half:]), 1):
        entries = "\n".join(f"  <url><loc>{{base}}{u}</loc></url>" for u in chunk)
        (site / f"sitemap-{n}.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/'
            f'schemas/sitemap/0.9">\n{entries}\n</urlset>\n', encoding="utf-8")
    (site / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/'
        'schemas/sitemap/0.9">\n  <sitemap><loc>{base}/sitemap-1.xml</loc></sitemap>\n'
        '  <sitemap><loc>{base}/sitemap-2.xml</loc></sitemap>\n</sitemapindex>\n',
        encoding="utf-8")
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    (site / "sources.toml").write_text(
        '[[source]]\nname = "bench"\ntype = "sitemap"\nurl = "{base}/sitemap.xml"\n',
        encoding="utf-8")
    stamp.write_text(SITE_VERSION)
    return site


# -- measuring ----------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="latin-1") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="latin-1") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="latin-1") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def machine_busy_s() -> float:
    """CPU seconds all cores spent busy since boot (``/proc/stat``)."""
    with open("/proc/stat", encoding="latin-1") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="latin-1") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler(threading.Thread):
    """Peak RSS of a process and of it plus all its descendants, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_main, self.peak_tree, self.peak_procs = pid, 0, 0, 0
        self.peak_pss = 0
        self.cpu: dict[int, float] = {}  # pid -> user+system seconds, last seen
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            tree, todo, pids = _children(), [self.pid], []
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(tree.get(pid, []))
            sizes = [_rss_kb(p) for p in pids]
            for p in pids:
                self.cpu[p] = max(self.cpu.get(p, 0.0), _cpu_s(p))
            self.peak_main = max(self.peak_main, sizes[0])
            self.peak_tree = max(self.peak_tree, sum(sizes))
            self.peak_pss = max(self.peak_pss, sum(_pss_kb(p) for p in pids))
            self.peak_procs = max(self.peak_procs, len(pids))
            self.done.wait(0.2)


def trafilatura_only(site: Path, pages: int) -> dict[str, float]:
    """Plain ``trafilatura.extract`` over the same pages, one process, from memory."""
    import trafilatura

    docs = [(p.read_bytes(), f"http://127.0.0.1/a/{p.name}")
            for p in sorted((site / "a").glob("*.html"))[:pages]]
    trafilatura.extract(docs[0][0], url=docs[0][1])  # warm up
    start = time.perf_counter()
    for html, url in docs:
        trafilatura.extract(html, url=url)
    elapsed = time.perf_counter() - start
    return {"seconds": round(elapsed, 2), "pages_per_s": round(len(docs) / elapsed, 1)}


def child(args: dict[str, Any]) -> None:
    """Inside the measured process: one crawl, stats as JSON on stdout."""
    from crawler.run import run_crawl
    from toezicht.config import load_config

    cfg = load_config(data_dir=Path(args["data_dir"]), es_index=args["alias"])
    settings = dict(BENCH_SETTINGS)
    settings["TOEZICHT_INDEX_ENABLED"] = args["index"]
    stats = run_crawl(cfg, sources_file=args["sources"], base=args["base"],
                      workers=args["workers"], settings=settings, progress=None)
    print(json.dumps(stats))


def crawl(site: Path, workers: int | None, index: bool, alias: str) -> dict[str, Any]:
    from toezicht.sitesrv import SiteServer

    data_dir = OUT / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    with SiteServer(site) as server:
        spec = {"data_dir": str(data_dir), "sources": str(site / "sources.toml"),
                "base": server.base_url, "workers": workers, "index": index, "alias": alias}
        start, busy = time.perf_counter(), machine_busy_s()
        proc = subprocess.Popen([sys.executable, __file__, "--child", json.dumps(spec)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=ROOT)
        sampler = RssSampler(proc.pid)
        sampler.start()
        out, err = proc.communicate()
        elapsed = time.perf_counter() - start
        busy = machine_busy_s() - busy
        sampler.done.set()
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({proc.returncode}):\n{err[-3000:]}")
    stats = json.loads(out.strip().splitlines()[-1])
    return {"seconds": round(elapsed, 2), "stats": stats,
            "peak_rss_mb": round(sampler.peak_tree / 1024, 1),
            "peak_rss_main_mb": round(sampler.peak_main / 1024, 1),
            "peak_pss_mb": round(sampler.peak_pss / 1024, 1),
            "processes": sampler.peak_procs,
            "cpu_main_s": round(sampler.cpu.get(proc.pid, 0.0), 1),
            "cpu_other_s": round(sum(v for k, v in sampler.cpu.items() if k != proc.pid), 1),
            "machine_busy_s": round(busy, 1),
            "warnings": [
                line for line in err.splitlines() if "WARNING" in line or "ERROR" in line][:5]}


def drop_alias(alias: str) -> None:
    try:
        from index import es
        from toezicht.config import load_config

        client = es.make_client(load_config(es_index=alias))
        es.drop(client, alias)
    except Exception:  # noqa: BLE001 - nothing to clean when Elasticsearch is down
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None,
                        help="extraction/NLP processes (default: one per core, max 4)")
    parser.add_argument("--no-index", action="store_true", help="skip Elasticsearch")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return 0
    t0 = time.perf_counter()
    site = build_site(args.pages)
    print(f"site: {args.pages} pages in {site} ({time.perf_counter() - t0:.1f}s); "
          f"{os.cpu_count()} cores", flush=True)
    baseline = trafilatura_only(site, args.pages)
    print(f"trafilatura only : {baseline['seconds']:7.2f} s  {baseline['pages_per_s']:6.1f} "
          "pages/s (one process)", flush=True)
    alias = f"toezicht-bench-{os.getpid()}"
    try:
        result = crawl(site, args.workers, not args.no_index, alias)
    finally:
        drop_alias(alias)
    totals = result["stats"]["totals"]
    stored = totals["new"] + totals["updated"]
    rate = stored / result["seconds"]
    ratio = result["seconds"] / baseline["seconds"]
    indexed = (f"{totals['indexed']} indexed" if result["stats"]["index_available"]
               else "Elasticsearch not reachable: not indexed")
    print(f"end to end       : {result['seconds']:7.2f} s  {rate:6.1f} articles/s "
          f"({stored} stored, {totals['failed']} failed, {indexed})")
    print(f"ratio            : {ratio:.2f} × trafilatura-only time")
    print(f"peak RSS         : {result['peak_rss_mb']:.0f} MB in {result['processes']} "
          f"processes (crawl process {result['peak_rss_main_mb']:.0f} MB; shared pages "
          f"counted once (PSS): {result['peak_pss_mb']:.0f} MB)")
    ours = result["cpu_main_s"] + result["cpu_other_s"]
    capacity = result["seconds"] * (os.cpu_count() or 1)
    print(f"CPU              : crawl process {result['cpu_main_s']:.1f} s, workers "
          f"{result['cpu_other_s']:.1f} s = {ours / stored * 1000:.1f} ms/article; all cores "
          f"busy {result['machine_busy_s']:.1f} s of {capacity:.0f}"
          " (the rest: Elasticsearch, the site server, anything else running)")
    for line in result["warnings"]:
        print("  " + line)
    ok = rate >= 40 and ratio <= 1.5 and result["peak_rss_mb"] < 600
    print("targets (≥40 articles/s, ≤1.5×, <600 MB):", "met" if ok else "NOT met")
    if args.json:
        args.json.write_text(json.dumps({"baseline": baseline, "crawl": result,
                                         "articles_per_s": rate, "ratio": ratio}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
