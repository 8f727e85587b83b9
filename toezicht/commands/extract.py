"""`toezicht extract`: print one shared/EVENTS.md JSON object per article."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import click

from toezicht.commands.params import ExtractorLanguage, IsoDate

# Progress is shown for --jsonl inputs with at least this many lines (TTY only).
PROGRESS_MIN = 50


def record_kwargs(rec: dict[str, Any]) -> dict[str, Any]:
    """The nlp.analyze keyword arguments carried by one input record."""
    return {k: rec.get(k) for k in ("lang", "published", "title") if rec.get(k)}


def _read_jsonl(stream: TextIO, name: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{name}:{n}: invalid JSON ({exc.msg})") from None
        if not isinstance(rec, dict):
            raise click.ClickException(f"{name}:{n}: expected a JSON object")
        text = rec.get("text")
        if text is not None and not isinstance(text, str):
            raise click.ClickException(f"{name}:{n}: \"text\" must be a string")
        rid = rec.get("id", n)
        yield str(rid) if not isinstance(rid, int | str) else rid, text or "", record_kwargs(rec)


def _read_files(paths: tuple[str, ...]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for p in paths:
        path = Path(p)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise click.ClickException(f"cannot read {p}: {exc.strerror or exc}") from None
        yield p, data.decode("utf-8", errors="replace"), {}


def _count_lines(path: str) -> int | None:
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return None


@click.command("extract")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--jsonl", "jsonl", metavar="IN",
              help='JSONL input, one {"id", "text", "lang"?, "published"?, "title"?} per line '
                   '("-" for stdin).')
@click.option("--lang", type=ExtractorLanguage(),
              help="Force the language (nl, en) instead of detecting it.")
@click.option("--published", type=IsoDate(),
              help="Publication date (YYYY-MM-DD or ISO date-time) for FILE/stdin input.")
@click.option("--actions", "resolve", is_flag=True,
              help='Resolve events into actions across the input, one article at a time in '
                   'input order (as the crawl does), and add "action" (an action id) to '
                   'every event. Dates come from "published", else from the text.')
def extract(files: tuple[str, ...], jsonl: str | None, lang: str | None,
            published: date | None, resolve: bool = False) -> None:
    """Extract regulators, countries, platforms, measures and events.

    Reads text FILEs, or a JSONL file with --jsonl, or plain text on stdin, and
    prints one shared/EVENTS.md JSON object per article (with its "id": the
    input id, the file path, or "-").
    """
    from nlp import analyze_many

    if files and jsonl:
        raise click.UsageError("give FILE arguments or --jsonl, not both")
    total: int | None = None
    if jsonl:
        if jsonl == "-":
            source = _read_jsonl(sys.stdin, "<stdin>")
        else:
            try:
                stream = open(jsonl, encoding="utf-8", errors="replace")  # noqa: SIM115
            except OSError as exc:
                raise click.ClickException(f"cannot read {jsonl}: {exc.strerror}") from None
            total = _count_lines(jsonl)
            source = _read_jsonl(stream, jsonl)
    elif files:
        for p in files:
            if not Path(p).is_file():
                raise click.ClickException(f"no such file: {p}")
        source = _read_files(files)
    else:
        source = iter([("-", sys.stdin.read(), {})])

    from nlp.actions import MemoryState, article_info, resolve_article

    ids: list[Any] = []
    infos: list[Any] = []  # the article metadata the resolver needs (with --actions)
    state = MemoryState()
    failure: list[click.ClickException] = []

    def items() -> Iterator[tuple[str, dict[str, Any]]]:
        try:
            for rid, text, kw in source:
                if lang:
                    kw["lang"] = lang
                if published and "published" not in kw:
                    kw["published"] = published.isoformat()
                ids.append(rid)
                if resolve:
                    infos.append(article_info({"id": rid, "text": text, **kw}))
                yield text, kw
        except click.ClickException as exc:  # print what came before the bad line, then fail
            failure.append(exc)

    def line(i: int, a: Any) -> str:
        out = {"id": ids[i], **a.to_dict()}
        if resolve:
            info = infos[i]
            info.regulators = {r["id"]: r.get("country") or "" for r in out["regulators"]}
            res = resolve_article(out["events"], info, state)
            for ev, aid in zip(out["events"], res.ids, strict=True):
                ev["action"] = aid
        return json.dumps(out, ensure_ascii=False)

    results = analyze_many(items())
    show = bool(total and total >= PROGRESS_MIN and sys.stderr.isatty())
    if show:
        with click.progressbar(length=total, label="extracting", file=sys.stderr) as bar:
            for i, a in enumerate(results):
                click.echo(line(i, a))
                bar.update(1)
    else:
        for i, a in enumerate(results):
            click.echo(line(i, a))
    if failure:
        raise failure[0]
