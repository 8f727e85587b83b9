"""Search parameters and the user query language, shared by every backend.

The query language follows Elasticsearch's ``simple_query_string`` (what Media
Cloud and the GDELT DOC API users know): words are ANDed, ``"a phrase"``,
``a | b`` or ``a OR b``, ``-word`` or ``NOT word``, ``+word`` or ``a AND b``,
``prefix*`` and parentheses. Operators are upper case, as in Media Cloud and
Google: a lower-case ``or``/``and``/``not`` is searched as a word, with a warning
(:attr:`ParsedQuery.warnings`). ``"a b"~N`` finds the words within N words of each
other, in any order. Field names are a closed vocabulary (:data:`FIELDS`):
``title:word`` and ``text:word`` (also ``title:"a phrase"``, ``title:(a OR b)``)
search one part of the article; ``field:value`` (lang, country, regulator,
platform, measure, status, source) is taken out of the text and becomes a
filter, ``-field:value`` excludes; any other ``name:value`` is an error listing
the fields. The query is parsed here into a small tree that each backend renders
(Elasticsearch bool/simple_query_string/intervals leaves, SQLite FTS5 MATCH
expressions), so both backends agree on what a query means and a malformed query
is a one-line :class:`SearchError` before any backend sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

MEASURES = ("investigation", "block", "fine", "legal_action", "legislation", "order", "warning",
            "platform_measure")
STATUSES = ("actual", "planned", "potential")
# The field names a query may use, defined once: canonical name -> aliases, in the
# order error messages list them. ``title``/``text`` search one part of the article;
# the others are filters (:data:`FILTER_ATTRS`).
FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("headline",),
    "text": ("body",),
    "lang": ("language",),
    "country": ("countries",),
    "regulator": ("regulators",),
    "platform": ("platforms",),
    "measure": ("measures",),
    "status": ("statuses",),
    "source": ("sources",),
}
TEXT_FIELDS = ("title", "text")
# filter field -> SearchParams attribute
FILTER_ATTRS = {"lang": "langs", "country": "countries", "regulator": "regulators",
                "platform": "platforms", "measure": "measures", "status": "statuses",
                "source": "sources"}
# any spelling (name or alias) -> canonical field name
FIELD_ALIASES = {alias: name for name, aliases in FIELDS.items() for alias in (name, *aliases)}
# user-facing filter name (or alias) -> SearchParams attribute
FIELD_FILTERS = {alias: FILTER_ATTRS[name] for alias, name in FIELD_ALIASES.items()
                 if name in FILTER_ATTRS}
# SearchParams list attribute -> facet / document field name
FILTER_FIELDS = {
    "langs": "lang", "countries": "countries", "regulators": "regulators",
    "platforms": "platforms", "measures": "measures", "statuses": "statuses",
    "sources": "source",
}
FACET_NAMES = tuple(FILTER_FIELDS.values())
INTERVALS = ("day", "week", "month")
TIMELINE_BY = ("lang", "country", "none")
MAX_SIZE = 1000
MAX_WINDOW = 10_000
MAX_QUERY = 2000
MAX_SLOP = 100  # "a b"~N: at most this many words apart


class SearchError(ValueError):
    """A bad query or parameter; the message is one line meant for the user."""


# -- the query tree -------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    text: str
    prefix: bool = False
    field: str | None = None  # "title" or "text": that part only; None: both


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None
    slop: int = 0  # 0: the exact phrase; N: every word within N words of the others


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Phrase | Not | And | Or


@dataclass(frozen=True)
class ParsedQuery:
    tree: Node | None  # None: everything
    filters: list[tuple[str, str, bool]]  # (SearchParams attribute, value, negated)
    warnings: list[str]  # one line each: what the query does that the user may not mean


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_TOKEN = re.compile(r'\s*(?:(?P<quote>")|(?P<lp>\()|(?P<rp>\))|(?P<bar>\|)|(?P<amp>&&?)'
                    r'|(?P<plus>\+)|(?P<minus>-(?=\S))|(?P<bare>[^\s()"|+&][^\s()"|&]*))')
_FIELD = re.compile(r"([^\W\d_]\w*):(.*)", re.DOTALL)  # name:value (a name starts with a letter)
_SLOP = re.compile(r"~(\d+)")
_OPERATOR_WORDS = {
    "or": "'{w}' is searched as a word; use OR for either term",
    "and": "'{w}' is searched as a word; leave it out (words are ANDed) or use AND",
    "not": "'{w}' is searched as a word; use NOT or -word to exclude a term",
}
_TERM_START = ("word", "phrase", "lp", "field", "minus", "plus")
_TERM_END = ("word", "phrase", "rp", "near")


def words_of(text: str) -> list[str]:
    """The index words in a piece of user text (letters and digits)."""
    return [w.lower() for w in _WORD.findall(text)]


def fields_message() -> str:
    return ", ".join(FIELDS)


def _unknown_field(name: str, word: str | None = None) -> SearchError:
    hint = f' (or put "{word}" in quotes to search its words)' if word else ""
    return SearchError(f"unknown field {name!r}: use one of {fields_message()}{hint}")


def _lex(query: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    n = len(query)
    while pos < n:
        if query[pos].isspace():
            pos += 1
            continue
        if query[pos] == '"':
            end = query.find('"', pos + 1)
            if end < 0:
                raise SearchError(f"unbalanced quote in query at position {pos + 1}: "
                                  'close the phrase with "')
            out.append(("phrase", query[pos + 1:end]))
            pos = end + 1
            slop = _SLOP.match(query, pos)
            if slop:  # "a b"~5: proximity
                if int(slop.group(1)) > MAX_SLOP:
                    raise SearchError(f"{slop.group(0)!r} after a phrase: give a distance "
                                      f"of 0 to {MAX_SLOP} words")
                out.append(("near", slop.group(0)))
                pos = slop.end()
            continue
        m = _TOKEN.match(query, pos)
        if not m or m.end() == pos:
            raise SearchError(f"cannot read the query at position {pos + 1}: {query[pos:pos+20]!r}")
        kind = m.lastgroup or "bare"
        value = m.group(kind)
        pos = m.end()
        if kind == "bare":
            if value in ("AND", "OR", "NOT"):
                out.append((value.lower(), value))
                continue
            named = _FIELD.fullmatch(value)
            if named and not named.group(2) and pos < n and query[pos] in '"(':
                out.append(("field", named.group(1)))  # title:"a phrase", title:(a OR b)
                continue
            out.append(("word", value))
        else:
            out.append((kind, value))
    return out


def _operator_warnings(tokens: list[tuple[str, str]]) -> list[str]:
    """Lower-case and/or between two terms, not before a term: searched as words
    (only upper case is an operator, as in Media Cloud and Google), so say so."""
    out: list[str] = []
    for i, (kind, value) in enumerate(tokens):
        op = value.lower()
        if kind != "word" or op not in _OPERATOR_WORDS:
            continue
        before = i > 0 and tokens[i - 1][0] in _TERM_END
        after = i + 1 < len(tokens) and tokens[i + 1][0] in _TERM_START
        if after and (before or op == "not"):
            message = _OPERATOR_WORDS[op].format(w=value)
            if message not in out:
                out.append(message)
    return out


def _scoped(node: Node, name: str) -> Node:
    """``node`` searched in one field (``title:(a OR b)``); an inner field wins."""
    if isinstance(node, Term | Phrase):
        return node if node.field else replace(node, field=name)
    if isinstance(node, Not):
        return Not(_scoped(node.child, name))
    return type(node)(tuple(_scoped(c, name) for c in node.children))


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.filters: list[tuple[str, str, bool]] = []  # (attr, value, negated)

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node | None:
        node = self.or_expr(top=True)
        if self.peek() is not None:
            kind, value = self.tokens[self.i]
            if kind == "rp":
                raise SearchError("unbalanced ')' in query")
            raise SearchError(f"unexpected {value!r} in query")
        return node

    def or_expr(self, top: bool = False) -> Node | None:
        before = len(self.filters)
        parts = [self.and_expr(top=top)]
        while self.peek() in ("bar", "or"):
            op = self.take()[1]
            if len(self.filters) > before:
                raise SearchError("field:value filters cannot be combined with OR")
            if parts[-1] is None or self.peek() in (None, "rp", "bar", "or", "and", "amp"):
                raise SearchError(f"'{op}' needs a search term on both sides")
            parts.append(self.and_expr(top=False, in_or=True))
            if parts[-1] is None:
                raise SearchError(f"'{op}' needs a search term on both sides")
        return parts[0] if len(parts) == 1 else Or(tuple(parts))  # type: ignore[arg-type]

    def and_expr(self, top: bool = False, in_or: bool = False) -> Node | None:
        if self.peek() in ("and", "amp"):
            raise SearchError(f"'{self.tokens[self.i][1]}' needs something on both sides")
        parts: list[Node] = []
        first = True
        while self.peek() not in (None, "rp", "bar", "or"):
            if not first and self.peek() in ("and", "amp"):
                op = self.take()[1]
                if self.peek() in (None, "rp", "bar", "or", "and", "amp"):
                    raise SearchError(f"'{op}' needs something on both sides")
            node = self.unary(top=top and not in_or)
            if node is not None:
                parts.append(node)
            first = False
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self, top: bool) -> Node | None:
        kind = self.peek()
        if kind in ("minus", "not"):
            op = self.take()[1]
            if self.peek() in (None, "rp", "bar", "or", "and", "amp"):
                raise SearchError(f"'{op}' must be followed by a term")
            if self._filter_ahead():
                return self._filter(negated=True, top=top)
            child = self.unary(top=False)
            return Not(child) if child is not None else None
        if kind == "plus":
            self.take()
            if self.peek() in (None, "rp", "bar", "or"):
                raise SearchError("'+' must be followed by a term")
            return self.unary(top=top)
        return self.primary(top)

    @staticmethod
    def _named(word: str) -> tuple[str, str] | None:
        """(canonical field, value) for ``name:value``; None for a plain word. An
        unknown name with a value is an error; ``Ofcom:`` (a headline pasted with
        its colon) and ``https://…`` stay words."""
        m = _FIELD.fullmatch(word)
        if not m:
            return None
        name, value = m.group(1), m.group(2)
        canon = FIELD_ALIASES.get(name.lower())
        if canon is None:
            if not value or value.startswith("//"):
                return None
            raise _unknown_field(name, word)
        return canon, value

    def _filter_ahead(self) -> bool:
        """Is the next token a filter (``country:GB``, ``source:"a b"``)?"""
        kind = self.peek()
        if kind == "field":
            name = self.tokens[self.i][1]
            canon = FIELD_ALIASES.get(name.lower())
            if canon is None:
                raise _unknown_field(name)
            return canon in FILTER_ATTRS
        if kind == "word":
            named = self._named(self.tokens[self.i][1])
            return named is not None and named[0] in FILTER_ATTRS
        return False

    def _filter(self, *, negated: bool, top: bool) -> None:
        kind, word = self.take()
        if kind == "field":  # source:"dagblad", country:(GB OR NL)
            name = word
            if self.peek() != "phrase":
                raise SearchError(f"'{name}:(': a filter takes one value, as {name}:VALUE; "
                                  "repeat it for more (either value matches)")
            value = self.take()[1]
            word = f'{name}:"{value}"'
        else:
            name, _, value = word.partition(":")
        if not top:
            raise SearchError(f"{word!r}: field:value filters cannot be inside parentheses "
                              "or combined with OR")
        if not value.strip():
            raise SearchError(f"{word!r}: give a value after '{name}:'")
        self.filters.append((FIELD_FILTERS[name.lower()], value.strip(), negated))
        return None

    @staticmethod
    def _word(value: str) -> Node | None:
        prefix = value.endswith("*")
        words = words_of(value)
        if not words:
            return None  # a bare * means everything; punctuation only: nothing to search for
        if len(words) > 1:  # o'brien, e-mail, x.com: the analyser splits them too
            return Phrase(tuple(words)) if not prefix else And(
                (Phrase(tuple(words[:-1])) if len(words) > 2 else Term(words[0]),
                 Term(words[-1], prefix=True)))
        if prefix and len(words[0]) < 2:
            raise SearchError(f"{value!r}: a prefix needs at least 2 letters before '*'")
        return Term(words[0], prefix=prefix)

    def _phrase(self, value: str) -> Node | None:
        slop = int(self.take()[1][1:]) if self.peek() == "near" else 0
        words = words_of(value)
        if not words:
            return None
        return Phrase(tuple(words), slop=slop) if len(words) > 1 else Term(words[0])

    def _in_field(self, name: str, shown: str) -> Node:
        """What follows ``title:`` / ``text:``: a word, a phrase or a group."""
        node = self.primary(top=False)
        if node is None:
            raise SearchError(f"{shown!r}: give a word or a phrase after '{name}:'")
        return _scoped(node, FIELD_ALIASES[name.lower()])

    def primary(self, top: bool) -> Node | None:
        if self._filter_ahead():
            return self._filter(negated=False, top=top)
        kind, value = self.take()
        if kind == "lp":
            self.depth += 1
            if self.depth > 20:
                raise SearchError("query nests parentheses too deeply")
            node = self.or_expr(top=False)
            if self.peek() != "rp":
                raise SearchError("unbalanced '(' in query: close it with ')'")
            self.take()
            self.depth -= 1
            if node is None:
                raise SearchError("empty parentheses in query")
            return node
        if kind == "phrase":
            return self._phrase(value)
        if kind == "field":  # title:"a phrase", title:(a OR b)
            return self._in_field(value, f"{value}:")
        if kind == "word":
            named = self._named(value)
            if named is not None:  # title:word (a filter was taken above)
                name, rest = value.partition(":")[0], named[1]
                if not rest.strip():
                    raise SearchError(f"{value!r}: give a word or a phrase after '{name}:'")
                node = self._word(rest)
                if node is None:
                    raise SearchError(f"{value!r}: give a word or a phrase after '{name}:'")
                return _scoped(node, named[0])
            return self._word(value)
        if kind == "rp":
            raise SearchError("unbalanced ')' in query")
        if kind == "near":
            raise SearchError(f"{value!r} must follow a phrase in quotes: \"a b\"{value}")
        raise SearchError(f"unexpected {value!r} in query")


def parse(query: str) -> ParsedQuery:
    """Parse user text into its tree (None for "everything"), its filters and the
    warnings about it."""
    text = (query or "").strip()
    if len(text) > MAX_QUERY:
        raise SearchError(f"query is too long ({len(text)} characters, at most {MAX_QUERY})")
    if text in ("", "*"):
        return ParsedQuery(None, [], [])
    tokens = _lex(text)
    parser = _Parser(tokens)
    node = parser.parse()
    return ParsedQuery(node, parser.filters, _operator_warnings(tokens))


def parse_query(query: str) -> tuple[Node | None, list[tuple[str, str, bool]]]:
    """Parse user text into (tree or None for "everything", [(attr, value, negated)])."""
    parsed = parse(query)
    return parsed.tree, parsed.filters


def positive_words(node: Node | None) -> list[str]:
    """Words that must or may match (for highlighting)."""
    if node is None:
        return []
    if isinstance(node, Term):
        return [node.text]
    if isinstance(node, Phrase):
        return list(node.words)
    if isinstance(node, Not):
        return []
    out: list[str] = []
    for child in node.children:
        out.extend(positive_words(child))
    return out


# -- parameters -----------------------------------------------------------------


def _date_bound(value: Any, name: str, *, upper: bool) -> str | None:
    """A user date (YYYY, YYYY-MM, YYYY-MM-DD or ISO datetime) as a UTC ISO datetime
    bound; date-only upper bounds include the whole day/month/year (exclusive end)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
        try:
            start = date(year, month, day)
        except ValueError:
            raise SearchError(f"{name} {text!r} is not a date: use YYYY-MM-DD") from None
        if not upper:
            return f"{start.isoformat()}T00:00:00"
        if m.group(3):
            end = start + timedelta(days=1)
        elif m.group(2):
            end = date(year + (month == 12), month % 12 + 1, 1)
        else:
            end = date(year + 1, 1, 1)
        return f"{end.isoformat()}T00:00:00"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(f"{name} {text!r} is not a date: use YYYY-MM-DD") from None
    return normalise_datetime(parsed)


# How each caller names the date bounds in its messages: the CLI its options ("--from
# 'x' is not a date"), the API and the web pages their query parameters ("from ...").
DATE_NAMES: dict[str, tuple[str, str]] = {"cli": ("--from", "--to"), "api": ("from", "to")}


def date_bounds(date_from: Any, date_to: Any, names: str = "cli"
                ) -> tuple[str | None, str | None]:
    """The from/to dates as UTC bounds (see :func:`_date_bound`); a bad one is a
    :class:`SearchError` naming it the way ``names`` (a :data:`DATE_NAMES` key) does."""
    name_from, name_to = DATE_NAMES[names]
    return (_date_bound(date_from, name_from, upper=False),
            _date_bound(date_to, name_to, upper=True))


def normalise_datetime(when: datetime) -> str:
    from datetime import UTC

    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat()


def normalise_published(value: Any) -> str | None:
    """A stored ``published`` value as a naive UTC ``YYYY-MM-DDTHH:MM:SS`` (what
    Elasticsearch makes of it), or None."""
    if value is None or value == "":
        return None
    try:
        return _date_bound(value, "published", upper=False)
    except SearchError:
        return None


def _values(raw: Any, attr: str) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    out: list[str] = []
    for item in raw:
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            if len(part) > 200:
                raise SearchError(f"{attr}: value too long")
            out.append(part)
    return out


def _canon(attr: str, value: str) -> str:
    if attr == "langs":
        value = value.lower()
        if not re.fullmatch(r"[a-z]{2,3}", value):
            raise SearchError(f"lang {value!r} is not a language code: use nl or en")
    elif attr == "countries":
        value = value.upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise SearchError(f"country {value!r} is not an ISO code: use e.g. NL, GB or EU")
    elif attr == "regulators":
        value = value.lower()
    elif attr == "measures":
        value = value.lower()
        if value not in MEASURES:
            raise SearchError(f"measure {value!r} is unknown: use one of {', '.join(MEASURES)}")
    elif attr == "statuses":
        value = value.lower()
        if value not in STATUSES:
            raise SearchError(f"status {value!r} is unknown: use one of {', '.join(STATUSES)}")
    return value


@dataclass
class SearchParams:
    """Everything a search, a timeline or an export is asked for."""

    query: str = ""
    date_from: str | None = None
    date_to: str | None = None
    langs: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    regulators: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    relevant_only: bool = True
    sort: str = "relevance"
    page: int = 1
    size: int = 10
    highlight: bool = True
    stories: bool = False
    facets: bool = True
    facet_size: int = 25
    names: str = "cli"  # how errors name the parameters: a DATE_NAMES key
    suggest: bool = True  # "did you mean" when a search finds (almost) nothing
    # filled in by normalised()
    tree: Any = field(default=None, repr=False, compare=False)
    warnings: list[str] = field(default_factory=list, repr=False, compare=False)
    start: str | None = field(default=None, repr=False)
    end: str | None = field(default=None, repr=False)

    def normalised(self) -> SearchParams:
        """A validated copy: query parsed, field:value filters merged, values
        canonical (upper-case countries ...), dates as UTC bounds. Raises
        :class:`SearchError` with a one-line message."""
        if not isinstance(self.query, str):
            raise SearchError("query must be text")
        parsed = parse(self.query)
        tree, extracted = parsed.tree, parsed.filters
        lists: dict[str, list[str]] = {}
        exclude: dict[str, list[str]] = {k: list(v) for k, v in (self.exclude or {}).items()}
        for attr in FILTER_FIELDS:
            lists[attr] = [_canon(attr, v) for v in _values(getattr(self, attr), attr)]
        for attr, value, negated in extracted:
            value = _canon(attr, value)
            target = exclude.setdefault(attr, []) if negated else lists[attr]
            if value not in target:
                target.append(value)
        for attr in list(exclude):
            if attr not in FILTER_FIELDS:
                raise SearchError(f"cannot exclude on {attr!r}")
            exclude[attr] = [_canon(attr, v) for v in _values(exclude[attr], attr)]
        if self.sort not in ("relevance", "date", "date_asc"):
            raise SearchError(f"sort {self.sort!r} is unknown: use relevance or date")
        try:
            page, size = int(self.page), int(self.size)
        except (TypeError, ValueError):
            raise SearchError("page and size must be whole numbers") from None
        if page < 1:
            raise SearchError("page must be 1 or more")
        if not 0 <= size <= MAX_SIZE:
            raise SearchError(f"size must be between 0 and {MAX_SIZE}")
        if page * size > MAX_WINDOW:
            raise SearchError(f"cannot page beyond the first {MAX_WINDOW} results: "
                              "narrow the search or use export")
        if not 1 <= int(self.facet_size) <= 200:
            raise SearchError("facet_size must be between 1 and 200")
        start, end = date_bounds(self.date_from, self.date_to, self.names)
        if start and end and start >= end:
            raise SearchError(f"the from date ({self.date_from}) is after the to date "
                              f"({self.date_to})")
        return replace(self, **lists, exclude={k: v for k, v in exclude.items() if v},
                       page=page, size=size, tree=tree, start=start, end=end,
                       warnings=list(parsed.warnings))

    def as_dict(self) -> dict[str, Any]:
        skip = {"tree", "start", "end", "names", "warnings"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}


def check_timeline(interval: str, by: str | None) -> str:
    if interval not in INTERVALS:
        raise SearchError(f"interval {interval!r} is unknown: use day, week or month")
    by = by or "none"
    if by not in TIMELINE_BY:
        raise SearchError(f"timeline split {by!r} is unknown: use lang, country or none")
    return by
