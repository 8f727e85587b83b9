"""Toezicht NLP: language, relevance, regulators, countries, platforms, measures and
events (shared/EVENTS.md) from Dutch and English news text, with rule components on
blank spaCy pipelines whose patterns and gazetteers are data files in nlp/data."""

from .analyze import analyze, analyze_many, clean_text
from .model import Analysis, Event, Regulator

NLP_VERSION = "0.4.5"

__all__ = ["NLP_VERSION", "Analysis", "Event", "Regulator", "analyze", "analyze_many",
           "clean_text"]
