"""The web interface: server-side rendered pages over the same search service the
JSON API uses (``backend.search``, ``backend.timeline``, ``list_actions``,
``get_article``), so there is no second query path.

Everything a page shows is escaped by Jinja2's autoescape; the only markup let
through from data are the search highlights (``«…»`` from the backends, turned into
``<mark>`` after escaping) and the evidence marks on the article page, built the
same way. Assets are files of this package (no CDN)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from index.search.api import errors
from index.search.base import unmarked
from index.search.query import MEASURES, STATUSES, SearchError, SearchParams
from toezicht.timezone import display_tz
from toezicht.web import chart, subs
from toezicht.web.i18n import LANGS, Translator, pick

HERE = Path(__file__).resolve().parent
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# URL parameter -> (SearchParams attribute, facet name)
FILTERS = {"lang": ("langs", "lang"), "country": ("countries", "countries"),
           "regulator": ("regulators", "regulators"), "platform": ("platforms", "platforms"),
           "measure": ("measures", "measures"), "status": ("statuses", "statuses"),
           "source": ("sources", "source")}
FACET_PARAM = {facet: param for param, (_, facet) in FILTERS.items()}
PAGE_SIZE = 20
ALERTS_MAX_LIMIT = 1000  # most outbox items /api/alerts returns at once
CSRF_COOKIE = "toezicht_csrf"
UI_COOKIE = "toezicht_ui"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


# -- the search state in the URL ---------------------------------------------------


@dataclass
class State:
    """Everything the search page shows, read from and written back to the URL."""

    q: str = ""
    date_from: str = ""
    date_to: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    include_all: bool = False
    stories: bool = False
    sort: str = "relevance"
    page: int = 1
    interval: str = "week"
    by: str = "lang"

    @classmethod
    def from_request(cls, request: Request) -> State:
        qp = request.query_params
        filters = {}
        for param in FILTERS:
            values = [v for v in qp.getlist(param) if v.strip()]
            if values:
                filters[param] = list(dict.fromkeys(values))
        try:
            page = max(1, int(qp.get("page") or 1))
        except ValueError:
            page = 1
        sort = qp.get("sort") or "relevance"
        interval = qp.get("interval") or "week"
        by = qp.get("by") or "lang"
        return cls(q=qp.get("q", "")[:2000], date_from=qp.get("from", "").strip(),
                   date_to=qp.get("to", "").strip(), filters=filters,
                   include_all=_truthy(qp.get("all")), stories=_truthy(qp.get("stories")),
                   sort=sort if sort in ("relevance", "date", "date_asc") else "relevance",
                   page=page, interval=interval if interval in ("day", "week", "month")
                   else "week", by=by if by in ("lang", "country", "none") else "lang")

    def pairs(self, *, page: bool = True, view: bool = True) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        for param, values in self.filters.items():
            out.extend((param, v) for v in values)
        if self.date_from:
            out.append(("from", self.date_from))
        if self.date_to:
            out.append(("to", self.date_to))
        if self.include_all:
            out.append(("all", "1"))
        if view:
            if self.stories:
                out.append(("stories", "1"))
            if self.sort != "relevance":
                out.append(("sort", self.sort))
            if self.interval != "week":
                out.append(("interval", self.interval))
            if self.by != "lang":
                out.append(("by", self.by))
        if page and self.page > 1:
            out.append(("page", str(self.page)))
        return out

    def url(self, **change: Any) -> str:
        """This state with some fields changed; the page goes back to 1 unless given."""
        new = State(**{**self.__dict__, "filters": {k: list(v) for k, v in
                                                    self.filters.items()}})
        new.page = 1
        for key, value in change.items():
            setattr(new, key, value)
        query = urlencode(new.pairs())
        return "/" + (f"?{query}" if query else "")

    def toggle(self, param: str, value: str) -> str:
        filters = {k: list(v) for k, v in self.filters.items()}
        values = filters.setdefault(param, [])
        if value in values:
            values.remove(value)
        else:
            values.append(value)
        return self.url(filters={k: v for k, v in filters.items() if v})

    def active(self, param: str, value: str) -> bool:
        return value in self.filters.get(param, [])

    def params(self, **extra: Any) -> SearchParams:
        """The same SearchParams the JSON API builds from the same query string."""
        lists = {attr: list(self.filters.get(param, [])) for param, (attr, _) in
                 FILTERS.items()}
        return SearchParams(query=self.q, date_from=self.date_from or None,
                            date_to=self.date_to or None, relevant_only=not self.include_all,
                            names="api", **lists, **extra)

    def api_query(self, **extra: str) -> str:
        return urlencode([*self.pairs(page=False, view=False), *extra.items()])


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "on", "yes")


# -- markup helpers ----------------------------------------------------------------

_MARK = re.compile(r"«([^«»]*)»")


def marked(text: str | None) -> Markup:
    """Escape the text, then turn the backends' «highlight» markers into <mark>."""
    return Markup(_MARK.sub(r"<mark>\1</mark>", str(escape(text or ""))))


def utc_offset(iso: str | None) -> str:
    """``2026-01-12T10:30:00+01:00`` -> ``UTC+01:00`` (empty when there is none)."""
    m = re.search(r"([+-]\d{2}:\d{2}|Z)$", iso or "")
    if not m:
        return ""
    return "UTC" if m.group(1) in ("Z", "+00:00") else f"UTC{m.group(1)}"


def _find(text: str, needle: str) -> tuple[int, int] | None:
    """Where ``needle`` occurs in ``text``, tolerating differences in whitespace."""
    needle = needle.strip()
    if not needle:
        return None
    at = text.find(needle)
    if at >= 0:
        return at, at + len(needle)
    words = needle.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.search(pattern, text) or re.search(pattern, text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def evidence_spans(text: str, evidences: list[str]) -> list[tuple[int, int, int]]:
    """(start, end, event number) for each event's evidence found in the text; an
    evidence of several sentences that is not found whole is looked up per sentence."""
    spans: list[tuple[int, int, int]] = []
    for idx, ev in enumerate(evidences, 1):
        found = _find(text, ev or "")
        if found:
            spans.append((*found, idx))
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", ev or ""):
            if len(sentence.strip()) > 10 and (hit := _find(text, sentence)):
                spans.append((*hit, idx))
    spans.sort()
    out: list[tuple[int, int, int]] = []
    for start, end, idx in spans:  # overlapping evidence: the earlier one wins
        if out and start < out[-1][1]:
            continue
        out.append((start, end, idx))
    return out


def article_html(text: str, evidences: list[str]) -> Markup:
    """Paragraphs of escaped text with each event's evidence in <mark>."""
    spans = evidence_spans(text, evidences)
    first_mark: set[int] = set()
    paras = []
    for m in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*", text):
        p_start, p_end = m.start(), m.end()
        if not m.group().strip():
            continue
        pos, html = p_start, []
        for start, end, idx in spans:
            s, e = max(start, p_start), min(end, p_end)
            if s >= e:
                continue
            html.append(str(escape(text[pos:s])))
            anchor = "" if idx in first_mark else f' id="ev-{idx}"'
            first_mark.add(idx)
            html.append(f'<mark class="evidence" data-event="{idx}"{anchor}>'
                        f'{escape(text[s:e])}<sup class="evno">{idx}</sup></mark>')
            pos = e
        html.append(str(escape(text[pos:p_end])))
        paras.append("<p>" + "".join(html).replace("\n", "<br>") + "</p>")
    return Markup("\n".join(paras))


# -- CSRF and write access ---------------------------------------------------------


class Guard:
    """Double-submit CSRF: a random token in a cookie, its HMAC in the form. Writes
    need, on a non-loopback address, the configured ``web_token``."""

    def __init__(self, host: str, token: str) -> None:
        self.host = host
        self.token = token or ""
        self.secret = (hashlib.sha256(b"toezicht-web:" + self.token.encode()).digest()
                       if self.token else secrets.token_bytes(32))

    @property
    def local(self) -> bool:
        return self.host in LOOPBACK

    @property
    def writable(self) -> bool:
        return self.local or bool(self.token)

    @property
    def needs_token(self) -> bool:
        return not self.local and bool(self.token)

    def form_token(self, cookie: str) -> str:
        return hmac.new(self.secret, cookie.encode(), hashlib.sha256).hexdigest()

    def check(self, request: Request, form: dict[str, list[str]]) -> str | None:
        """None when the post may change things, else the i18n key of the reason."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        sent = (form.get("csrf") or [""])[0]
        if not cookie or not hmac.compare_digest(sent, self.form_token(cookie)):
            return "bad_csrf"
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = request.headers.get("host", "")
            if origin.split("://", 1)[-1] != host:
                return "bad_csrf"
        if not self.writable:
            return "read_only"
        if self.needs_token:
            given = (form.get("token") or [""])[0]
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return "bad_token"
        return None


# -- the app -----------------------------------------------------------------------


def mount(app: FastAPI, backend: Any, store: Any, cfg: Any = None, *,
          host: str = "127.0.0.1") -> FastAPI:
    """Add the web pages (and the JSON endpoints they need beyond the search API)."""
    from index.alert_store import list_outbox
    from index.search.actions import ActionFilter, get_article, list_actions

    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["marked"] = marked
    env.filters["unmarked"] = unmarked
    env.filters["utc_offset"] = utc_offset
    guard = Guard(host, getattr(cfg, "web_token", "") if cfg is not None else "")
    if store is not None:
        subs.ensure_table(store.engine)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        t: Translator = request.state.t
        cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_hex(16)
        other = "en" if t.lang == "nl" else "nl"
        pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "ui"]
        switch = request.url.path + "?" + urlencode([*pairs, ("ui", other)])
        html = env.get_template(name).render(
            t=t, ui=t.lang, request=request, path=request.url.path, switch_url=switch,
            csrf=guard.form_token(cookie), guard=guard, measures=MEASURES,
            statuses=STATUSES, **ctx)
        resp = HTMLResponse(html, status_code=status)
        if CSRF_COOKIE not in request.cookies:
            resp.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict",
                            max_age=86400 * 30)
        if request.query_params.get("ui") in LANGS:
            resp.set_cookie(UI_COOKIE, t.lang, samesite="lax", max_age=86400 * 365)
        return resp

    @app.middleware("http")
    async def _ui(request: Request, call_next: Any) -> Response:
        request.state.t = Translator(pick(request.query_params.get("ui"),
                                          request.cookies.get(UI_COOKIE),
                                          request.headers.get("accept-language")))
        response = await call_next(request)
        if not request.url.path.startswith(("/api/", "/docs", "/openapi")):
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    def failure(request: Request, exc: Exception) -> HTMLResponse | None:
        from index.es import SearchBackendError
        from index.search.sqlite_backend import SqliteSearchError

        t = request.state.t
        if isinstance(exc, SearchError):
            return None
        if isinstance(exc, SearchBackendError | SqliteSearchError):
            return render(request, "error.html", 503, title=t("backend_down"),
                          message=str(exc))
        raise exc

    # -- search --------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request) -> HTMLResponse:
        t: Translator = request.state.t
        state = State.from_request(request)
        error = None
        result: Any = None
        timeline: Any = None
        try:
            result = backend.search(state.params(sort=state.sort, page=state.page,
                                                 size=PAGE_SIZE, stories=state.stories,
                                                 highlight=True, facets=True))
            timeline = backend.timeline(state.params(), state.interval, state.by).as_dict()
        except Exception as exc:  # noqa: BLE001 (SearchError shown on the page)
            page = failure(request, exc)
            if page is not None:
                return page
            error = str(exc)
        ctx: dict[str, Any] = {"state": state, "error": error, "result": result,
                               "filters": FILTERS, "facet_param": FACET_PARAM}
        if result is not None:
            shown = result.total_stories if state.stories and result.total_stories \
                is not None else result.total
            ctx["pages"] = max(1, min(-(-shown // PAGE_SIZE), 10_000 // PAGE_SIZE))
            ctx["chips"] = [(p, v) for p, values in state.filters.items() for v in values]
        if timeline is not None:
            def tl_label(key: str) -> str:
                if state.interval == "month":
                    d = t.date(key)
                    return d.split(" ", 1)[1] if " " in d else d
                if state.interval == "week":
                    return t("week_of", date=t.date(key))
                return t.date(key)

            items = chart.bars(timeline, lambda a, b: state.url(date_from=a, date_to=b),
                               tl_label, t("other"))
            ctx["timeline"] = timeline
            ctx["bars"] = items
            ctx["legend"] = chart.series_colours(timeline["series"], t("other"))
            ctx["chart"] = chart.svg(
                items, lambda i: t("bar_title", label=i["label"], n=i["total"]),
                lambda k: t.date(k, short=True) if state.interval != "month"
                else tl_label(k), t("timeline"))
        return render(request, "search.html", 400 if error else 200, **ctx)

    # -- article -------------------------------------------------------------------
    @app.get("/article/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, article_id: str) -> HTMLResponse:
        t = request.state.t
        found = get_article(store, article_id) if re.fullmatch(r"[0-9a-f]{1,40}",
                                                               article_id) else None
        if found is None:
            return render(request, "error.html", 404, title=t("not_found"),
                          message=article_id)
        evidences = [e.get("evidence") or "" for e in found["events"]]
        analysis = found.get("analysis") or {}
        return render(request, "article.html", article=found, analysis=analysis,
                      body=article_html(found.get("text") or "", evidences),
                      same_story=_same_story(store, article_id))

    # -- actions -------------------------------------------------------------------
    zone = display_tz(cfg)
    action_params = ("actor", "measure", "status", "country", "target", "lang", "from", "to")

    def action_form(request: Request) -> dict[str, str]:
        return {k: request.query_params.get(k, "").strip() for k in action_params}

    def tracker_actions(form: dict[str, str], lang: str
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(the actions the tracker lists, the same without the country filter for the
        grid, which shows every country that acted); raises SearchError."""
        flt = ActionFilter(actors=_l(form["actor"]), measures=_l(form["measure"]),
                           statuses=_l(form["status"]), targets=_l(form["target"]),
                           langs=_l(form["lang"]), date_from=form["from"] or None,
                           date_to=form["to"] or None, names="api")
        every = list_actions(store.engine, flt, lang=lang, tz=zone)
        wanted = {c.upper() for c in _l(form["country"])}
        return [a for a in every if not wanted or a["jurisdiction"].upper() in wanted], every

    @app.get("/actions", response_class=HTMLResponse, include_in_schema=False)
    def actions_page(request: Request) -> HTMLResponse:
        t: Translator = request.state.t
        qp = request.query_params
        form = action_form(request)
        sort = qp.get("sort") or "first_seen"
        desc = qp.get("dir", "desc" if sort in ("first_seen", "sources") else "asc") == "desc"
        error, found, grid_src = None, [], []
        try:
            found, grid_src = tracker_actions(form, t.lang)
        except SearchError as exc:
            error = str(exc)
        keys = {"actor": lambda a: a["actor_name"].lower(), "measure": lambda a: a["measure"],
                "target": lambda a: a["target"].lower(),
                "jurisdiction": lambda a: a["jurisdiction_name"].lower(),
                "status": lambda a: ("potential", "planned", "actual").index(a["status"]),
                "first_seen": lambda a: a["first_seen"] or "",
                "sources": lambda a: a["source_count"]}
        if sort not in keys:
            sort = "first_seen"
        found.sort(key=keys[sort], reverse=desc)
        grid: dict[str, dict[str, Any]] = {}
        rank = {"potential": 1, "planned": 2, "actual": 3}
        for a in grid_src:
            code = a["jurisdiction"] or ""
            if not code:
                continue
            cell = grid.setdefault(code, {"code": code, "name": a["jurisdiction_name"],
                                          "count": 0, "status": "potential"})
            cell["count"] += 1
            if rank[a["status"]] > rank[cell["status"]]:
                cell["status"] = a["status"]
        pairs = [(k, v) for k, v in form.items() if v]

        def sort_url(col: str) -> str:
            new_dir = "asc" if sort == col and desc else "desc"
            return "/actions?" + urlencode([*pairs, ("sort", col), ("dir", new_dir)])

        names = [("names", t.lang)] if t.lang != "en" else []
        csv_urls = {"actions": "/actions.csv?" + urlencode([*pairs, *names]),
                    "sources": "/actions.csv?" + urlencode([*pairs, *names,
                                                            ("per_source", "1")])}
        return render(request, "actions.html", 400 if error else 200, actions=found,
                      form=form, sort=sort, desc=desc, sort_url=sort_url, error=error,
                      csv_urls=csv_urls, zone=str(zone),
                      grid=sorted(grid.values(), key=lambda c: (-c["count"], c["code"])))

    @app.get("/actions.csv", include_in_schema=False)
    def actions_csv(request: Request) -> Response:
        """The tracker's actions for exactly its filters, as CSV (one row per action,
        or per (action, source) with ?per_source=1)."""
        from index.search import action_export

        form = action_form(request)
        per_source = _truthy(request.query_params.get("per_source"))
        names = request.query_params.get("names")
        try:
            found, _ = tracker_actions(form, names if names in LANGS else "en")
        except SearchError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        name = "toezicht-action-sources.csv" if per_source else "toezicht-actions.csv"
        return Response(action_export.csv_text(found, per_source),
                        media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # -- sources -------------------------------------------------------------------
    @app.get("/sources", response_class=HTMLResponse, include_in_schema=False)
    def sources_page(request: Request) -> HTMLResponse:
        health, runs = _health(store)
        return render(request, "sources.html", health=health, runs=runs)

    @app.get("/api/sources/health", summary="Health per source and the last crawl runs")
    def sources_json() -> dict[str, Any]:
        health, runs = _health(store)
        return {"sources": health, "runs": runs}

    # -- alerts --------------------------------------------------------------------
    def config_subs() -> tuple[list[dict[str, Any]], str | None]:
        from toezicht.alerts.subscriptions import parse_subscription, read_sections
        from toezicht.config import ConfigError

        if cfg is None:
            return [], None
        try:
            raw = read_sections(cfg).get("subscription", [])
            raw = [raw] if isinstance(raw, dict) else raw
            return [_sub_view(parse_subscription(i, e), "config") for i, e in
                    enumerate(raw)], None
        except ConfigError as exc:
            return [], str(exc)

    def web_subs() -> list[dict[str, Any]]:
        from toezicht.alerts.subscriptions import parse_subscription
        from toezicht.config import ConfigError

        out = []
        for row in subs.list_entries(store.engine):
            try:
                view = _sub_view(parse_subscription(0, row["entry"]), "web")
            except ConfigError as exc:
                view = {"name": row["name"], "origin": "web", "error": str(exc),
                        "filters": {}, "channels": []}
            view["updated_at"] = row["updated_at"]
            out.append(view)
        return out

    def outbox(limit: int = 50) -> list[dict[str, Any]]:
        from toezicht.alerts.channels import headline

        try:
            rows = list_outbox(store.engine, limit=limit)
        except Exception:  # noqa: BLE001 (no outbox table yet)
            return []
        return [{k: r.get(k) for k in ("id", "subscription", "channel", "kind", "state",
                                       "attempts", "created_at", "sent_at", "last_error",
                                       "action_id")} | {"headline": headline(r["payload"])}
                for r in rows]

    @app.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alerts_page(request: Request) -> HTMLResponse:
        configured, config_error = config_subs()
        flash = request.query_params.get("done")
        return render(request, "alerts.html", subscriptions=configured + web_subs(),
                      config_error=config_error, alerts=outbox(),
                      flash=flash if flash in ("saved", "deleted") else None)

    @app.get("/api/subscriptions", summary="Subscriptions (config file and web)")
    def subscriptions_json() -> dict[str, Any]:
        configured, config_error = config_subs()
        return {"subscriptions": configured + web_subs(), "config_error": config_error,
                "writable": guard.writable, "token_required": guard.needs_token}

    @app.get("/api/alerts", summary="Recent alerts from the outbox, newest first",
             responses=errors(422, e422="limit is not a whole number from 1 to "
                                        f"{ALERTS_MAX_LIMIT}"))
    def alerts_json(limit: Annotated[int, Query(
            ge=1, le=ALERTS_MAX_LIMIT,
            description=f"At most this many alerts (1 to {ALERTS_MAX_LIMIT})")] = 50
                    ) -> dict[str, Any]:
        return {"alerts": outbox(limit)}

    def sub_form(request: Request, entry: dict[str, Any], *, original: str | None,
                 error: str | None = None, status: int = 200) -> HTMLResponse:
        return render(request, "subscription.html", status, entry=entry, original=original,
                      error=error)

    @app.get("/alerts/new", response_class=HTMLResponse, include_in_schema=False)
    def new_subscription(request: Request) -> HTMLResponse:
        state = State.from_request(request)
        entry = _entry_from_search(state)
        return sub_form(request, entry, original=None)

    @app.get("/alerts/edit/{name}", response_class=HTMLResponse, include_in_schema=False)
    def edit_subscription(request: Request, name: str) -> HTMLResponse:
        row = subs.get_entry(store.engine, name)
        if row is None:
            t = request.state.t
            return render(request, "error.html", 404, title=t("not_found"), message=name)
        return sub_form(request, row["entry"], original=name)

    async def read_form(request: Request) -> dict[str, list[str]]:
        body = (await request.body())[:100_000].decode("utf-8", "replace")
        return parse_qs(body, keep_blank_values=True)

    @app.post("/alerts/save", response_class=HTMLResponse, include_in_schema=False)
    async def save_subscription(request: Request) -> Response:
        t = request.state.t
        form = await read_form(request)
        entry = subs.entry_from_form(form)
        original = (form.get("original") or [""])[0] or None
        denied = guard.check(request, form)
        if denied:
            return sub_form(request, entry, original=original, error=t(denied), status=403)
        configured, _ = config_subs()
        taken = {s["name"] for s in configured} | {
            r["name"] for r in subs.list_entries(store.engine) if r["name"] != original}
        problem = subs.validate(entry, cfg=cfg, taken=taken)
        if problem:
            return sub_form(request, entry, original=original, error=problem, status=422)
        if original and subs.get_entry(store.engine, original) is None:
            original = None
        subs.save_entry(store.engine, entry, original=original)
        return RedirectResponse("/alerts?done=saved", status_code=303)

    @app.post("/alerts/delete", response_class=HTMLResponse, include_in_schema=False)
    async def delete_subscription(request: Request) -> Response:
        t = request.state.t
        form = await read_form(request)
        denied = guard.check(request, form)
        if denied:
            return render(request, "error.html", 403, title=t(denied), message="")
        subs.delete_entry(store.engine, (form.get("name") or [""])[0])
        return RedirectResponse("/alerts?done=deleted", status_code=303)

    @app.get("/web/health", include_in_schema=False)
    def web_health() -> JSONResponse:
        return JSONResponse({"ok": True})

    return app


def _l(raw: str) -> list[str]:
    return [x.strip() for x in raw.split(",") if x.strip()]


def _sub_view(sub: Any, origin: str) -> dict[str, Any]:
    filters = {k: sorted(getattr(sub, k)) for k in subs.LIST_FIELDS if getattr(sub, k)}
    if sub.query:
        filters["query"] = sub.query
    if sub.min_confidence:
        filters["min_confidence"] = sub.min_confidence
    return {"name": sub.name, "origin": origin, "filters": filters,
            "source_health": sub.source_health, "channels": sub.channel_names}


def _entry_from_search(state: State) -> dict[str, Any]:
    """A subscription prefilled from a search: its filters, and its free-text words."""
    from index.search.query import parse_query, positive_words

    entry: dict[str, Any] = {"name": ""}
    mapping = {"country": "countries", "regulator": "regulators", "platform": "platforms",
               "lang": "langs", "measure": "measures", "status": "statuses"}
    for param, key in mapping.items():
        if state.filters.get(param):
            entry[key] = list(state.filters[param])
    try:
        tree, extracted = parse_query(state.q)
    except SearchError:
        tree, extracted = None, []
    for attr, value, negated in extracted:
        key = {"langs": "langs", "countries": "countries", "regulators": "regulators",
               "platforms": "platforms", "measures": "measures",
               "statuses": "statuses"}.get(attr)
        if key and not negated:
            entry.setdefault(key, [])
            if value not in entry[key]:
                entry[key].append(value)
    words = positive_words(tree)
    if words:
        entry["query"] = " ".join(words)
    return entry


def _health(store: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from crawler.health import source_health

    health = [h.as_dict() for h in source_health(store)]
    runs = []
    for r in store.runs(limit=20):
        stats = r.get("stats") or {}
        total: Counter[str] = Counter()
        for entry in stats.values() if isinstance(stats, dict) else []:
            if isinstance(entry, dict):
                for k in ("discovered", "fetched", "new", "failed"):
                    try:
                        total[k] += int(entry.get(k) or 0)
                    except (TypeError, ValueError):
                        pass
        runs.append({"id": r["id"], "started_at": r["started_at"],
                     "finished_at": r["finished_at"], "status": r["status"],
                     "sources": len(r.get("sources") or []), **dict(total)})
    return health, runs


def _same_story(store: Any, aid: str) -> list[dict[str, Any]]:
    """Other articles of this article's story (near-duplicate cluster)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from index.search.stories import article_stories
    from index.store import articles

    try:
        with store.engine.connect() as conn:
            story = conn.scalar(select(article_stories.c.story_id)
                                .where(article_stories.c.article_id == aid))
            if not story:
                return []
            rows = conn.execute(
                select(articles.c.id, articles.c.title, articles.c.source, articles.c.lang,
                       articles.c.published)
                .join(article_stories, article_stories.c.article_id == articles.c.id)
                .where(article_stories.c.story_id == story, articles.c.id != aid)
                .order_by(articles.c.published)).mappings()
            return [dict(r) for r in rows]
    except SQLAlchemyError:
        return []
