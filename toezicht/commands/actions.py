"""`toezicht actions`: each canonical regulatory action once, with its sources."""

from __future__ import annotations

import json
from typing import Any

import click

from toezicht.config import Config

CSV_COLUMNS = ["action_id", "actor", "measure", "target", "jurisdiction", "status",
               "first_seen", "date", "langs", "source_count", "sources_nl", "sources_en",
               "source_urls", "source_titles"]


def _csv_row(action: dict[str, Any]) -> dict[str, Any]:
    by = action["sources_by_lang"]
    return {**action, "sources_nl": by.get("nl", 0), "sources_en": by.get("en", 0),
            "source_urls": [s["url"] for s in action["sources"]],
            "source_titles": [s["title"] or "" for s in action["sources"]]}


def _table(actions: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"{len(actions)} action(s)", highlight=False)
    if not actions:
        return
    table = Table(show_lines=True, expand=True)
    for name, kw in (("first seen", {"no_wrap": True, "width": 10}), ("actor", {}),
                     ("measure", {}), ("target", {}), ("where", {"width": 5}),
                     ("status", {}), ("sources", {"justify": "right"}),
                     ("first source", {"ratio": 2})):
        table.add_column(name, **kw)
    for a in actions:
        by = a["sources_by_lang"]
        counts = f"{a['source_count']} (" + ", ".join(f"{k} {v}" for k, v in by.items()) + ")"
        first = a["sources"][0] if a["sources"] else {}
        table.add_row((a["first_seen"] or "")[:10], a["actor"], a["measure"], a["target"] or "-",
                      a["jurisdiction"] or "-", a["status"], counts,
                      f"{first.get('title') or ''}\n{first.get('url') or ''}")
    console.print(table)


@click.command()
@click.option("--actor", "--regulator", "actors", multiple=True, metavar="ID",
              help="Acting regulator/actor id (e.g. ofcom, EU, xAI); repeatable.")
@click.option("--measure", "measures", multiple=True, metavar="TYPE",
              help="Measure type (investigation, block, fine, ...); repeatable.")
@click.option("--status", "statuses", multiple=True, metavar="STATUS",
              help="Strongest status (actual, planned, potential); repeatable.")
@click.option("--country", "--jurisdiction", "jurisdictions", multiple=True, metavar="XX",
              help="Jurisdiction (ISO code or EU); repeatable.")
@click.option("--target", "--platform", "targets", multiple=True, metavar="NAME",
              help="Target platform/company (e.g. Grok); repeatable.")
@click.option("--lang", "langs", multiple=True, metavar="LANG",
              help="Reported in this language; repeatable.")
@click.option("--from", "date_from", metavar="DATE", help="First reported on or after.")
@click.option("--to", "date_to", metavar="DATE", help="First reported on or before.")
@click.option("--all", "include_all", is_flag=True,
              help="Include events from articles judged not relevant.")
@click.option("--limit", type=click.IntRange(1), help="At most this many actions.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]),
              default="table", show_default=True, help="Output format.")
@click.pass_obj
def actions(cfg: Config, actors: tuple[str, ...], measures: tuple[str, ...],
            statuses: tuple[str, ...], jurisdictions: tuple[str, ...], targets: tuple[str, ...],
            langs: tuple[str, ...], date_from: str | None, date_to: str | None,
            include_all: bool, limit: int | None, fmt: str) -> None:
    """Regulatory actions, each once: actor, measure, target, jurisdiction, the
    strongest status reported, when it was first reported and every source
    article in Dutch and English. Read from the store (no Elasticsearch needed).

      toezicht actions --measure block --target Grok

      toezicht actions --country GB --status actual --format csv > uk.csv
    """
    from index.search.actions import ActionFilter, list_actions
    from index.search.query import SearchError
    from index.store import Store, StoreError

    flt = ActionFilter(actors=list(actors), measures=list(measures), statuses=list(statuses),
                       jurisdictions=list(jurisdictions), targets=list(targets),
                       langs=list(langs), date_from=date_from, date_to=date_to,
                       relevant_only=not include_all, limit=limit)
    try:
        found = list_actions(Store(cfg.resolved_store_url).engine, flt)
    except (SearchError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
    elif fmt == "jsonl":
        for a in found:
            click.echo(json.dumps(a, ensure_ascii=False))
    elif fmt == "csv":
        from toezicht.commands.search import write_csv

        click.echo(write_csv([_csv_row(a) for a in found], CSV_COLUMNS), nl=False)
    else:
        _table(found)
