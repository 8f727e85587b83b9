"""Incremental crawling benchmark (issue 5).

Generates a local news site of N article pages (default 2,000) with a sitemap,
serves it on 127.0.0.1 (toezicht.sitesrv) and crawls it three times with the real
crawler, each run in its own process as the scheduler does:

1. first crawl of the whole site,
2. a second run with no changes,
3. a third run after adding 20 new articles.

Reports wall time and HTTP requests (all, and article pages) per run. Targets: the
no-change run takes < 10% of the first and fetches 0 article pages; the third
fetches exactly the 20 new ones.

    python bench/incremental.py [--articles 2000] [--new 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from toezicht.sitesrv import SiteServer

WORDS_EN = ("regulator investigation platform images deepfake report minister online safety "
            "users company statement court law children privacy app content").split()
WORDS_NL = ("toezichthouder onderzoek platform beelden deepfake minister online veiligheid "
            "gebruikers bedrijf verklaring rechter wet kinderen privacy app inhoud").split()


def article_html(i: int) -> str:
    rng = random.Random(i)
    lang, words = ("nl", WORDS_NL) if i % 2 else ("en", WORDS_EN)
    title = f"{'Bericht' if lang == 'nl' else 'Report'} {i}: " + " ".join(rng.choices(words, k=6))
    paras = "\n".join(
        "<p>" + " ".join(rng.choices(words, k=rng.randint(30, 60))).capitalize() + ".</p>"
        for _ in range(rng.randint(4, 8)))
    day = 1 + i % 28
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{title}</title>"
            f'<meta property="article:published_time" content="2026-01-{day:02d}T08:00:00Z">'
            f'</head><body><nav><a href="/">Home</a></nav><article><h1>{title}</h1>'
            f"{paras}</article><footer>Bench news</footer></body></html>")


def write_site(root: Path, start: int, count: int) -> None:
    news = root / "news"
    news.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        (news / f"a{i}.html").write_text(article_html(i), encoding="utf-8")
    total = start + count
    urls = "\n".join(f"<url><loc>{{base}}/news/a{i}.html</loc><lastmod>2026-01-{1 + i % 28:02d}"
                     "</lastmod></url>" for i in range(total))
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}\n</urlset>\n',
        encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")


def crawl(work: Path, server: SiteServer) -> dict[str, Any]:
    """One crawl in a child process; returns its time and the requests it made. The
    server stays up across runs: article ids derive from URLs, port included."""
    seen = len(server.requests)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "toezicht.cli", "--config", str(work / "toezicht.toml"),
         "crawl", "--sources", str(work / "sources.toml"), "--base", server.base_url,
         "--format", "json"], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed ({proc.returncode}): {proc.stderr.strip()[-3000:]}")
    stats = json.loads(proc.stdout)
    requests = server.requests[seen:]
    pages = [r for r in requests if r[1].startswith("/news/")]
    return {"seconds": round(elapsed, 2), "requests": len(requests),
            "article_requests": len(pages), "new": stats.get("totals", {}).get("new")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="toezicht-incr-") as tmp:
        work = Path(tmp)
        site = work / "site"
        write_site(site, 0, args.articles)
        (work / "sources.toml").write_text(
            '[[source]]\nname = "bench"\ntype = "sitemap"\nurl = "{base}/sitemap.xml"\n',
            encoding="utf-8")
        (work / "toezicht.toml").write_text(
            f'data_dir = "{work / "data"}"\ndownload_delay = 0.0\nconcurrent_per_domain = 16\n'
            'es_url = "http://127.0.0.1:9"\n', encoding="utf-8")  # ES off: store only
        with SiteServer(site) as server:
            runs = {"first": crawl(work, server), "unchanged": crawl(work, server)}
            write_site(site, args.articles, args.new)
            runs["with_new"] = crawl(work, server)
    ratio = runs["unchanged"]["seconds"] / max(runs["first"]["seconds"], 1e-9)
    checks = {
        "unchanged_under_10pct": ratio < 0.10,
        "unchanged_fetches_no_articles": runs["unchanged"]["article_requests"] == 0,
        "third_fetches_exactly_new": runs["with_new"]["article_requests"] == args.new,
    }
    result = {"articles": args.articles, "new": args.new, "runs": runs,
              "unchanged_vs_first": round(ratio, 4), "checks": checks}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for name, r in runs.items():
            print(f"{name:<10} {r['seconds']:>8.2f}s  requests {r['requests']:>5}  "
                  f"article pages {r['article_requests']:>5}  new {r['new']}")
        print(f"unchanged/first time ratio {ratio:.3f}")
        for name, ok in checks.items():
            print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
