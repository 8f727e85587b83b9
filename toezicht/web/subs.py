"""Subscriptions made in the web interface, kept in the store (``web_subscriptions``).

Each row holds one entry in exactly the shape of a ``[[subscription]]`` table of the
config file, and is validated by the same parser
(:func:`toezicht.alerts.subscriptions.parse_subscription`), so alert delivery treats
it like any configured subscription (see :func:`stored_entries`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from index.store import now_iso

metadata = MetaData()
web_subscriptions = Table(
    "web_subscriptions",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("entry", JSON, nullable=False),  # a [[subscription]] table
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)

LIST_FIELDS = ("countries", "regulators", "platforms", "langs", "measures", "statuses")


def ensure_table(engine: Engine) -> None:
    metadata.create_all(engine, tables=[web_subscriptions])


def list_entries(engine: Engine) -> list[dict[str, Any]]:
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(web_subscriptions)
                                .order_by(web_subscriptions.c.name)).mappings()
            return [dict(r) for r in rows]
    except SQLAlchemyError:
        return []


def get_entry(engine: Engine, name: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(web_subscriptions)
                           .where(web_subscriptions.c.name == name)).mappings().first()
    return dict(row) if row else None


def save_entry(engine: Engine, entry: dict[str, Any], *, original: str | None = None) -> None:
    stamp = now_iso()
    with engine.begin() as conn:
        if original:
            conn.execute(update(web_subscriptions)
                         .where(web_subscriptions.c.name == original)
                         .values(name=entry["name"], entry=entry, updated_at=stamp))
        else:
            conn.execute(insert(web_subscriptions).values(
                name=entry["name"], entry=entry, created_at=stamp, updated_at=stamp))


def delete_entry(engine: Engine, name: str) -> bool:
    with engine.begin() as conn:
        return bool(conn.execute(delete(web_subscriptions)
                                 .where(web_subscriptions.c.name == name)).rowcount)


def _split(raw: str) -> list[str]:
    return [x.strip() for x in re.split(r"[,\s]+", raw or "") if x.strip()]


def entry_from_form(form: dict[str, list[str]]) -> dict[str, Any]:
    """A [[subscription]] table from the submitted form (validated separately)."""
    def one(key: str) -> str:
        return (form.get(key) or [""])[0].strip()

    entry: dict[str, Any] = {"name": one("name")}
    if one("query"):
        entry["query"] = one("query")
    for key in ("countries", "regulators", "platforms", "langs"):
        values = _split(one(key))
        if key == "countries":
            values = [v.upper() for v in values]
        if key == "langs":
            values = [v.lower() for v in values]
        if values:
            entry[key] = values
    for key in ("measures", "statuses"):
        values = [v for v in form.get(key) or [] if v]
        if values:
            entry[key] = values
    if one("min_confidence"):
        try:
            entry["min_confidence"] = float(one("min_confidence"))
        except ValueError:
            entry["min_confidence"] = one("min_confidence")
    if one("source_health"):
        entry["source_health"] = True
    atom = one("atom_path") or (f"feeds/{entry['name']}.xml" if entry["name"] else "")
    if atom:
        entry["atom"] = {"path": atom}
    if one("email_to"):
        entry["email"] = {"to": _split(one("email_to")), "from": one("email_from")}
    return entry


def validate(entry: dict[str, Any], *, cfg: Any, taken: set[str]) -> str | None:
    """None when the entry is a valid subscription, else a one-line message."""
    from toezicht.alerts.subscriptions import parse_subscription, read_sections
    from toezicht.config import ConfigError

    try:
        sub = parse_subscription(0, entry)
    except ConfigError as exc:
        return str(exc).replace("config ", "", 1)
    if sub.name in taken:
        return f"subscription name {sub.name!r} is already used"
    atom = entry.get("atom", {}).get("path", "")
    if atom and (Path(atom).is_absolute() or ".." in Path(atom).parts
                 or not atom.endswith(".xml")):
        return "atom feed path must be a relative .xml path inside the data directory"
    if "email" in entry and cfg is not None:
        try:
            has_smtp = "smtp" in read_sections(cfg)
        except ConfigError as exc:
            return str(exc)
        if not has_smtp:
            return "an e-mail channel needs an [smtp] section in the config file"
    return None


def stored_entries(cfg: Any) -> list[dict[str, Any]]:
    """The web subscriptions of the configured store, as [[subscription]] tables; empty
    when the store or the table does not exist yet (never creates either)."""
    from sqlalchemy import create_engine, inspect

    url = cfg.resolved_store_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return []
    try:
        engine = create_engine(url)
        try:
            if not inspect(engine).has_table("web_subscriptions"):
                return []
            return [r["entry"] for r in list_entries(engine)]
        finally:
            engine.dispose()
    except SQLAlchemyError:
        return []


def stored_subscriptions(cfg: Any, *, taken: set[str], smtp: bool) -> list[Any]:
    """The web subscriptions as :class:`Subscription` objects for alert delivery.
    An entry that no longer validates (renamed in the config meanwhile, an e-mail
    channel without [smtp]) is skipped with a warning, never breaks delivery."""
    import logging

    from toezicht.alerts.subscriptions import parse_subscription
    from toezicht.config import ConfigError

    out = []
    for entry in stored_entries(cfg):
        try:
            sub = parse_subscription(0, entry)
        except ConfigError as exc:
            logging.getLogger(__name__).warning("web subscription skipped: %s", exc)
            continue
        if sub.name in taken or ("email" in sub.channels and not smtp):
            logging.getLogger(__name__).warning("web subscription %r skipped", sub.name)
            continue
        taken.add(sub.name)
        out.append(sub)
    return out
