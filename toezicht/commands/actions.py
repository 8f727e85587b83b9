"""`toezicht actions`: each canonical regulatory action once, with its sources."""

from __future__ import annotations

import json
from typing import Any

import click

from toezicht.config import Config


def _print_cards(actions: list[dict[str, Any]], total: int, offset: int, tz: str) -> None:
    """Each action as a short block: who did what to whom where, when first seen, the
    evidence quote and every source."""
    shown = f"{offset + 1}-{offset + len(actions)} of {total}" if len(actions) < total \
        else str(total)
    click.echo(f"{shown} action(s); times in {tz}")
    for a in actions:
        where = f"{a['jurisdiction_name']} ({a['jurisdiction']})" if a["jurisdiction"] else "-"
        by = ", ".join(f"{k} {v}" for k, v in a["sources_by_lang"].items())
        click.echo("")
        click.secho(f"{a['actor_name'] or a['actor']} · {a['measure']} → {a['target'] or '-'}"
                    f" · {where} · {a['status']}", bold=True)
        click.echo(f"  first seen {a['first_seen'] or '?'} · {a['source_count']} source(s) "
                   f"({by}) · actor {a['actor']} · id {a['action_id']}")
        if a["evidence"]:
            click.echo(f"  “{a['evidence']}”")
        for s in a["sources"]:
            click.echo(f"  - {(s['published'] or '')[:10] or '?':10} {s['lang'] or '?':2} "
                       f"{s['source'] or '?'}: {s['title'] or ''} <{s['url']}>")


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
              help="Reported in this language (nl, en); repeatable.")
@click.option("--from", "date_from", metavar="DATE",
              help="First reported on or after (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="DATE", help="First reported on or before.")
@click.option("--all", "include_all", is_flag=True,
              help="Include events from articles judged not relevant.")
@click.option("--limit", type=click.IntRange(1), help="At most this many actions.")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True,
              help="Skip this many actions first (paging with --limit).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]),
              default="table", show_default=True,
              help="table: a block per action for reading; csv: one row per action "
                   "(header, stable columns); json: one array; jsonl: one object a line.")
@click.option("--per-source", is_flag=True,
              help="With csv/json/jsonl: one row per (action, source) with article id, "
                   "url, source, language, published date and evidence.")
@click.option("--names", "names_lang", type=click.Choice(["en", "nl"]), default="en",
              show_default=True, help="Language of the actor and country names.")
@click.pass_obj
def actions(cfg: Config, actors: tuple[str, ...], measures: tuple[str, ...],
            statuses: tuple[str, ...], jurisdictions: tuple[str, ...], targets: tuple[str, ...],
            langs: tuple[str, ...], date_from: str | None, date_to: str | None,
            include_all: bool, limit: int | None, offset: int, fmt: str, per_source: bool,
            names_lang: str) -> None:
    """Regulatory actions, each once: actor and jurisdiction (by name, ids kept in
    csv/json), measure, target, the strongest status reported, when it was first
    reported (ISO 8601 in the config's [schedule] timezone), an evidence quote and
    every source article in Dutch and English. Read from the store (no
    Elasticsearch needed). Newest first reported first.

      toezicht actions --measure block --target Grok

      toezicht actions --country GB --status actual --format csv > uk.csv

      toezicht actions --format csv --per-source > sources.csv
    """
    from index.search import action_export
    from index.search.actions import ActionFilter, find_actions
    from index.search.query import SearchError
    from index.store import Store, StoreError
    from toezicht.timezone import display_tz

    if per_source and fmt == "table":
        raise click.ClickException("--per-source needs --format csv, json or jsonl")
    tz = display_tz(cfg)
    flt = ActionFilter(actors=list(actors), measures=list(measures), statuses=list(statuses),
                       jurisdictions=list(jurisdictions), targets=list(targets),
                       langs=list(langs), date_from=date_from, date_to=date_to,
                       relevant_only=not include_all, limit=limit, offset=offset)
    try:
        page = find_actions(Store(cfg.resolved_store_url).engine, flt, lang=names_lang, tz=tz)
    except (SearchError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    found = page.actions
    if fmt == "csv":
        click.echo(action_export.csv_text(found, per_source), nl=False)
        return
    if fmt in ("json", "jsonl"):
        items = list(action_export.rows(found, per_source=True)) if per_source else found
        if fmt == "json":
            click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        else:
            for item in items:
                click.echo(json.dumps(item, ensure_ascii=False))
        return
    _print_cards(found, page.total, page.offset, str(tz))
