"""Body-text extraction quality on the Article Extraction Benchmark (181 real pages).

Prints precision/recall/F1 and pages/s of Toezicht's own HTML→article step next to
plain trafilatura on the same pages in the same run. Metric as in the benchmark's
evaluate.py: per page, multiset matching of 4-token shingles normalised per page;
precision and recall averaged over pages; F1 from those averages.

    python bench/extraction.py [--data DIR] [--limit N] [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 4) -> Counter:
    tokens = TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1))
                   if tokens[i : i + n])


def page_scores(true: str, pred: str) -> tuple[float, float, float]:
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)


def summarise(scores: list[tuple[float, float, float]]) -> dict[str, float]:
    precision = statistics.mean(_precision(*s) for s in scores if s[0] + s[1] > 0)
    recall = statistics.mean(_recall(*s) for s in scores if s[0] + s[2] > 0)
    return {"precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall)}


def run_all(extractors: dict[str, Callable[[bytes, str], str]],
            pages: list[tuple[str, bytes, str, str]]) -> dict[str, dict[str, float]]:
    """Every extractor on every page, interleaved page by page (the order rotating), so
    load on a shared machine drifts into all timings alike."""
    names = list(extractors)
    scores: dict[str, list] = {n: [] for n in names}
    seconds = dict.fromkeys(names, 0.0)
    for i, (_key, html, url, truth) in enumerate(pages):
        order = names[i % len(names):] + names[:i % len(names)]
        for name in order:
            start = time.perf_counter()
            text = extractors[name](html, url)
            seconds[name] += time.perf_counter() - start
            scores[name].append(page_scores(truth, text))
    out = {}
    for name in names:
        result = summarise(scores[name]) | {"pages_per_s": len(pages) / seconds[name],
                                            "seconds": seconds[name]}
        print(f"{name:<28} P={result['precision']:.3f} R={result['recall']:.3f} "
              f"F1={result['f1']:.3f}  {result['pages_per_s']:.1f} pages/s", flush=True)
        out[name] = result
    return out


def trafilatura_plain(html: bytes, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url) or ""


def toezicht_extract(html: bytes, url: str) -> str:
    from crawler.extract import extract_article

    return (extract_article(html, url) or {}).get("text") or ""


def toezicht_without(*parts: str) -> Callable[[bytes, str], str]:
    """Toezicht with the site overrides and/or the recall retry switched off, to
    measure what they cost."""
    def extract(html: bytes, url: str) -> str:
        from crawler import extract as ex
        from crawler import sites

        saved = ex.SHORT_TEXT, sites.site_for
        try:
            if "retry" in parts:
                ex.SHORT_TEXT = 0
            if "overrides" in parts:
                sites.site_for = lambda url, specs=None: None
            return (ex.extract_article(html, url) or {}).get("text") or ""
        finally:
            ex.SHORT_TEXT, sites.site_for = saved
    return extract


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--quick", action="store_true",
                        help="only plain trafilatura and Toezicht (no cost breakdown)")
    args = parser.parse_args()
    truth_file = args.data / "ground-truth.json"
    if not truth_file.exists():
        print(f"benchmark data not found: {truth_file}", file=sys.stderr)
        return 2
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth)[: args.limit or None]:
        html = gzip.decompress((args.data / "html" / f"{key}.html.gz").read_bytes())
        pages.append((key, html, truth[key].get("url", ""), truth[key].get("articleBody", "")))
    print(f"{len(pages)} pages; published baseline: trafilatura 2.0.0 F1 0.958")
    baseline = "trafilatura (baseline)"
    extractors = {baseline: trafilatura_plain, "toezicht": toezicht_extract}
    if not args.quick:
        extractors["toezicht -overrides"] = toezicht_without("overrides")
        extractors["toezicht -overrides -retry"] = toezicht_without("overrides", "retry")
    results = run_all(extractors, pages)
    base, ours = results[baseline], results["toezicht"]
    ms = {name: r["seconds"] / len(pages) * 1000 for name, r in results.items()}
    print(f"F1 difference: {ours['f1'] - base['f1']:+.3f}; extra time per page vs plain "
          f"trafilatura: {ms['toezicht'] - ms[baseline]:+.1f} ms")
    if not args.quick:
        print(f"of which: site overrides {ms['toezicht'] - ms['toezicht -overrides']:+.1f} ms, "
              f"recall retry {ms['toezicht -overrides'] - ms['toezicht -overrides -retry']:+.1f}"
              f" ms, the rest (metadata, not-an-article checks, precision mode) "
              f"{ms['toezicht -overrides -retry'] - ms[baseline]:+.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
