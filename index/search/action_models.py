"""The typed shape of ``/api/actions`` for the OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ActionSource(BaseModel):
    id: str = Field(description="Article id (GET /api/articles/{id})")
    url: str
    title: str | None = None
    lang: str | None = Field(None, description="Article language (nl, en)")
    source: str | None = Field(None, description="Source name from the sources file")
    published: str | None = Field(None, description="Publication date as stored")
    status: str = Field(description="Strongest status this article reports")
    evidence: str = Field("", description="The article's evidence sentence, trimmed")


class Action(BaseModel):
    action_id: str
    actor: str = Field(description="Actor id: regulator id, country code or company")
    actor_name: str = Field(description="The actor's name for people")
    measure: str
    target: str
    jurisdiction: str = Field(description="ISO 3166 code or EU")
    jurisdiction_name: str
    status: str = Field(description="Strongest status reported: actual, planned, potential")
    first_seen: str | None = Field(None, description="ISO 8601 with the configured "
                                                     "timezone's offset")
    date: str | None = Field(None, description="Earliest date the events give")
    evidence: str = Field(description="Evidence quote of the strongest, earliest event")
    evidence_article_id: str | None = None
    langs: list[str]
    source_count: int
    sources_by_lang: dict[str, int]
    sources: list[ActionSource]


class ActionsPage(BaseModel):
    total: int = Field(description="How many actions match the filters in all")
    offset: int
    limit: int
    actions: list[Action]


class ApiError(BaseModel):
    error: str = Field(description="What was wrong, in one line")
