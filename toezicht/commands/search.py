"""`toezicht search QUERY`: full-text search, facets, timelines and stories.

The filter options and the backend plumbing here are shared by `toezicht export`
and `toezicht serve`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from toezicht.config import Config

FILTER_OPTIONS = (
    ("--lang", "langs", "Only articles in this language (nl, en); repeatable."),
    ("--country", "countries", "About this country (ISO code, or EU); repeatable."),
    ("--regulator", "regulators", "Naming this regulator (id, e.g. ofcom); repeatable."),
    ("--platform", "platforms", "About this platform (e.g. Grok, X); repeatable."),
    ("--measure", "measures", "With an event of this measure type; repeatable."),
    ("--status", "statuses", "With an event of this status (actual, planned, potential)."),
    ("--source", "sources", "From this source; repeatable."),
)


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The filter options every search-like command takes."""
    for flag, dest, text in reversed(FILTER_OPTIONS):
        fn = click.option(flag, dest, multiple=True, metavar="VALUE", help=text)(fn)
    fn = click.option("--all", "include_all", is_flag=True,
                      help="Include articles judged not relevant.")(fn)
    fn = click.option("--to", "date_to", metavar="DATE",
                      help="Published on or before (YYYY, YYYY-MM or YYYY-MM-DD).")(fn)
    fn = click.option("--from", "date_from", metavar="DATE",
                      help="Published on or after (YYYY, YYYY-MM or YYYY-MM-DD).")(fn)
    fn = click.option("--backend", type=click.Choice(["elasticsearch", "sqlite"]),
                      help="Search backend (default: the search_backend setting).")(fn)
    return fn


def make_params(query: str, opts: dict[str, Any], **extra: Any) -> Any:
    from index.search import SearchParams

    return SearchParams(
        query=query or "", date_from=opts.get("date_from"), date_to=opts.get("date_to"),
        relevant_only=not opts.get("include_all"),
        **{dest: list(opts.get(dest) or ()) for _, dest, _ in FILTER_OPTIONS}, **extra)


@contextmanager
def backend_for(cfg: Config, name: str | None = None) -> Iterator[Any]:
    """The configured backend; known errors become one-line ClickExceptions."""
    from index.es import SearchBackendError
    from index.search import SearchError, open_backend
    from index.search.sqlite_backend import SqliteSearchError
    from index.store import StoreError

    try:
        backend = open_backend(cfg, name)
    except (SearchError, SqliteSearchError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        yield backend
    except (SearchError, SearchBackendError, SqliteSearchError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        backend.close()


def _styled(text: str) -> Any:
    from rich.text import Text

    out = Text()
    for i, part in enumerate((text or "").replace("»", "«").split("«")):
        out.append(part, style="bold yellow" if i % 2 else "")
    return out


def _table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    first = (result["page"] - 1) * result["size"] + 1 if result["hits"] else 0
    last = first + len(result["hits"]) - 1 if result["hits"] else 0
    what = (f"{result['total']} article(s) in {result['total_stories']} stor(ies)"
            if result["stories"] else f"{result['total']} result(s)")
    console.print(f"{what} for {result['query']!r}"
                  + (f", showing {first}-{last}" if result["hits"] else ""),
                  highlight=False, markup=False)
    if result["hits"]:
        table = Table(show_lines=True, expand=True)
        table.add_column("date", no_wrap=True, width=10)
        table.add_column("lang", no_wrap=True, width=4)
        table.add_column("source", no_wrap=True, max_width=16)
        if result["stories"]:
            table.add_column("×", no_wrap=True, width=3, justify="right")
        table.add_column("title", ratio=2)
        table.add_column("snippet", ratio=3)
        for hit in result["hits"]:
            cells = [(hit.get("published") or "")[:10], hit.get("lang") or "",
                     hit.get("source") or ""]
            if result["stories"]:
                cells.append(str(hit.get("story_size") or 1))
            table.add_row(*cells, _styled(hit.get("title") or "(no title)"),
                          _styled(hit.get("snippet") or ""))
        console.print(table)
    for name, buckets in result["facets"].items():
        if buckets:
            console.print(f"[bold]{name}[/]: ", end="")
            console.print(", ".join(f"{b['key']} {b['count']}" for b in buckets[:10]),
                          highlight=False, markup=False)


def print_notes(warnings: list[str], suggestion: str | None) -> None:
    """What the query does that the user may not mean, and "did you mean", on stderr
    (stdout stays the results, in any format)."""
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if suggestion:
        click.echo(f"did you mean: {suggestion}?", err=True)


def write_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Rows as CSV text, lists joined with ';' as in `toezicht export`."""
    from index.search.export import flat

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: flat(row.get(k)) for k in columns})
    return buf.getvalue()


def timeline_table(tl: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"articles per {tl['interval']}"
                  + (f" by {tl['by']}" if tl["by"] != "none" else ""))
    table.add_column(tl["interval"], no_wrap=True)
    table.add_column("total", justify="right")
    for s in tl["series"]:
        table.add_column(s, justify="right")
    for b in tl["buckets"]:
        table.add_row(b["key"], str(b["total"]), *[str(b["by"].get(s, 0)) for s in tl["series"]])
    Console().print(table)


def write_chart(tl: dict[str, Any], path: str, title: str = "") -> None:
    """A line chart of the timeline (one line per series, or the total) as PNG/SVG."""
    from pathlib import Path

    suffix = Path(path).suffix.lower()
    if suffix not in (".png", ".svg"):
        raise click.ClickException(f"--chart {path}: use a .png or .svg file name")
    try:
        import matplotlib
    except ImportError:
        raise click.ClickException("--chart needs matplotlib: pip install matplotlib") from None
    matplotlib.use("Agg")
    from datetime import date

    import matplotlib.pyplot as plt

    keys = [date.fromisoformat(b["key"]) for b in tl["buckets"]]
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=120)
    series = tl["series"][:10] if tl["by"] != "none" else []
    if series:
        for s in series:
            ax.plot(keys, [b["by"].get(s, 0) for b in tl["buckets"]], marker="o", label=s)
        ax.legend(title=tl["by"])
    else:
        ax.plot(keys, [b["total"] for b in tl["buckets"]], marker="o", label="articles")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(keys) <= 24:  # ticks on the buckets themselves, not on days between them
        ax.set_xticks(keys, [k.isoformat() for k in keys])
    ax.set_ylim(bottom=0)
    ax.set_ylabel("articles")
    ax.set_xlabel(tl["interval"])
    ax.set_title(title or f"articles per {tl['interval']}")
    ax.grid(True, alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    try:
        fig.savefig(path, format=suffix[1:])
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)


@click.command()
@click.argument("query", required=False, default="")
@filter_options
@click.option("--size", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="Results per page.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Page number.")
@click.option("--sort", type=click.Choice(["relevance", "date", "date_asc"]),
              default="relevance", show_default=True, help="Order of results.")
@click.option("--stories", is_flag=True,
              help="One row per story (syndicated copies collapsed, with their count).")
@click.option("--timeline", type=click.Choice(["day", "week", "month"]),
              help="Instead of hits: article counts per day/week/month.")
@click.option("--by", type=click.Choice(["lang", "country", "none"]), default="none",
              show_default=True, help="Split the timeline by language or country.")
@click.option("--chart", metavar="FILE.png|svg", help="With --timeline: also draw a chart.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]),
              default="table", show_default=True, help="Output format.")
@click.pass_obj
def search(cfg: Config, query: str, size: int, page: int, sort: str, stories: bool,
           timeline: str | None, by: str, chart: str | None, fmt: str, backend: str | None,
           **opts: Any) -> None:
    """Search the articles: text, filters, facets, stories and timelines.

    QUERY is matched against titles and text in Dutch and English, with stemming.
    Syntax: words are ANDed; "a phrase"; "a b"~5 for words at most 5 words
    apart (any order); a | b or a OR b; -word or NOT word; word* for prefixes;
    ( ) to group. Operators are upper case: a lower-case or/and/not is searched
    as a word (with a warning). title:word, title:"a phrase" or title:(a OR b)
    search headlines only, text:word the article text; field:value filters for
    lang, country, regulator, platform, measure, status and source
    (-field:value excludes); any other field is an error. No QUERY (or *) means
    everything. A search finding (almost) nothing suggests a spelling ("did you
    mean"). Examples:

      toezicht search grok country:GB --from 2026-01-01

      toezicht search '"nudify app" | undress*' --stories

      toezicht search grok --timeline week --by lang --chart grok.png

      toezicht search 'ofcom platform:X' --format csv --size 100 > ofcom.csv
    """
    if chart and not timeline:
        raise click.ClickException("--chart needs --timeline day|week|month")
    params = make_params(query, opts, sort=sort, page=page, size=size, stories=stories,
                         suggest=not timeline)
    with backend_for(cfg, backend) as engine:
        if timeline:
            tl = engine.timeline(params, timeline, by).as_dict()
            print_notes(params.normalised().warnings, None)
            if fmt == "json":
                click.echo(json.dumps(tl, indent=2, ensure_ascii=False))
            elif fmt == "jsonl":
                for b in tl["buckets"]:
                    click.echo(json.dumps(b, ensure_ascii=False))
            elif fmt == "csv":
                rows = [{"bucket": b["key"], "total": b["total"], **b["by"]}
                        for b in tl["buckets"]]
                click.echo(write_csv(rows, ["bucket", "total", *tl["series"]]), nl=False)
            else:
                timeline_table(tl)
            if chart:
                write_chart(tl, chart, title=f"{query or 'all articles'}: articles per "
                                             f"{timeline}")
                click.echo(f"chart written to {chart}", err=True)
            return
        result = engine.search(params).as_dict()
    print_notes(result["warnings"], result["suggestion"])
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    elif fmt == "jsonl":
        for hit in result["hits"]:
            click.echo(json.dumps(hit, ensure_ascii=False))
    elif fmt == "csv":
        from index.search.base import HIT_FIELDS

        click.echo(write_csv(result["hits"], list(HIT_FIELDS)), nl=False)
    else:
        _table(result)
