"""The HTTP JSON API (FastAPI): search, facets, timeline, actions, articles, export.

Every error is JSON ``{"error": "<one line>"}`` (:class:`ApiError`): 400 for a bad
query (an unknown ``field:`` names the fields there are), 422 for a parameter that
fails validation, 404 for an unknown article, 503 when the search backend cannot be
reached; messages name the query parameter ("from"), not the CLI option.
``/api/actions`` pages with ``offset`` and ``limit`` (1 to 1000, default 100; out of
range is a 400) and returns the real ``total``. Every status and
media type a route answers with is in the OpenAPI document at ``/openapi.json``."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse

from index.search.action_models import ActionsPage, ApiError
from index.search.actions import DEFAULT_TZ
from index.search.query import MAX_SIZE, SearchError, SearchParams

ACTIONS_LIMIT = 100  # default page size of /api/actions
ACTIONS_MAX_LIMIT = 1000
Values = Annotated[list[str], Query()]
# the filter parameters shared by every search-like endpoint
Q = Annotated[str, Query(max_length=2000, description='Query: words (ANDed), "a phrase", '
                         '"a b"~N (within N words), a OR b, -word, NOT word, prefix*, ( ), '
                         'title:/text: to search one part, field:value filters')]
From = Annotated[str | None, Query(alias="from", description="Published on or after")]
To = Annotated[str | None, Query(alias="to", description="Published on or before")]
All = Annotated[bool, Query(alias="all", description="Include non-relevant articles")]

# What each error status means, for the OpenAPI document; the body is always ApiError.
ERRORS = {
    400: "A bad query or filter value (an unknown field such as foo:bar, which the error "
         "answers with the fields there are; unbalanced parentheses, an unknown measure, "
         "a date that is not a date ...)",
    404: "No such article",
    422: "A parameter of the wrong type, out of range or not one of its choices",
    503: "The search backend cannot be reached",
}


def errors(*codes: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route answering with these error codes; ``why`` (as
    ``e400="..."``) overrides the description of one."""
    return {code: {"model": ApiError, "description": why.get(f"e{code}", ERRORS[code])}
            for code in codes}


SEARCH_ERRORS = errors(400, 422, 503)


def _one_line(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
        parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else err.get("msg", "invalid"))
    return "; ".join(parts)


def create_app(backend: Any, store: Any = None, *, title: str = "Toezicht",
               tz: tzinfo | None = None) -> FastAPI:
    """An app over one search backend (and the store, for actions and articles); action
    times are given in ``tz`` (the config's, else Europe/Amsterdam)."""
    zone = tz or ZoneInfo(DEFAULT_TZ)
    from index.es import SearchBackendError
    from index.search.sqlite_backend import SqliteSearchError

    # No /docs or /redoc: their pages load Swagger/ReDoc from a CDN, and Toezicht must
    # work offline. The OpenAPI document itself stays at /openapi.json.
    app = FastAPI(title=f"{title} API", version="1", docs_url=None, redoc_url=None,
                  description="Search Dutch and English news on AI-made sexual imagery and "
                              "the regulatory actions taken against it.")

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _one_line(exc)}, status_code=422)

    @app.exception_handler(SearchError)
    async def _bad(_: Request, exc: SearchError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.exception_handler(SearchBackendError)
    @app.exception_handler(SqliteSearchError)
    async def _down(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=503)

    def params(q: str, date_from: str | None, date_to: str | None, lang: list[str],
               country: list[str], regulator: list[str], platform: list[str],
               measure: list[str], status: list[str], source: list[str], include_all: bool,
               **extra: Any) -> SearchParams:
        return SearchParams(query=q, date_from=date_from, date_to=date_to, langs=lang,
                            countries=country, regulators=regulator, platforms=platform,
                            measures=measure, statuses=status, sources=source,
                            relevant_only=not include_all, names="api", **extra)

    @app.get("/api/search", summary="Search articles (hits, total, facets, highlights)",
             description="Besides the hits: ``warnings`` (one line each, e.g. a lower-case "
                         "'or' searched as a word) and ``suggestion`` (\"did you mean\": "
                         "the query with misspelt words corrected, or null) when the "
                         "search finds fewer than 3 articles.",
             responses=SEARCH_ERRORS)
    def search(q: Q = "", date_from: From = None, date_to: To = None, lang: Values = [],  # noqa: B006
               country: Values = [], regulator: Values = [], platform: Values = [],  # noqa: B006
               measure: Values = [], status: Values = [], source: Values = [],  # noqa: B006
               include_all: All = False,
               sort: Literal["relevance", "date", "date_asc"] = "relevance",
               page: Annotated[int, Query(ge=1)] = 1,
               size: Annotated[int, Query(ge=0, le=MAX_SIZE)] = 10,
               stories: bool = False, highlight: bool = True,
               facets: bool = True) -> dict[str, Any]:
        p = params(q, date_from, date_to, lang, country, regulator, platform, measure, status,
                   source, include_all, sort=sort, page=page, size=size, stories=stories,
                   highlight=highlight, facets=facets)
        return backend.search(p).as_dict()

    @app.get("/api/facets", summary="Facet counts for every filter field",
             responses=SEARCH_ERRORS)
    def facets(q: Q = "", date_from: From = None, date_to: To = None, lang: Values = [],  # noqa: B006
               country: Values = [], regulator: Values = [], platform: Values = [],  # noqa: B006
               measure: Values = [], status: Values = [], source: Values = [],  # noqa: B006
               include_all: All = False,
               facet_size: Annotated[int, Query(ge=1, le=200)] = 25) -> dict[str, Any]:
        p = params(q, date_from, date_to, lang, country, regulator, platform, measure, status,
                   source, include_all, size=0, facet_size=facet_size, suggest=False)
        result = backend.search(p)
        return {"total": result.total, "facets": result.facets}

    @app.get("/api/timeline", summary="Article counts per day/week/month, split by lang or "
                                      "country", responses=SEARCH_ERRORS)
    def timeline(q: Q = "", date_from: From = None, date_to: To = None, lang: Values = [],  # noqa: B006
                 country: Values = [], regulator: Values = [], platform: Values = [],  # noqa: B006
                 measure: Values = [], status: Values = [], source: Values = [],  # noqa: B006
                 include_all: All = False,
                 interval: Literal["day", "week", "month"] = "week",
                 by: Literal["lang", "country", "none"] = "none") -> dict[str, Any]:
        p = params(q, date_from, date_to, lang, country, regulator, platform, measure, status,
                   source, include_all)
        return backend.timeline(p, interval, by).as_dict()

    @app.get("/api/actions", summary="Canonical regulatory actions with their sources, "
                                     "one page at a time", response_model=ActionsPage,
             responses=errors(400, 422, e400="A bad filter, or limit outside 1..1000, or "
                                             "offset below 0",
                              e422="A parameter that is not a number where one is needed, "
                                   "or not one of its choices"))
    def actions(actor: Values = [], measure: Values = [], status: Values = [],  # noqa: B006
                country: Values = [], target: Values = [], lang: Values = [],  # noqa: B006
                date_from: From = None, date_to: To = None, include_all: All = False,
                offset: Annotated[int, Query(description="Skip this many actions (0 or more)",
                                             json_schema_extra={"minimum": 0})] = 0,
                limit: Annotated[int, Query(description=f"Actions per page (1 to "
                                                        f"{ACTIONS_MAX_LIMIT})",
                                            json_schema_extra={"minimum": 1,
                                                               "maximum": ACTIONS_MAX_LIMIT})
                                 ] = ACTIONS_LIMIT,
                names: Annotated[Literal["en", "nl"], Query(
                    description="Language of actor_name and jurisdiction_name")] = "en",
                ) -> dict[str, Any]:
        from index.search.actions import ActionFilter, find_actions

        page = find_actions(store.engine, ActionFilter(
            actors=actor, measures=measure, statuses=status, jurisdictions=country,
            targets=target, langs=lang, date_from=date_from, date_to=date_to,
            relevant_only=not include_all, limit=limit, offset=offset, names="api"),
            lang=names, tz=zone, max_limit=ACTIONS_MAX_LIMIT)
        return page.as_dict()

    @app.get("/api/articles/{article_id}", summary="One article from the store, with events",
             responses=errors(404, 422, e422="article_id is not a hex article id"))
    def article(article_id: Annotated[str, Path(max_length=40, pattern=r"^[0-9a-f]{1,40}$")]
                ) -> Any:
        from index.search.actions import get_article

        found = get_article(store, article_id)
        if found is None:
            return JSONResponse({"error": f"no article {article_id}"}, status_code=404)
        return found

    @app.get("/api/export", summary="Every hit as CSV or JSON Lines (streamed)",
             response_class=StreamingResponse, responses={
                 200: {"description": "The hits, one a line: CSV with a header row "
                                      "(format=csv) or one JSON object a line (jsonl)",
                       "content": {"text/csv": {"schema": {"type": "string"}},
                                   "application/x-ndjson": {"schema": {"type": "string"}}}},
                 **SEARCH_ERRORS})
    def export(q: Q = "", date_from: From = None, date_to: To = None, lang: Values = [],  # noqa: B006
               country: Values = [], regulator: Values = [], platform: Values = [],  # noqa: B006
               measure: Values = [], status: Values = [], source: Values = [],  # noqa: B006
               include_all: All = False, format: Literal["csv", "jsonl"] = "jsonl",
               text: bool = True) -> StreamingResponse:
        from index.search import export as exporter

        p = params(q, date_from, date_to, lang, country, regulator, platform, measure, status,
                   source, include_all).normalised()  # 400 before streaming starts
        media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
        body = exporter.lines(backend.iter_all(p), format, include_text=text)
        return StreamingResponse(body, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="toezicht-export.{format}"'})

    @app.get("/api/health", summary="Backend name and document count",
             responses=errors(503))
    def health() -> dict[str, Any]:
        return {"backend": backend.name,
                "articles": backend.count(SearchParams(relevant_only=False))}

    return app
