"""Result types of the extractor, serialising to the shared/EVENTS.md JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

MEASURES = (
    "investigation", "block", "fine", "legal_action", "legislation", "order", "warning",
    "platform_measure",
)
STATUSES = ("actual", "planned", "potential")


@dataclass(frozen=True)
class Regulator:
    id: str
    name: str
    country: str


@dataclass
class Event:
    actor: str
    jurisdiction: str
    measure: str
    target: str
    status: str
    date: date | None
    evidence: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["date"] = self.date.isoformat() if self.date else None
        d["confidence"] = round(self.confidence, 3)
        return d


@dataclass
class Analysis:
    lang: str
    relevant: bool
    relevance_score: float
    regulators: list[Regulator] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "relevant": self.relevant,
            "relevance_score": round(self.relevance_score, 3),
            "regulators": [asdict(r) for r in self.regulators],
            "countries": list(self.countries),
            "platforms": list(self.platforms),
            "measures": list(self.measures),
            "events": [e.to_dict() for e in self.events],
        }
