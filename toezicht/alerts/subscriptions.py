"""Subscriptions: who hears about which regulatory actions, and how.

In the config file (all filters optional; an empty filter matches everything)::

    [[subscription]]
    name = "eu-grok"
    countries = ["NL", "EU", "GB"]      # event jurisdiction (or the article's countries
                                         # for platform measures, which have none)
    regulators = ["ofcom", "acm"]       # event actor
    measures = ["investigation", "fine", "block"]
    statuses = ["planned", "actual"]
    platforms = ["Grok", "X"]           # event target or acting platform
    langs = ["nl", "en"]                # article language
    query = 'grok "deepfake porn"'      # every term/phrase in title, text or evidence
    min_confidence = 0.5
    source_health = true                # also hear when a source stops delivering

    [subscription.webhook]              # JSON POST, HMAC-SHA256 signed
    url = "https://example.org/hooks/toezicht"
    secret = "..."                      # or secret_env = "HOOK_SECRET"

    [subscription.email]                # plain-text + HTML digest via [smtp]
    to = ["analyst@example.org"]
    from = "toezicht@example.org"

    [subscription.atom]                 # a feed file readers can follow
    path = "feeds/eu-grok.xml"          # relative to data_dir

    [smtp]
    host = "smtp.example.org"
    port = 587
    starttls = true
    username = "toezicht"
    password_env = "SMTP_PASSWORD"      # or password = "..."

    [alerts]                            # delivery tuning (defaults shown)
    max_attempts = 10
    backoff_base = 60                   # seconds; doubles each attempt
    backoff_max = 21600
    workers = 4                         # endpoints delivered to at the same time
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from toezicht.config import (
    Config,
    ConfigError,
    check,
    existing_file,
    flag,
    http_url,
    integer,
    number,
    read_table,
    rules,
    setting,
    text,
)

CHANNELS = ("webhook", "email", "atom")
FILTERS = ("countries", "regulators", "measures", "statuses", "platforms", "langs")
MEASURES = {"investigation", "block", "fine", "legal_action", "legislation", "order", "warning",
            "platform_measure"}
STATUSES = {"potential", "planned", "actual"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def read_sections(cfg: Config) -> dict[str, Any]:
    """The raw TOML of the config file (empty when there is none)."""
    if cfg.source is None:
        return {}
    try:
        data = tomllib.loads(Path(cfg.source).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {cfg.source}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {cfg.source} is not valid TOML: {exc}") from None
    inner = data.get("toezicht")
    if isinstance(inner, dict):
        data = {**inner, **{k: v for k, v in data.items() if k != "toezicht"}}
    return data


def _secret(where: str, table: dict[str, Any], key: str) -> str:
    env = table.get(f"{key}_env")
    if env:
        value = os.environ.get(str(env))
        if value is None:
            raise ConfigError(f"{where}: environment variable {env} ({key}_env) is not set")
        return value
    return str(table.get(key) or "")


@dataclass
class SmtpSettings:
    """``[smtp]``; each setting with the rule its value must meet (``password`` may
    come from the environment variable named by ``password_env`` instead)."""

    host: str = setting("localhost", text("a host name", empty=False))
    port: int = setting(25, integer(1, 65535))  # default 465 with ssl
    starttls: bool = setting(False, flag())
    ssl: bool = setting(False, flag())
    username: str = setting("", text())
    password: str = setting("", text(secret=True))
    ca_file: str = setting("", existing_file("CA certificates"))
    timeout: float = setting(30.0, number(0, above=True))

    @classmethod
    def from_table(cls, table: dict[str, Any] | None) -> SmtpSettings:
        where = "config [smtp]"
        values = read_table(cls, table, "smtp", other=("password_env",))
        if table and table.get("password_env"):
            env = str(table["password_env"])
            values["password"] = check(f"smtp.password_env ({env})",
                                       _secret(where, table, "password"), rules(cls)["password"])
        if "port" not in values and values.get("ssl"):
            values["port"] = 465
        out = cls(**values)
        if out.ssl and out.starttls:
            raise ConfigError(f"{where}: choose ssl (port 465) or starttls, not both")
        if out.username and not out.password:
            raise ConfigError(f"{where}: username given without password (or password_env)")
        return out


@dataclass
class DeliverySettings:
    """``[alerts]``: delivery tuning."""

    max_attempts: int = setting(10, integer(1))
    backoff_base: float = setting(60.0, number(0))  # seconds; doubles each attempt
    backoff_max: float = setting(6 * 3600.0, number(0))
    lease: float = setting(300.0, number(0, above=True))  # seconds a claimed alert is held
    relevant_only: bool = setting(True, flag())
    # endpoints (webhook URLs, the SMTP server, feed files) delivered to side by side
    workers: int = setting(4, integer(1, 32))

    @classmethod
    def from_table(cls, table: dict[str, Any] | None) -> DeliverySettings:
        return cls(**read_table(cls, table, "alerts"))


@dataclass
class Subscription:
    name: str
    countries: set[str] = field(default_factory=set)
    regulators: set[str] = field(default_factory=set)
    measures: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    platforms: set[str] = field(default_factory=set)
    langs: set[str] = field(default_factory=set)
    query: list[str] = field(default_factory=list)  # terms/phrases, all required
    min_confidence: float = setting(0.0, number(0, 1))
    source_health: bool = setting(False, flag())
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def channel_names(self) -> list[str]:
        return list(self.channels)

    def matches(self, event: dict[str, Any], article: dict[str, Any]) -> bool:
        """Whether one event (EVENTS.md fields) reported in one article passes every
        filter. Sets compare case-insensitively."""
        actor = (event.get("actor") or "").casefold()
        target = (event.get("target") or "").casefold()
        jurisdiction = (event.get("jurisdiction") or "").casefold()
        if self.countries:
            places = {jurisdiction} if jurisdiction else {
                c.casefold() for c in article.get("countries") or []}
            if not places & self.countries:
                return False
        if self.regulators and actor not in self.regulators:
            return False
        if self.measures and (event.get("measure") or "").casefold() not in self.measures:
            return False
        if self.statuses and (event.get("status") or "").casefold() not in self.statuses:
            return False
        if self.platforms and not ({target, actor} - {""}) & self.platforms:
            return False
        if self.langs and (article.get("lang") or "").casefold() not in self.langs:
            return False
        if self.min_confidence and float(event.get("confidence") or 0) < self.min_confidence:
            return False
        if self.query:
            hay = " ".join(str(x or "") for x in (article.get("title"), article.get("text"),
                                                   event.get("evidence"))).casefold()
            if not all(term in hay for term in self.query):
                return False
        return True


def _str_set(where: str, key: str, raw: Any) -> set[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return {x.strip().casefold() for x in raw if x.strip()}


# The plain values of the channel tables (url, secret, to, from and path are checked
# in _parse_channel).
CHANNEL_RULES = {
    "timeout": number(0, above=True),  # webhook, seconds
    "subject_prefix": text(),          # email
    "title": text(),                   # atom
    "max_entries": integer(1),         # atom
    "link": http_url("https://example.org/feeds/grok.xml"),  # atom
}


def _channel(where: str, table: dict[str, Any], key: str, default: Any) -> Any:
    return check(key, table.get(key, default), CHANNEL_RULES[key], where)


def _parse_channel(where: str, kind: str, table: Any) -> dict[str, Any]:
    where = f"{where}.{kind}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    if kind == "webhook":
        url = str(table.get("url", ""))
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"{where}: url must be an http(s) URL, got {url!r}")
        secret = _secret(where, table, "secret")
        if not secret:
            raise ConfigError(f"{where}: secret (or secret_env) is required to sign payloads")
        return {"url": url, "secret": secret,
                "timeout": _channel(where, table, "timeout", 15.0)}
    if kind == "email":
        to = table.get("to")
        to = [to] if isinstance(to, str) else to
        if not to or not isinstance(to, list):
            raise ConfigError(f"{where}: to must be an address or a list of addresses")
        sender = str(table.get("from", ""))
        for addr in [*to, sender]:
            if not _EMAIL.match(str(addr)):
                raise ConfigError(f"{where}: {addr!r} is not an e-mail address")
        return {"to": [str(a) for a in to], "from": sender,
                "subject_prefix": _channel(where, table, "subject_prefix", "[Toezicht]")}
    path = str(table.get("path", ""))
    if not path:
        raise ConfigError(f"{where}: path is required")
    return {"path": path, "title": _channel(where, table, "title", ""),
            "max_entries": _channel(where, table, "max_entries", 200),
            "link": _channel(where, table, "link", "")}


def parse_subscription(index: int, entry: Any) -> Subscription:
    where = f"config [[subscription]] #{index + 1}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table")
    name = entry.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", name or ""):
        raise ConfigError(f"{where}: name must be 1-100 letters, digits, '-', '_' or '.'")
    where = f"config subscription {name!r}"
    filters = dict(entry.get("filters") or {})
    allowed = {"name", "filters", "query", "min_confidence", "source_health", *FILTERS,
               *CHANNELS}
    for key in entry:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown setting {key!r}")
    for key in filters:
        if key not in (*FILTERS, "query", "min_confidence"):
            raise ConfigError(f"{where}: unknown filter {key!r}")
    merged = {**{k: entry[k] for k in (*FILTERS, "query", "min_confidence") if k in entry},
              **filters}
    known = rules(Subscription)
    sub = Subscription(name=name, source_health=check(
        "source_health", entry.get("source_health", False), known["source_health"], where))
    for key in FILTERS:
        if key in merged:
            setattr(sub, key, _str_set(where, key, merged[key]))
    if bad := sub.measures - MEASURES:
        raise ConfigError(f"{where}: unknown measure {sorted(bad)[0]!r} "
                          f"(one of {', '.join(sorted(MEASURES))})")
    if bad := sub.statuses - STATUSES:
        raise ConfigError(f"{where}: unknown status {sorted(bad)[0]!r} "
                          "(potential, planned or actual)")
    if "query" in merged:
        try:
            sub.query = [t.casefold() for t in shlex.split(str(merged["query"])) if t]
        except ValueError as exc:
            raise ConfigError(f"{where}: query: {exc}") from None
    sub.min_confidence = check("min_confidence", merged.get("min_confidence", 0),
                               known["min_confidence"], where)
    for kind in CHANNELS:
        if kind in entry:
            sub.channels[kind] = _parse_channel(where, kind, entry[kind])
    if not sub.channels:
        raise ConfigError(f"{where}: no channel (add [subscription.webhook], "
                          "[subscription.email] or [subscription.atom])")
    return sub


@dataclass
class AlertSettings:
    subscriptions: list[Subscription]
    smtp: SmtpSettings | None
    delivery: DeliverySettings

    def get(self, name: str) -> Subscription | None:
        return next((s for s in self.subscriptions if s.name == name), None)


def load_alert_settings(cfg: Config, data: dict[str, Any] | None = None) -> AlertSettings:
    """Parse ``[[subscription]]``, ``[smtp]`` and ``[alerts]``; raises ConfigError
    with a one-line message on the first problem."""
    from_config = data is None
    data = read_sections(cfg) if data is None else data
    raw = data.get("subscription", [])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise ConfigError("config: subscription must be an array of tables ([[subscription]])")
    subs = [parse_subscription(i, e) for i, e in enumerate(raw)]
    seen: set[str] = set()
    for sub in subs:
        if sub.name in seen:
            raise ConfigError(f"config: subscription name {sub.name!r} used twice")
        seen.add(sub.name)
    if from_config:  # subscriptions made in the web interface (kept in the store)
        from toezicht.web.subs import stored_subscriptions

        subs += stored_subscriptions(cfg, taken=seen, smtp="smtp" in data)
    smtp = SmtpSettings.from_table(data["smtp"]) if "smtp" in data else None
    if smtp is None and any("email" in s.channels for s in subs):
        name = next(s.name for s in subs if "email" in s.channels)
        raise ConfigError(f"config subscription {name!r}: e-mail channel needs an [smtp] section")
    return AlertSettings(subs, smtp, DeliverySettings.from_table(data.get("alerts")))
