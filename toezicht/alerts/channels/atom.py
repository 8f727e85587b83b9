"""Atom channel: keeps an Atom 1.0 feed file (RFC 4287) that any feed reader can
follow (serve it with any web server, or point a reader at the file).

Entry ids are stable (``urn:toezicht:<subscription>:<action>:<kind>:<status>``),
so writing the same alert twice updates the entry instead of adding another.
The file is replaced atomically; the newest ``max_entries`` are kept."""

from __future__ import annotations

import html
import os
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toezicht.alerts.channels import headline, text_block

NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", NS)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def entry_id(subscription: str, item: dict[str, Any]) -> str:
    if item["kind"] == "test":
        return f"urn:toezicht:{subscription}:test:{item['delivery_id']}"
    return f"urn:toezicht:{subscription}:{item['action_id']}:{item['kind']}:{item['status']}"


def _entry(subscription: str, item: dict[str, Any], updated: str) -> ET.Element:
    payload = item["payload"]
    entry = ET.Element(_q("entry"))
    ET.SubElement(entry, _q("id")).text = entry_id(subscription, item)
    ET.SubElement(entry, _q("title")).text = headline(payload)
    ET.SubElement(entry, _q("updated")).text = updated
    ET.SubElement(entry, _q("published")).text = item.get("created_at") or updated
    url = (payload.get("article") or {}).get("url")
    if url:
        ET.SubElement(entry, _q("link"), href=url, rel="alternate")
    for src in payload.get("sources") or []:
        if src.get("url") and src.get("url") != url:
            ET.SubElement(entry, _q("link"), href=src["url"], rel="related",
                          title=src.get("title") or "")
    action = payload.get("action") or {}
    for term in (item["kind"], action.get("measure"), action.get("status"),
                 action.get("jurisdiction")):
        if term:
            ET.SubElement(entry, _q("category"), term=str(term))
    summary = ET.SubElement(entry, _q("content"), type="html")
    summary.text = "<pre>" + html.escape(text_block(payload)) + "</pre>"
    return entry


def rewrite(settings: dict[str, Any], items: list[dict[str, Any]], *, subscription: str = "",
            data_dir: Path | None = None) -> int:
    """Render the entries of ``items`` (outbox items already written to the feed file)
    again from their payload as it is now, after an erasure (``toezicht forget``)
    changed it, keeping each entry's place and times; adds no entry. Returns how many
    entries were rewritten. Raises OSError or ET.ParseError."""
    path = feed_path(settings, data_dir)
    if not items or not path.exists():
        return 0
    wanted = {entry_id(subscription, item): item for item in items}
    tree = ET.parse(path)
    root = tree.getroot()
    done = 0
    for pos, old in enumerate(list(root)):
        item = wanted.get(old.findtext(_q("id")) or "") if old.tag == _q("entry") else None
        if item is None:
            continue
        new = _entry(subscription, item, old.findtext(_q("updated")) or "")
        published = old.findtext(_q("published"))
        if published:
            new.find(_q("published")).text = published  # type: ignore[union-attr]
        root.remove(old)
        root.insert(pos, new)
        done += 1
    if done:
        ET.indent(root)
        fd, tmp = tempfile.mkstemp(prefix=".atom-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            tree.write(fh, encoding="utf-8", xml_declaration=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return done


def feed_path(settings: dict[str, Any], data_dir: Path | None = None) -> Path:
    path = Path(settings["path"]).expanduser()
    if not path.is_absolute() and data_dir is not None:
        path = Path(data_dir) / path
    return path


def endpoint(settings: dict[str, Any], *, data_dir: Path | None = None, **_: Any) -> str:
    return str(feed_path(settings, data_dir))


def send(settings: dict[str, Any], items: list[dict[str, Any]], *, subscription: str = "",
         data_dir: Path | None = None, **_: Any) -> dict[int, str | None]:
    path = feed_path(settings, data_dir)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        entries: dict[str, ET.Element] = {}
        if path.exists():
            root = ET.parse(path).getroot()
            for old in root.findall(_q("entry")):
                eid = old.findtext(_q("id"))
                if eid:
                    entries[eid] = old
        for item in items:
            new = _entry(subscription, item, now)
            entries[new.findtext(_q("id")) or ""] = new
        ordered = sorted(entries.values(), key=lambda e: e.findtext(_q("updated")) or "",
                         reverse=True)[: int(settings.get("max_entries", 200))]
        feed = ET.Element(_q("feed"))
        ET.SubElement(feed, _q("id")).text = f"urn:toezicht:feed:{subscription}"
        ET.SubElement(feed, _q("title")).text = (
            settings.get("title") or f"Toezicht: regulatory actions ({subscription})")
        ET.SubElement(feed, _q("updated")).text = now
        author = ET.SubElement(feed, _q("author"))
        ET.SubElement(author, _q("name")).text = "Toezicht"
        ET.SubElement(feed, _q("generator")).text = "Toezicht"
        if settings.get("link"):
            ET.SubElement(feed, _q("link"), href=settings["link"], rel="self")
        feed.extend(ordered)
        ET.indent(feed)
        fd, tmp = tempfile.mkstemp(prefix=".atom-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            ET.ElementTree(feed).write(fh, encoding="utf-8", xml_declaration=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except (OSError, ET.ParseError) as exc:
        return {i["id"]: f"atom feed {path}: {exc}" for i in items}
    return {i["id"]: None for i in items}
