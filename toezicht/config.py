"""Configuration: a TOML file plus ``TOEZICHT_*`` environment variables.

Precedence (highest first): environment, the TOML file, defaults. The file is
``--config PATH``, else ``$TOEZICHT_CONFIG``, else ``./toezicht.toml`` when it exists.

Every setting is declared once, with the rule its value must meet
(``setting(default, rule)``). Each value, from the file, the environment or the
command line, is converted and checked against that rule when it is loaded, so a bad
one is refused before anything runs, in one line naming the setting, the value and
what is allowed::

    config: concurrent_per_domain = 0: must be an integer >= 1

The sections other modules own ([schedule], [smtp], [alerts]) declare their settings
the same way and read them with :func:`read_table`.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SOURCES = PACKAGE_DIR / "data" / "sources.toml"
# Tables of the config file read by other modules (toezicht.schedule, toezicht.alerts).
SECTIONS = ("schedule", "smtp", "alerts", "subscription")


class ConfigError(Exception):
    """A configuration problem, reported to the user as one line."""


# -- rules ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """What one setting allows. ``kind`` says how a TOML or environment value is
    converted (int, float, bool, str, path, strings, words); ``ok`` then tests the
    converted value (it may raise ValueError with a detail for the message);
    ``allowed`` completes "must be ..."."""

    kind: str
    allowed: str
    ok: Callable[[Any], bool] = lambda value: True
    clean: Callable[[Any], Any] | None = None  # applied after conversion (e.g. lowercase)
    secret: bool = False  # never shown: not by `config show`, not in an error


def integer(lo: int, hi: int | None = None) -> Rule:
    if hi is None:
        return Rule("int", f"an integer >= {lo}", lambda v: v >= lo)
    return Rule("int", f"an integer from {lo} to {hi}", lambda v: lo <= v <= hi)


def number(lo: float = 0, hi: float | None = None, *, above: bool = False) -> Rule:
    """A finite number >= lo (> lo with ``above``), optionally <= hi."""
    if hi is not None:
        return Rule("float", f"a number from {lo:g} to {hi:g}", lambda v: lo <= v <= hi)
    if above:
        return Rule("float", f"a number > {lo:g}", lambda v: v > lo)
    return Rule("float", f"a number >= {lo:g}", lambda v: v >= lo)


def flag() -> Rule:
    return Rule("bool", "true or false")


def choice(*options: str) -> Rule:
    """One of ``options`` (case-insensitive; the value is kept in lowercase)."""
    names = " or ".join(json.dumps(o) for o in options)
    return Rule("str", f"one of {names}", lambda v: v in options,
                clean=lambda v: v.strip().lower())


def text(allowed: str = "a single line of text", *, pattern: str | None = None,
         empty: bool = True, secret: bool = False) -> Rule:
    """One line of printable text; with ``pattern`` it must match it (whole), unless
    it is empty and ``empty`` allows that."""
    regex = re.compile(pattern) if pattern else None

    def ok(value: str) -> bool:
        if not value:
            return empty
        return value.isprintable() and (regex is None or regex.fullmatch(value) is not None)

    return Rule("str", allowed, ok, secret=secret)


def fs_path(allowed: str, *, required: bool = False, not_a_file: bool = False) -> Rule:
    """A file-system path ("~" expanded); empty is None, refused when ``required``."""

    def ok(value: Path | None) -> bool:
        if value is None:
            return not required
        return not (not_a_file and value.is_file())

    return Rule("path", allowed, ok)


def existing_file(what: str) -> Rule:
    """Empty, or the name of a file that exists ("~" expanded)."""
    return Rule("str", f"empty or the path of an existing file ({what})",
                lambda v: not v or Path(os.path.expanduser(v)).is_file())


def strings(*, split: bool = False) -> Rule:
    """A list of strings; with ``split`` a string is split on whitespace too."""
    if split:
        return Rule("words", "a list of strings or one string of words")
    return Rule("strings", "a list of strings")


def http_url(example: str = "https://es.example.org:9200") -> Rule:
    """Empty or an http(s) URL with a host (and a valid port)."""

    def ok(value: str) -> bool:
        if not value:
            return True
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError("Port out of range 0-65535")
        return (parts.scheme in ("http", "https") and bool(parts.hostname)
                and not any(c.isspace() for c in value))

    return Rule("str", f"empty or an http(s) URL such as {example}", ok)


def index_name() -> Rule:
    """An Elasticsearch index (alias) name. Elasticsearch forbids upper case, spaces,
    \\ / * ? " < > | , # :, a leading - _ +, "." and ".." and more than 255 bytes;
    index.es allows only [a-z0-9][a-z0-9_.-]* and names the indices behind the alias
    ``<alias>-YYYYMMDD-HHMMSSmmm`` (19 characters more), hence 236."""
    regex = re.compile(r"[a-z0-9][a-z0-9_.-]{0,235}")
    return Rule("str", "an Elasticsearch index name: lowercase letters, digits, '-', '_' "
                       "or '.', starting with a letter or digit, at most 236 characters",
                lambda v: regex.fullmatch(v) is not None)


def _known_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a directory
        return False
    return True


def timezone_name() -> Rule:
    return Rule("str", "an IANA timezone name such as Europe/Amsterdam or UTC", _known_zone)


def setting(default: Any, rule: Rule) -> Any:
    """A dataclass field with its rule (a list default is copied for each instance)."""
    if isinstance(default, list | dict | set):
        return field(default_factory=lambda: copy.copy(default), metadata={"rule": rule})
    return field(default=default, metadata={"rule": rule})


def rules(cls: Any) -> dict[str, Rule]:
    """The rule of every setting declared on the dataclass ``cls``."""
    return {f.name: f.metadata["rule"] for f in fields(cls) if "rule" in f.metadata}


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _convert(kind: str, raw: Any) -> Any:
    """``raw`` (from TOML, the environment or code) as ``kind``; raises ValueError,
    TypeError or OverflowError when it is not one."""
    if kind == "int":
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise TypeError(raw)
        return int(raw)  # int(" 12 ") == 12; "abc" and "1.5" raise
    if kind == "float":
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise TypeError(raw)
        value = float(raw)  # OverflowError for a huge integer
        if not math.isfinite(value):
            raise ValueError(raw)
        return value
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower() if isinstance(raw, int | str) else ""
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(raw)
    if kind == "str":
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise TypeError(raw)
        return str(raw)
    if kind == "path":
        if isinstance(raw, Path):
            return raw
        if not isinstance(raw, str):
            raise TypeError(raw)
        return Path(os.path.expanduser(raw)) if raw.strip() else None
    if kind in ("strings", "words"):
        if kind == "words" and isinstance(raw, str):
            return raw.split()
        if isinstance(raw, list | tuple) and all(isinstance(x, str) for x in raw):
            return list(raw)
        raise TypeError(raw)
    raise AssertionError(f"unknown rule kind {kind!r}")


_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"}


def show_value(raw: Any) -> str:
    """A value as in TOML, on one line and at most 100 characters."""
    if isinstance(raw, bool):
        out = "true" if raw else "false"
    elif isinstance(raw, str | Path):
        out = json.dumps(str(raw), ensure_ascii=False).translate(_BREAKS)
    else:
        out = " ".join(repr(raw).split())
    return out if len(out) <= 100 else out[:97] + "..."


def check(name: str, raw: Any, rule: Rule, where: str = "config") -> Any:
    """``raw`` converted and checked against ``rule``; else ConfigError:
    ``<where>: <name> = <value>: must be <allowed>``."""
    try:
        value = _convert(rule.kind, raw)
        if rule.clean is not None:
            value = rule.clean(value)
    except (TypeError, ValueError, OverflowError):
        value, detail = None, ""
    else:
        try:
            detail = "" if not rule.ok(value) else None
        except ValueError as exc:
            detail = " ".join(str(exc).split())
        if detail is None:
            return value
    shown = "***" if rule.secret and raw not in ("", None) else show_value(raw)
    extra = f" ({detail})" if detail else ""
    raise ConfigError(f"{where}: {name} = {shown}: must be {rule.allowed}{extra}")


def read_table(cls: Any, table: Any, section: str, *,
               other: Iterable[str] = ()) -> dict[str, Any]:
    """The settings given in the TOML table ``[section]``, each converted and checked
    against the rule declared on the dataclass ``cls``; ConfigError (one line) on an
    unknown key or a bad value. Keys in ``other`` are left to the caller."""
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise ConfigError(f"config: [{section}] must be a table")
    known = rules(cls)
    out: dict[str, Any] = {}
    for key, raw in table.items():
        if key in other:
            continue
        if key not in known:
            raise ConfigError(f"config [{section}]: unknown setting {key!r}")
        out[key] = check(f"{section}.{key}", raw, known[key])
    return out


# -- the settings -----------------------------------------------------------------------
_ES_VERSION = r"([89]|[1-9]\d+)\.\d+\.\d+"
#: the local node's default release: the major of the client (elasticsearch-py 9.5.x)
DEFAULT_ES_VERSION = "9.5.4"
_HEAP = r"[1-9]\d*[kKmMgG]"
_DB_URL = r"[A-Za-z][A-Za-z0-9+._-]*://\S*"


@dataclass
class Config:
    data_dir: Path = setting(Path(".toezicht"), fs_path(
        "a directory path (not a file)", required=True, not_a_file=True))
    # default: a sqlite file under data_dir
    store_url: str = setting("", text(
        "empty or a database URL such as sqlite:///path/toezicht.db or "
        "postgresql+psycopg://host/db", pattern=_DB_URL))
    sources_file: Path = setting(DEFAULT_SOURCES, fs_path("a file path"))  # empty: the default
    # Elasticsearch: when es_url is empty the locally provisioned node is used.
    es_url: str = setting("", http_url())
    es_port: int = setting(9200, integer(1, 65535))
    es_version: str = setting(DEFAULT_ES_VERSION, text(
        "an Elasticsearch release such as 9.5.4 (8 or later)", pattern=_ES_VERSION,
        empty=False))
    es_api_key: str = setting("", text(secret=True))
    es_username: str = setting("", text())
    es_password: str = setting("", text(secret=True))
    es_ca_certs: str = setting("", existing_file("a CA certificate file"))
    es_index: str = setting("toezicht-articles", index_name())
    es_heap: str = setting("512m", text("a heap size such as 512m or 1g", pattern=_HEAP,
                                        empty=False))
    # "sqlite": FTS5 in the store, no Elasticsearch needed (index.search.BACKENDS)
    search_backend: str = setting("elasticsearch", choice("elasticsearch", "sqlite"))
    user_agent: str = setting(
        "ToezichtBot/0.1 (+https://github.com/toezicht/toezicht; research crawler)",
        text("a single line of text, not empty", empty=False))
    download_delay: float = setting(1.0, number(0))  # seconds between requests to one site
    concurrent_per_domain: int = setting(2, integer(1))
    obey_robots: bool = setting(True, flag())
    # A sitemap is read up to this many entries and decompressed bytes (sitemaps.org's
    # limits), plain or gzipped alike; the rest is skipped and counted as
    # discovery_sitemap_truncated.
    sitemap_max_urls: int = setting(50_000, integer(1))
    sitemap_max_bytes: int = setting(50 * 1024 * 1024, integer(1024))
    # A running crawl writes a heartbeat into its crawl_runs row every heartbeat_interval
    # seconds; a run without one for heartbeat_timeout seconds (at least 3 intervals) is
    # marked abandoned by the next crawl or `toezicht runs` (crawler.heartbeat).
    heartbeat_interval: float = setting(15.0, number(1, 300))
    heartbeat_timeout: float = setting(90.0, number(3, 86400))
    # needed to change subscriptions when serve binds a public address
    web_token: str = setting("", text(secret=True))
    source: Path | None = None  # the config file this came from (not a setting)

    @property
    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{(self.data_dir / 'toezicht.db').resolve()}"

    @property
    def resolved_es_url(self) -> str:
        return self.es_url or f"http://127.0.0.1:{self.es_port}"

    @property
    def es_is_local(self) -> bool:
        """True when Toezicht provisions and runs the node itself."""
        return not self.es_url

    def as_dict(self) -> dict[str, Any]:
        secret = {name for name, rule in rules(Config).items() if rule.secret}
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in secret and value:
                value = "***"
            out[f.name] = str(value) if isinstance(value, Path) else value
        out["resolved_store_url"] = self.resolved_store_url
        out["resolved_es_url"] = self.resolved_es_url
        return out


def find_config_file(path: str | Path | None = None) -> Path | None:
    if path:
        return Path(path)
    env = os.environ.get("TOEZICHT_CONFIG")
    if env:
        return Path(env)
    local = Path("toezicht.toml")
    return local if local.exists() else None


def _file_settings(file: Path) -> Iterable[tuple[str, Any]]:
    """(name as written, value) of every top-level setting in the file, also those
    under ``[toezicht]``; the other modules' sections are left out, any other table
    is an error (it would be ignored silently)."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {file}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
    tables = [("", data)]
    if isinstance(data.get("toezicht"), dict):
        tables.append(("toezicht.", data["toezicht"]))
    known = rules(Config)
    for prefix, table in tables:
        for key, raw in table.items():
            if key in SECTIONS or (not prefix and key == "toezicht" and isinstance(raw, dict)):
                continue
            table_like = isinstance(raw, dict) or (
                isinstance(raw, list) and raw and all(isinstance(x, dict) for x in raw))
            if key not in known and table_like:
                raise ConfigError(
                    f"config file {file}: unknown section [{prefix}{key}] (sections: "
                    f"{', '.join(SECTIONS)}; settings such as concurrent_per_domain go at "
                    "the top, before any section)")
            if key not in known:
                raise ConfigError(f"config file {file}: unknown setting {prefix + key!r}")
            yield prefix + key, raw


def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Load configuration; raises ConfigError with a one-line message on bad input:
    every value (file, environment, ``overrides``) is checked against its rule."""
    known = rules(Config)
    values: dict[str, Any] = {}
    file = find_config_file(path)
    if file is not None:
        for name, raw in _file_settings(file):
            key = name.rpartition(".")[2]
            values[key] = check(name, raw, known[key])
        values["source"] = file
    for key, rule in known.items():
        env = os.environ.get(f"TOEZICHT_{key.upper()}")
        if env is not None:
            values[key] = check(f"TOEZICHT_{key.upper()}", env, rule)
    for key, raw in overrides.items():
        if raw is not None:
            values[key] = check(key, raw, known[key]) if key in known else raw
    cfg = Config(**values)
    if cfg.sources_file is None:
        cfg.sources_file = DEFAULT_SOURCES
    return cfg
