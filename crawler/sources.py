"""Sources are data: a TOML file of ``[[source]]`` tables.

```toml
[[source]]
name = "nos"                      # unique, used with `toezicht crawl --source`
type = "feed"                     # feed (RSS/Atom) | sitemap (incl. news sitemaps) | pages
url = "https://feeds.nos.nl/nosnieuwsalgemeen"
lang = "nl"                       # optional language hint
allow = ['/nieuws/']              # optional regexes an article URL must match (any)
deny = ['/liveblog/']             # optional regexes that exclude an article URL
follow = ['/page/\\d+$']          # pages only: regexes for further listing pages
depth = 1                         # pages only: listing levels followed (default 1, max 3)
enabled = true                    # optional; disabled sources are skipped unless named
```

``{name}`` placeholders in ``url``/``allow``/``deny``/``follow`` are filled from
``variables`` (the demo uses ``{base}`` for the address of the local site).
A bad file raises :class:`SourceError` with one line naming the file and the entry.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SOURCE_TYPES = ("feed", "sitemap", "pages")
KEYS = {"name", "type", "url", "lang", "allow", "deny", "follow", "depth", "enabled",
        "description"}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_DEPTH = 3


class SourceError(Exception):
    """A problem with the sources file, reported to the user as one line."""


@dataclass(frozen=True)
class Source:
    name: str
    type: str
    url: str
    lang: str | None = None
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    follow: tuple[str, ...] = ()
    depth: int = 1
    enabled: bool = True
    description: str = ""
    _allow_re: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)
    _deny_re: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)
    _follow_re: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)

    def accepts(self, url: str) -> bool:
        """True when ``url`` passes the source's allow/deny patterns."""
        if self._allow_re and not any(p.search(url) for p in self._allow_re):
            return False
        return not any(p.search(url) for p in self._deny_re)

    def follows(self, url: str) -> bool:
        """True when ``url`` is a further listing page to follow (pages sources)."""
        return any(p.search(url) for p in self._follow_re) and not any(
            p.search(url) for p in self._deny_re
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "url": self.url, "lang": self.lang,
            "allow": list(self.allow), "deny": list(self.deny), "follow": list(self.follow),
            "depth": self.depth, "enabled": self.enabled, "description": self.description,
        }


class _Keep(dict):
    """Variables that leave unknown placeholders as they are (for listing/checking)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, variables: Mapping[str, str], where: str) -> str:
    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        if isinstance(variables, _Keep) and key not in variables:
            return match.group(0)
        if key not in variables:
            raise SourceError(f"{where}: unresolved placeholder {{{key}}}"
                              + (" (pass --base URL)" if key == "base" else ""))
        return str(variables[key]).rstrip("/") if key == "base" else str(variables[key])

    return PLACEHOLDER_RE.sub(repl, text)


def _patterns(value: Any, key: str, where: str, variables: Mapping[str, str]
              ) -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SourceError(f"{where}: {key} must be a list of regular expressions")
    texts = tuple(_fill(v, variables, where) for v in value)
    compiled = []
    for text in texts:
        try:
            compiled.append(re.compile(text))
        except re.error as exc:
            raise SourceError(f"{where}: {key} pattern {text!r} is not a valid regex: {exc}"
                              ) from None
    return texts, tuple(compiled)


def parse_source(entry: Any, where: str, variables: Mapping[str, str] | None = None) -> Source:
    """Validate one ``[[source]]`` table; ``where`` prefixes error messages."""
    variables = {} if variables is None else variables
    if not isinstance(entry, dict):
        raise SourceError(f"{where}: must be a table")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        label = f" {entry['name']!r}" if isinstance(entry.get("name"), str) else ""
        raise SourceError(f"{where}{label}: unknown key {unknown[0]!r} (allowed: "
                          f"{', '.join(sorted(KEYS))})")
    name = entry.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SourceError(f"{where}: name must be letters, digits, '-', '_' or '.', got {name!r}")
    where = f"{where} {name!r}"
    kind = entry.get("type")
    if kind not in SOURCE_TYPES:
        raise SourceError(f"{where}: type must be one of {', '.join(SOURCE_TYPES)}, got {kind!r}")
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise SourceError(f"{where}: url is required")
    url = _fill(url.strip(), variables, where)
    # placeholders are only left in place with keep_placeholders: validate around them
    probe = (PLACEHOLDER_RE.sub("http://placeholder.invalid", url, count=1)
             if url.startswith("{") else url)
    split = urlsplit(PLACEHOLDER_RE.sub("x", probe))
    if split.scheme not in {"http", "https"} or not split.hostname:
        raise SourceError(f"{where}: url must be an absolute http(s) URL, got {url!r}")
    lang = entry.get("lang")
    if lang is not None and (not isinstance(lang, str) or not re.fullmatch(r"[a-z]{2}", lang)):
        raise SourceError(f"{where}: lang must be a two-letter ISO 639-1 code, got {lang!r}")
    allow, allow_re = _patterns(entry.get("allow", []), "allow", where, variables)
    deny, deny_re = _patterns(entry.get("deny", []), "deny", where, variables)
    follow, follow_re = _patterns(entry.get("follow", []), "follow", where, variables)
    if follow and kind != "pages":
        raise SourceError(f"{where}: follow is only for type = \"pages\"")
    depth = entry.get("depth", 1)
    if not isinstance(depth, int) or isinstance(depth, bool) or not 0 <= depth <= MAX_DEPTH:
        raise SourceError(f"{where}: depth must be an integer from 0 to {MAX_DEPTH}")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise SourceError(f"{where}: enabled must be true or false")
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise SourceError(f"{where}: description must be a string")
    return Source(name=name, type=kind, url=url, lang=lang, allow=allow, deny=deny,
                  follow=follow, depth=depth, enabled=enabled, description=description,
                  _allow_re=allow_re, _deny_re=deny_re, _follow_re=follow_re)


def load_sources(path: str | Path, variables: Mapping[str, str] | None = None, *,
                 keep_placeholders: bool = False) -> list[Source]:
    """Read and validate a sources file; raises :class:`SourceError` (one line).

    With ``keep_placeholders`` unresolved ``{name}`` placeholders are left in place
    (``sources list``/``check`` of a template such as the demo's)."""
    path = Path(path)
    if keep_placeholders:
        variables = _Keep(variables or {})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError(f"sources file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"sources file {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"sources file {path} is not valid TOML: {exc}") from None
    extra = sorted(set(data) - {"source"})
    if extra:
        raise SourceError(f"sources file {path}: unknown top-level key {extra[0]!r} "
                          "(expected [[source]] tables)")
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise SourceError(f"sources file {path}: no [[source]] entries")
    sources: list[Source] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, 1):
        src = parse_source(entry, f"sources file {path}: source #{number}", variables)
        if src.name in seen:
            raise SourceError(f"sources file {path}: source #{number}: duplicate name "
                              f"{src.name!r}")
        seen.add(src.name)
        sources.append(src)
    return sources


def select_sources(sources: list[Source], names: Iterable[str] | None) -> list[Source]:
    """The sources named (any, enabled or not), or all enabled ones when none are named.
    An unknown name raises :class:`SourceError`."""
    names = list(names or [])
    if not names:
        return [s for s in sources if s.enabled]
    by_name = {s.name: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name))
        raise SourceError(f"unknown source {unknown[0]!r} (known: {known})")
    return [by_name[n] for n in dict.fromkeys(names)]
