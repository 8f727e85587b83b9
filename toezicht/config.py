"""Configuration: a TOML file plus ``TOEZICHT_*`` environment variables.

Precedence (highest first): environment, the TOML file, defaults. The file is
``--config PATH``, else ``$TOEZICHT_CONFIG``, else ``./toezicht.toml`` when it exists.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SOURCES = PACKAGE_DIR / "data" / "sources.toml"


class ConfigError(Exception):
    """A configuration problem, reported to the user as one line."""


@dataclass
class Config:
    data_dir: Path = field(default_factory=lambda: Path(".toezicht"))
    store_url: str = ""  # default: sqlite file under data_dir
    sources_file: Path = DEFAULT_SOURCES
    # Elasticsearch: when es_url is empty the locally provisioned node is used.
    es_url: str = ""
    es_port: int = 9200
    es_version: str = "8.19.21"
    es_api_key: str = ""
    es_username: str = ""
    es_password: str = ""
    es_ca_certs: str = ""
    es_index: str = "toezicht-articles"
    es_heap: str = "512m"
    search_backend: str = "elasticsearch"  # or "sqlite" (FTS5 in the store, no ES needed)
    user_agent: str = "ToezichtBot/0.1 (+https://github.com/toezicht/toezicht; research crawler)"
    download_delay: float = 1.0
    concurrent_per_domain: int = 2
    obey_robots: bool = True
    web_token: str = ""  # needed to change subscriptions when serve binds a public address
    source: Path | None = None  # the config file this came from

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
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in {"es_password", "es_api_key", "web_token"} and value:
                value = "***"
            out[f.name] = str(value) if isinstance(value, Path) else value
        out["resolved_store_url"] = self.resolved_store_url
        out["resolved_es_url"] = self.resolved_es_url
        return out


def _coerce(name: str, kind: Any, raw: Any) -> Any:
    """Convert a TOML or environment value to the field's type, or raise ConfigError."""
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if "Path" in kind_name:
            return Path(os.path.expanduser(str(raw))) if raw not in (None, "") else None
        if kind_name == "int":
            return int(raw)
        if kind_name == "float":
            return float(raw)
        if kind_name == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"config: {name} must be {kind_name}, got {raw!r}") from None


def find_config_file(path: str | Path | None = None) -> Path | None:
    if path:
        return Path(path)
    env = os.environ.get("TOEZICHT_CONFIG")
    if env:
        return Path(env)
    local = Path("toezicht.toml")
    return local if local.exists() else None


def load_config(path: str | Path | None = None, **overrides: Any) -> Config:
    """Load configuration; raises ConfigError with a one-line message on bad input."""
    values: dict[str, Any] = {}
    file = find_config_file(path)
    known = {f.name: f for f in fields(Config)}
    if file is not None:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {file}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {file} is not valid TOML: {exc}") from None
        section = data.get("toezicht", data)
        for key, raw in section.items():
            if isinstance(raw, dict) or (isinstance(raw, list) and raw
                                         and all(isinstance(x, dict) for x in raw)):
                continue  # other sections (alerts, schedule...) belong to their own modules
            if key not in known or key == "source":
                raise ConfigError(f"config file {file}: unknown setting {key!r}")
            values[key] = _coerce(key, known[key].type, raw)
        values["source"] = file
    for key, f in known.items():
        env = os.environ.get(f"TOEZICHT_{key.upper()}")
        if env is not None and key != "source":
            values[key] = _coerce(f"TOEZICHT_{key.upper()}", f.type, env)
    for key, raw in overrides.items():
        if raw is not None:
            values[key] = raw
    cfg = Config(**values)
    if cfg.sources_file is None:
        cfg.sources_file = DEFAULT_SOURCES
    return cfg
