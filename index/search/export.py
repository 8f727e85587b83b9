"""Streaming export of every hit as CSV or JSON Lines, in flat memory.

Rows come from :meth:`SearchBackend.iter_all` (Elasticsearch point-in-time +
search_after, SQLite keyset) and are written as they arrive. CSV columns are
flat: lists are joined with ``;``."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from index.search.base import EXPORT_FIELDS

FORMATS = ("csv", "jsonl")


def flat(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def columns(include_text: bool = True) -> list[str]:
    return [c for c in EXPORT_FIELDS if include_text or c != "text"]


def lines(rows: Iterable[dict[str, Any]], fmt: str, *,
          include_text: bool = True) -> Iterator[str]:
    """The export as text chunks (a header first for CSV)."""
    cols = columns(include_text)
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps({k: row.get(k) for k in cols}, ensure_ascii=False) + "\n"
        return
    if fmt != "csv":
        raise ValueError(f"format {fmt!r} is unknown: use csv or jsonl")

    class _Buf:
        value = ""

        def write(self, text: str) -> None:
            self.value += text

    buf = _Buf()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    yield buf.value
    for row in rows:
        buf.value = ""
        writer.writerow([flat(row.get(k)) for k in cols])
        yield buf.value


def write(rows: Iterable[dict[str, Any]], out: IO[str], fmt: str, *,
          include_text: bool = True) -> int:
    """Write rows to an open text file; returns how many were written."""
    n = -1 if fmt == "csv" else 0
    for chunk in lines(rows, fmt, include_text=include_text):
        out.write(chunk)
        n += 1
    return max(n, 0)
