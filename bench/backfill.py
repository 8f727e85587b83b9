"""Backfill benchmark (issue 13).

Generates a WARC (one gzip member per record, as crawlers write them) of N response
records (default 20,000, each after its request record): about 2% on the topic —
short pages written here from a pool of sentences made up for this benchmark — and
the rest real off-topic news pages (the Article Extraction Benchmark's 181 pages,
~170 KB each, in ../shared/data; 10% of them sent with ``Content-Encoding: gzip``).
Then, in one run:

1. the prefilter path on one core: WARC parsing and decompression (fastwarc),
   Content-Encoding decoding and the topic prefilter — records/s, MB/s of HTML, the
   prefilter's recall on the on-topic records and its pass rate on the off-topic
   ones, and the process's resident memory after 25/50/100% of the records (flat);
2. the prefilter's recall on the dev set's relevant articles (../shared/eval,
   read at run time, each text rendered as a page; only counts are printed);
3. ``toezicht backfill`` end to end on the same file (one worker process: extract,
   NLP, store; no index): records/s and articles/s;
4. with ``--news-please``: news-please 1.6.16's own WARC path,
   ``NewsPlease.from_warc(record, fetch_images=False)`` on the first 1,000 response
   records of the same WARC read with warcio (what it takes), timed per record and
   extrapolated to all the response records, next to Toezicht's end-to-end HTML
   response records/s and the ratio (target: Toezicht >= 20x faster). news-please is a
   bench-only extra, not a dependency of Toezicht: install it into the venv by hand,
   ``pip install news-please==1.6.16 nltk tinysegmenter warcio`` (nltk and tinysegmenter
   or it fails on the Korean and Japanese pages; if nltk's ``punkt_tab`` model is not
   installed, an untrained one is written to a temporary NLTK_DATA so nothing is
   downloaded). Without it the comparison is skipped with a one-line note.

    python bench/backfill.py [--records 20000] [--on-topic 0.02] [--keep DIR] [--json]
                             [--news-please [--news-please-sample 1000]]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import sys
import tempfile
import time
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# the repository, not bench/ (whose incremental.py would shadow a package)
sys.path[0] = str(ROOT)
SHARED = ROOT.parent / "shared"
PAGES = SHARED / "data" / "article-extraction-benchmark" / "html"
DEV = SHARED / "eval" / "dev.jsonl"

# Sentences written for this benchmark (no news text copied): on-topic pages are a few
# of them each.
EN = [
    "A regulator opened an investigation into an app that uses artificial intelligence "
    "to create fake nude images of women without their consent.",
    "Police said pupils had shared sexually explicit deepfakes of classmates made with "
    "a free online tool.",
    "The minister announced a bill to make creating sexual deepfakes a criminal offence.",
    "The platform restricted its image generator after users made sexualised pictures "
    "of real people.",
    "The watchdog ordered the company to remove the AI-generated images within 48 hours.",
    "Campaigners said nudify apps were advertised openly on social media.",
    "A court fined the operator of a website that hosted deepfake pornography.",
    "Parents were warned that the chatbot could undress photos uploaded by strangers.",
]
NL = [
    "De toezichthouder is een onderzoek gestart naar een app die met kunstmatige "
    "intelligentie naaktbeelden maakt van vrouwen zonder hun toestemming.",
    "Volgens de politie deelden leerlingen seksueel expliciete deepfakes van "
    "klasgenoten, gemaakt met een gratis online tool.",
    "Het kabinet wil het maken van deepfakeporno strafbaar stellen.",
    "Het platform heeft de beeldgenerator beperkt nadat gebruikers seksuele beelden "
    "van echte mensen maakten.",
    "De waakhond eist dat het bedrijf de AI-gegenereerde beelden binnen 48 uur "
    "verwijdert.",
    "Volgens slachtofferhulp worden uitkleedapps openlijk aangeprezen op sociale media.",
    "De rechter legde de beheerder van een site met nepnaaktfoto's een boete op.",
    "Ouders worden gewaarschuwd dat de chatbot foto's van kinderen kan uitkleden.",
]
FILLER = [
    "The case has drawn attention in parliament.", "Het kabinet reageert volgende week.",
    "A spokesperson declined to comment further.", "Meer details volgen later vandaag.",
]


def on_topic_page(i: int, rng: random.Random) -> tuple[str, bytes]:
    lang, pool = ("nl", NL) if i % 2 else ("en", EN)
    paras = rng.sample(pool, 3) + [rng.choice(FILLER)]
    title = paras[0].split(",")[0][:80]
    day = 1 + i % 28
    url = f"https://news{i % 7}.example/{lang}/2026/01/{day:02d}/story-{i}"
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    html = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><link rel=\"canonical\" href=\"{url}\">"
            f'<meta property="article:published_time" content="2026-01-{day:02d}T08:00:00Z">'
            f"</head><body><nav><a href=\"/\">Home</a></nav><article><h1>{escape(title)}</h1>"
            f"{body}</article><footer>Bench</footer></body></html>")
    return url, html.encode("utf-8")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def build(path: Path, records: int, share: float, seed: int = 13) -> dict[str, Any]:
    """Write the WARC; returns what is in it."""
    from crawler.backfill.warc import response_record

    pages = [gzip.decompress(p.read_bytes()) for p in sorted(PAGES.glob("*.html.gz"))]
    if not pages:
        raise SystemExit(f"no benchmark pages in {PAGES}")
    rng = random.Random(seed)
    n_on = max(1, round(records * share))
    on_at = set(rng.sample(range(records), n_on))
    on_urls: set[str] = set()
    html_bytes = 0
    with open(path, "wb") as out:
        for i in range(records):
            date = f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"
            if i in on_at:
                url, body = on_topic_page(i, rng)
                on_urls.add(url)
                encoding = None
            else:
                body = pages[i % len(pages)]
                url = f"https://offtopic{i % 13}.example/news/{i}"
                encoding = "gzip" if i % 10 == 0 else None
            html_bytes += len(body)
            out.write(gzip.compress(response_record(url, b"", record_type="request",
                                                    date=date), 1))
            out.write(gzip.compress(response_record(url, body, date=date,
                                                    content_encoding=encoding), 1))
    return {"records": records * 2, "responses": records, "on_topic": n_on,
            "on_urls": on_urls, "html_mb": html_bytes / 1e6,
            "file_mb": path.stat().st_size / 1e6}


def prefilter_pass(path: Path, info: dict[str, Any]) -> dict[str, Any]:
    from crawler.backfill.prefilter import default_prefilter
    from crawler.backfill.warc import WarcReader

    prefilter = default_prefilter()
    marks = {int(info["records"] * f): f for f in (0.25, 0.5, 1.0)}
    memory: dict[str, float] = {}
    on_hit = off_pass = off = html = 0
    html_bytes = 0
    n = 0
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    for _, _kind, page in WarcReader(str(path)):
        n += 1
        if page is not None:
            html += 1
            html_bytes += len(page.body)
            hit = prefilter.match(page.body) is not None
            if page.url in info["on_urls"]:
                on_hit += hit
            else:
                off += 1
                off_pass += hit
        if n in marks:
            memory[f"{int(marks[n] * 100)}%"] = round(rss_mb(), 1)
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    memory.setdefault("100%", round(rss_mb(), 1))
    return {"records": n, "html": html, "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
            "records_per_s_core": round(n / cpu, 1),
            "responses_per_s_core": round(html / cpu, 1),
            "html_mb_per_s": round(html_bytes / 1e6 / cpu, 1),
            "recall_on_topic": round(on_hit / info["on_topic"], 4),
            "off_topic_pass_rate": round(off_pass / max(off, 1), 4),
            "off_topic_passed": off_pass, "rss_mb": memory}


def dev_recall() -> dict[str, Any] | None:
    from crawler.backfill.prefilter import default_prefilter

    if not DEV.exists():
        return None
    prefilter = default_prefilter()
    relevant = passed = 0
    for line in DEV.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row.get("relevant"):
            continue
        relevant += 1
        page = (f'<!doctype html><html lang="{row.get("lang", "en")}"><head><title>x</title>'
                f"</head><body><article><p>{escape(row['text'])}</p></article></body></html>")
        passed += prefilter.match(page.encode("utf-8")) is not None
    return {"relevant": relevant, "passed": passed,
            "recall": round(passed / relevant, 4) if relevant else None}


def end_to_end(path: Path, work: Path) -> dict[str, Any]:
    from crawler.backfill.run import Backfill, Options
    from toezicht.config import load_config

    cfg = load_config(None, data_dir=work / "data")
    opts = Options(workers=1, index=False, progress=False)
    started = time.perf_counter()
    summary = Backfill(cfg, [str(path)], opts).run()
    seconds = time.perf_counter() - started
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    d = summary.as_dict()
    return {"seconds": round(seconds, 1), "records": d["records"], "stored": d["stored"],
            "relevant": d["relevant"], "events": d["events"],
            "records_per_s": round(d["records"] / seconds, 1),
            "articles_per_s": round(d["stored"] / seconds, 2),
            "worker_peak_rss_mb": round(child, 1), "failed": d["failed"]}


def news_please(path: Path, responses: int, sample: int) -> dict[str, Any]:
    """news-please's own WARC path on the first ``sample`` response records."""
    import logging
    import warnings

    try:
        import nltk
        from newsplease import NewsPlease
        from warcio.archiveiterator import ArchiveIterator
    except ImportError as exc:
        return {"skipped": f"news-please comparison skipped: {exc.name or exc} not "
                           "installed (pip install news-please==1.6.16 nltk "
                           "tinysegmenter warcio; bench-only)"}
    import importlib.metadata

    note = None
    try:  # the Korean tokenizer needs punkt_tab; nltk.download would need the internet
        nltk.data.find("tokenizers/punkt_tab/english/")
    except LookupError:
        data = Path(tempfile.mkdtemp(prefix="toezicht-bench-nltk-"))
        model = data / "tokenizers" / "punkt_tab" / "english"
        model.mkdir(parents=True)
        for name in ("collocations.tab", "sent_starters.txt", "abbrev_types.txt",
                     "ortho_context.tab"):
            (model / name).write_text("")
        nltk.data.path.insert(0, str(data))
        note = "nltk punkt_tab not installed: an untrained English model was used"
    errors: dict[str, int] = {}
    timed = 0
    seconds = 0.0
    logging.disable(logging.CRITICAL)  # readability logs every page it cannot parse
    try:
        with warnings.catch_warnings(), open(path, "rb") as f:
            warnings.simplefilter("ignore")
            for record in ArchiveIterator(f):
                if record.rec_type != "response":
                    continue
                started = time.perf_counter()
                try:
                    NewsPlease.from_warc(record, fetch_images=False)
                except Exception as exc:  # counted: its time is part of the total
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                seconds += time.perf_counter() - started
                timed += 1
                if timed >= sample:
                    break
    finally:
        logging.disable(logging.NOTSET)
    per_record = seconds / max(timed, 1)
    return {"version": importlib.metadata.version("news-please"), "sample": timed,
            "sample_s": round(seconds, 1), "records_per_s": round(1 / per_record, 2),
            "extrapolated_s": round(per_record * responses, 1), "errors": errors,
            "note": note}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000,
                        help="response records in the WARC (default 20,000)")
    parser.add_argument("--on-topic", type=float, default=0.02, help="share on the topic")
    parser.add_argument("--keep", type=Path, help="write the WARC and store here")
    parser.add_argument("--no-end-to-end", action="store_true")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--news-please", action="store_true",
                        help="also time news-please's from_warc (bench-only extra)")
    parser.add_argument("--news-please-sample", type=int, default=1000,
                        help="response records news-please reads (default 1,000)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="toezicht-bench-backfill-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "bench.warc.gz"
    t0 = time.perf_counter()
    info = build(path, args.records, args.on_topic)
    out: dict[str, Any] = {"warc": {k: (round(v, 1) if isinstance(v, float) else v)
                                    for k, v in info.items() if k != "on_urls"},
                           "build_s": round(time.perf_counter() - t0, 1)}
    out["prefilter"] = prefilter_pass(path, info)
    out["dev_relevant"] = dev_recall()
    if not args.no_end_to_end:
        out["end_to_end"] = end_to_end(path, work)
        out["end_to_end"]["responses_per_s"] = round(
            info["responses"] / max(out["end_to_end"]["seconds"], 1e-9), 1)
    if args.news_please:
        n = news_please(path, info["responses"], args.news_please_sample)
        if "end_to_end" in out and "skipped" not in n:
            n["toezicht_faster"] = round(n["extrapolated_s"]
                                         / max(out["end_to_end"]["seconds"], 1e-9), 1)
        out["news_please"] = n
    if args.json:
        print(json.dumps(out, indent=2))
        return
    w, p = out["warc"], out["prefilter"]
    print(f"WARC: {w['records']:,} records ({w['responses']:,} responses, {w['on_topic']} on "
          f"the topic), {w['html_mb']:,.0f} MB of HTML, {w['file_mb']:,.0f} MB on disk "
          f"(built in {out['build_s']}s)")
    print(f"prefilter path, one core: {p['records_per_s_core']:,.0f} records/s "
          f"({p['responses_per_s_core']:,.0f} HTML responses/s, {p['html_mb_per_s']:,.0f} "
          f"MB/s of HTML) — parse + decompress + decode + prefilter")
    print(f"prefilter recall on the on-topic records: {p['recall_on_topic']:.2f}; "
          f"off-topic pass rate: {p['off_topic_pass_rate']:.2%} ({p['off_topic_passed']} "
          "pages)")
    d = out["dev_relevant"]
    if d:
        print(f"prefilter recall on the dev set's relevant articles: {d['passed']}/"
              f"{d['relevant']} = {d['recall']:.2f}")
    print("memory (RSS) after 25/50/100% of the records: "
          + " / ".join(f"{v} MB" for v in p["rss_mb"].values()))
    if "end_to_end" in out:
        e = out["end_to_end"]
        print(f"end to end (toezicht backfill, 1 worker, no index): {e['seconds']}s, "
              f"{e['records_per_s']:,.0f} records/s, {e['stored']} articles stored "
              f"({e['articles_per_s']:.1f}/s, {e['relevant']} relevant, {e['events']} "
              f"events), worker peak RSS {e['worker_peak_rss_mb']:,.0f} MB, failed: "
              f"{e['failed'] or 'none'}")
    n = out.get("news_please")
    if n and "skipped" in n:
        print(n["skipped"])
    elif n:
        errors = ", ".join(f"{k} {v}" for k, v in sorted(n["errors"].items())) or "none"
        print(f"news-please {n['version']} from_warc(fetch_images=False), 1 process: "
              f"{n['records_per_s']:,.2f} HTML responses/s on the first {n['sample']:,} "
              f"({n['sample_s']}s; raised: {errors}) -> {n['extrapolated_s']:,.0f}s "
              f"extrapolated to {w['responses']:,}"
              + (f" [{n['note']}]" if n["note"] else ""))
        if "toezicht_faster" in n:
            e = out["end_to_end"]
            print(f"Toezicht end to end {e['responses_per_s']:,.1f} HTML responses/s "
                  f"({e['seconds']}s) vs news-please {n['records_per_s']:,.2f}: Toezicht "
                  f"is {n['toezicht_faster']:,.1f}x faster; target >= 20x")
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
