"""Publication-date accuracy on the labelled pages of the quality test site
(tests/sites/quality/_labels.json: JSON-LD, meta, feed only, URL only, Dutch and
English written dates, relative dates, month precision, no date, not-articles).

Prints, per labelled page and in total, whether Toezicht's date cascade finds the
labelled date *and* its precision, next to htmldate (what trafilatura uses) on the
same pages — htmldate sees no feed and gives no precision, so it is scored on the
day (or month) alone.

    python bench/dates.py [--verbose]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "sites" / "quality"
BASE = "https://testkrant.example"


def expected(label: dict[str, Any], lang: str | None, fetched: datetime) -> str | None:
    if "relative_days" in label or "relative_hours" in label:
        zone = ZoneInfo("Europe/Amsterdam" if lang == "nl" else "Europe/London")
        back = timedelta(days=label.get("relative_days", 0), hours=label.get("relative_hours", 0))
        return (fetched.astimezone(zone) - back).date().isoformat()
    return label.get("published")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", "-v", action="store_true", help="one line per page")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from htmldate import find_date

    from crawler.extract import extract_article

    labels = json.loads((SITE / "_labels.json").read_text(encoding="utf-8"))
    fetched = datetime.now(UTC).replace(microsecond=0)
    ours_ok = base_ok = 0
    seconds = 0.0
    for path, label in labels.items():
        html = (SITE / path.lstrip("/")).read_text(encoding="utf-8").replace("{base}", BASE)
        url = BASE + (path[:-len("index.html")] if path.endswith("index.html") else path)
        start = time.perf_counter()
        art = extract_article(html.encode(), url, feed_date=label.get("feed_date"),
                              fetched_at=fetched.isoformat())
        seconds += time.perf_counter() - start
        want = expected(label, art["lang"], fetched)
        got_ours = art["published"] == want and art["published_precision"] == label["precision"]
        guess = find_date(html, url=url, original_date=True, extensive_search=False)
        got_base = (guess or None) == (want[:10] if want else None)
        ours_ok += got_ours
        base_ok += got_base
        if args.verbose or not got_ours:
            print(f"{'ok ' if got_ours else 'BAD'} {path:<52} want {want} ({label['precision']}) "
                  f"got {art['published']} ({art['published_precision']}, "
                  f"{art['published_source']}); htmldate {guess}")
    n = len(labels)
    print(f"{n} labelled pages: toezicht date+precision accuracy {ours_ok / n:.3f} "
          f"({ours_ok}/{n}); htmldate (date only, no feed) {base_ok / n:.3f} ({base_ok}/{n}); "
          f"{seconds / n * 1000:.1f} ms/page")
    real_pages(extract_article)
    return 0


def real_pages(extract_article: Any) -> None:
    """A second, weaker check on real markup: the benchmark pages whose URL carries a
    day (``/2019/11/18/``) are extracted with the date-free URL ``https://host/a``, and
    the date found in the page is compared with the URL's (±1 day: time zones)."""
    import gzip
    from datetime import date
    from urllib.parse import urlsplit

    from crawler.extract import url_date

    data = ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
    if not (data / "ground-truth.json").exists():
        return
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    n = agree = found = 0
    for key, entry in sorted(truth.items()):
        label = url_date(entry.get("url") or "")
        if not label or label[1] != "day":
            continue
        n += 1
        html = gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes())
        art = extract_article(html, f"https://{urlsplit(entry['url']).hostname}/a")
        if not art["published"] or art["published_precision"] != "day":
            continue
        found += 1
        got, want = date.fromisoformat(art["published"][:10]), date.fromisoformat(label[0])
        agree += abs((got - want).days) <= 1
    if n:
        print(f"{n} benchmark pages with a day in the URL, URL hidden: a day-precise date "
              f"found on {found / n:.3f}, agreeing with the URL (±1 day) on {agree / n:.3f}")


if __name__ == "__main__":
    sys.exit(main())
