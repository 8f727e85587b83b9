"""`toezicht export QUERY --format csv|jsonl --out FILE`: every hit, streamed."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from toezicht.commands.search import backend_for, filter_options, make_params
from toezicht.config import Config


@click.command()
@click.argument("query", required=False, default="")
@filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True, help="File format (CSV lists are joined with ';').")
@click.option("--out", "out", metavar="FILE", default="-", show_default=True,
              help="Where to write ('-' for standard output).")
@click.option("--no-text", is_flag=True, help="Leave out the article text column.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
def export(cfg: Config, query: str, fmt: str, out: str, no_text: bool, quiet: bool,
           backend: str | None, **opts: Any) -> None:
    """Export every article matching QUERY and the filters (same syntax and
    options as `toezicht search`), streamed in flat memory: Elasticsearch with a
    point-in-time and search_after, SQLite with keyset paging. Examples:

      toezicht export 'ofcom X' --format csv --out ofcom.csv

      toezicht export --country NL --from 2026-01 --format jsonl --out nl.jsonl
    """
    from index.search import export as exporter
    from toezicht.commands.index import _progress

    params = make_params(query, opts)
    tmp = None
    with backend_for(cfg, backend) as engine:
        params = params.normalised()  # bad input fails before a file is created
        if out == "-":
            handle = sys.stdout
        else:
            tmp = f"{out}.part"
            try:
                handle = open(tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
        try:
            with _progress("export", quiet or out == "-") as progress:
                n = exporter.write(engine.iter_all(params, progress=progress), handle, fmt,
                                   include_text=not no_text)
        except BaseException:
            if tmp:
                handle.close()
                os.unlink(tmp)
            raise
    if tmp:
        handle.close()
        os.replace(tmp, out)
        click.echo(f"exported {n} article(s) to {out}", err=True)
