"""The timeline as an inline SVG bar chart, rendered on the server: one stacked bar
per bucket, each bar a link that filters the search to that period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup, escape

PALETTE = ["#1f6fb2", "#e07b00", "#2f9e44", "#c2255c", "#7048e8", "#868e96"]
MAX_SERIES = 5  # more series are folded into "other"


def period_end(key: str, interval: str) -> str:
    start = date.fromisoformat(key)
    if interval == "week":
        return (start + timedelta(days=6)).isoformat()
    if interval == "month":
        nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return (nxt - timedelta(days=1)).isoformat()
    return key


def series_colours(series: list[str], other: str) -> list[tuple[str, str]]:
    shown = series[:MAX_SERIES]
    out = [(s, PALETTE[i]) for i, s in enumerate(shown)]
    if len(series) > MAX_SERIES:
        out.append((other, PALETTE[-1]))
    return out


def bars(timeline: dict[str, Any], href: Callable[[str, str], str],
         label: Callable[[str], str], other: str) -> list[dict[str, Any]]:
    """One dict per bucket: key, end, total, label, href, segments [(series, n, colour)]."""
    series = timeline["series"]
    colours = dict(series_colours(series, other))
    out = []
    for b in timeline["buckets"]:
        end = period_end(b["key"], timeline["interval"])
        segs = []
        if series:
            rest = b["total"]
            for s in series[:MAX_SERIES]:
                n = b["by"].get(s, 0)
                rest -= n
                if n:
                    segs.append((s, n, colours[s]))
            folded = sum(b["by"].get(s, 0) for s in series[MAX_SERIES:])
            if folded:
                segs.append((other, folded, PALETTE[-1]))
        elif b["total"]:
            segs.append(("", b["total"], PALETTE[0]))
        out.append({"key": b["key"], "end": end, "total": b["total"], "label": label(b["key"]),
                    "href": href(b["key"], end), "segments": segs})
    return out


def svg(items: list[dict[str, Any]], title: Callable[[dict[str, Any]], str],
        tick: Callable[[str], str], aria: str) -> Markup:
    """The chart. Bars scale to the tallest bucket; 6 ticks at most on the x axis."""
    if not items:
        return Markup("")
    width, height, left, bottom, top = 760, 220, 36, 28, 10
    plot_h = height - bottom - top
    n = len(items)
    step = (width - left - 4) / n
    bar_w = max(1.0, min(step * 0.8, 56.0))
    peak = max(1, max(i["total"] for i in items))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(aria)}" preserveAspectRatio="none">']
    for frac in (0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd" stroke-width="1"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'class="axis">{round(peak * frac)}</text>')
    parts.append(f'<line x1="{left}" x2="{width}" y1="{top + plot_h}" y2="{top + plot_h}" '
                 f'stroke="#999" stroke-width="1"/>')
    every = max(1, -(-n // 6))
    for idx, item in enumerate(items):
        x = left + idx * step + (step - bar_w) / 2
        parts.append(f'<a href="{escape(item["href"])}" class="bar" data-key="{item["key"]}" '
                     f'data-total="{item["total"]}"><title>{escape(title(item))}</title>'
                     f'<rect x="{x:.2f}" y="{top}" width="{bar_w:.2f}" height="{plot_h}" '
                     f'fill="transparent" class="hit"/>')
        y = top + plot_h
        for _, count, colour in item["segments"]:
            h = plot_h * count / peak
            y -= h
            parts.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{bar_w:.2f}" height="{h:.2f}" '
                         f'fill="{colour}"/>')
        parts.append("</a>")
        if idx % every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                         f'class="axis">{escape(tick(item["key"]))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
