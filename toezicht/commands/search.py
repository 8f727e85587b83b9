"""`toezicht search QUERY`: full-text search over the indexed articles."""

from __future__ import annotations

import json
from typing import Any

import click

from toezicht.config import Config


def _table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(soft_wrap=False)
    first = (result["page"] - 1) * result["size"] + 1 if result["hits"] else 0
    last = first + len(result["hits"]) - 1 if result["hits"] else 0
    console.print(f"{result['total']} result(s) for {result['query']!r}"
                  + (f", showing {first}-{last}" if result["hits"] else ""),
                  highlight=False, markup=False)
    if result["hits"]:
        table = Table(show_lines=True, expand=True)
        table.add_column("date", no_wrap=True, width=10)
        table.add_column("lang", no_wrap=True, width=4)
        table.add_column("source", no_wrap=True, max_width=16)
        table.add_column("title", ratio=2)
        table.add_column("snippet", ratio=3)
        for hit in result["hits"]:
            snippet = Text()
            for i, part in enumerate((hit["snippet"] or "").replace("»", "«").split("«")):
                snippet.append(part, style="bold yellow" if i % 2 else "")
            table.add_row((hit.get("published") or "")[:10], hit.get("lang") or "",
                          hit.get("source") or "", Text(hit.get("title") or "(no title)"),
                          snippet)
        console.print(table)
    facets = {k: v for k, v in result["facets"].items() if v}
    for name, buckets in facets.items():
        summary = ", ".join(f"{b['key']} {b['count']}" for b in buckets[:10])
        console.print(f"[bold]{name}[/]: ", end="")
        console.print(summary, highlight=False, markup=False)


@click.command()
@click.argument("query", required=False, default="")
@click.option("--lang", type=click.Choice(["nl", "en"]), help="Only articles in this language.")
@click.option("--country", "countries", multiple=True, metavar="XX",
              help="Only articles about this country (ISO code, or EU); repeatable.")
@click.option("--from", "date_from", metavar="DATE", help="Published on or after (YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="DATE", help="Published on or before (YYYY-MM-DD).")
@click.option("--all", "include_all", is_flag=True,
              help="Include articles judged not relevant.")
@click.option("--size", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="Results per page.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Page number.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance",
              show_default=True, help="Order of results.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.pass_obj
def search(cfg: Config, query: str, lang: str | None, countries: tuple[str, ...],
           date_from: str | None, date_to: str | None, include_all: bool, size: int, page: int,
           sort: str, fmt: str) -> None:
    """Search the articles in the index.

    QUERY is matched against titles and text in Dutch and English, with stemming
    ("onderzoek" finds "onderzoeken", "investigating" finds "investigations").
    Use "quotes" for phrases, -word to exclude, a | b for either, word* for prefixes;
    no QUERY (or *) lists everything. Examples:

      toezicht search grok --country GB --from 2026-01-01

      toezicht search 'deepfake -porn' --lang en --format json
    """
    from index import es as es_index

    client = es_index.make_client(cfg)
    try:
        result = es_index.search(client, cfg.es_index, query, lang=lang,
                                 countries=list(countries), date_from=date_from, date_to=date_to,
                                 relevant_only=not include_all, size=size, page=page, sort=sort)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except es_index.SearchBackendError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _table(result)
