"""The event stages: rules propose candidates with flags, the scorer decides, the fitter
learns only what its data shows, and the dev splits keep stories together."""

from __future__ import annotations

import pytest
from support.topic import CONTEXT

from nlp.events import propose
from nlp.gazetteer import load
from nlp.scorer import PRIOR_FLAG, RULES, Scorer, default_scorer
from nlp.tools import fit_events, splits
from nlp.tools.fit_events import Example
from nlp.tools.learn import read_row


def candidates(lang: str, text: str) -> list:
    rd = read_row({"lang": lang, "text": CONTEXT[lang] + " " + text})
    return propose(rd.doc, load(), rd.mentions, rd.labels, None, rd.plang, rd.relevance)


# (lang, sentence, measure, flag the rules raise or "" for none)
CASES = [
    ("en", "Ofcom did not open an investigation into X.", "investigation", "negated"),
    ("nl", "De ACM is geen onderzoek gestart naar Telegram.", "investigation", "negated"),
    ("en", "Ofcom opened an investigation into X.", "investigation", ""),
    ("nl", "De Autoriteit Persoonsgegevens start een onderzoek naar Telegram.",
     "investigation", ""),
    ("en", "In Spain, the scandal grew. An investigation into the app was opened.",
     "investigation", "no_actor"),
    ("nl", "In Spanje groeit het schandaal. Er is een onderzoek naar de app geopend.",
     "investigation", "no_actor"),
]


@pytest.mark.parametrize(("lang", "text", "measure", "flag"), CASES)
def test_rules_propose_with_flags_and_the_rules_scorer_follows_them(
        lang: str, text: str, measure: str, flag: str) -> None:
    cands = [c for c in candidates(lang, text) if c.event.measure == measure]
    assert cands, "the rules propose the event"
    c = cands[0]
    assert (flag in c.flags) if flag else not c.flags
    assert f"m:{measure}" in c.feats and "gap" in c.feats
    assert RULES.keep(c.feats) == (not flag)


def test_unnamed_actor_is_the_story_country() -> None:
    cands = candidates("en", "The scandal grew in Spain and Italy. Later, an investigation "
                             "into the app was opened.")
    found = [c for c in cands if c.event.measure == "investigation"]
    assert found and found[0].event.actor == "IT" and "via:unnamed" in found[0].feats


def _ex(feats: dict[str, float], label: int, n: int) -> list[Example]:
    return [Example(f"a{i}", "en", dict(feats), label) for i in range(n)]


def test_fit_moves_a_flag_only_with_evidence() -> None:
    data = (_ex({"m:order": 1, "flag:often_wrong": 1}, 1, 300)
            + _ex({"m:order": 1}, 1, 300) + _ex({"m:block": 1}, 0, 300)
            + _ex({"m:block": 1, "flag:rare": 1}, 1, 2))
    sc = fit_events.fit(data)
    assert sc.weights["flag:often_wrong"] > PRIOR_FLAG + 2   # the data lifts the flag ...
    assert "flag:rare" not in sc.weights                     # ... two cases do not
    assert sc.weights["m:block"] < 0 < sc.weights["m:order"] + 1
    assert sc.keep({"m:order": 1}) and not sc.keep({"m:block": 1})
    assert fit_events.fit(data) == sc  # deterministic


def test_scorer_round_trips_and_ships() -> None:
    sc = Scorer(1.5, {"m:order": -0.5}, 0.6)
    assert Scorer.from_dict(sc.to_dict()) == sc
    shipped = default_scorer()
    assert shipped.keep({"m:investigation": 1.0, "actor:body": 1.0})
    assert not shipped.keep({"m:investigation": 1.0, "flag:negated": 1.0})


def _row(i: str, lang: str, text: str, actions: list[str]) -> dict:
    return {"id": i, "lang": lang, "text": text,
            "events": [{"action": a, "measure": "block", "jurisdiction": "MY"}
                       for a in actions]}


def test_splits_keep_stories_together() -> None:
    story = "the regulator blocked the chatbot after it made explicit images of women " * 3
    rows = [_row("a", "en", story, []), _row("b", "en", story + " said officials", []),
            _row("c", "nl", "de toezichthouder blokkeerde de dienst", ["x"]),
            _row("d", "en", "an unrelated report on the same block", ["x"]),
            _row("e", "nl", "iets heel anders over een andere zaak", ["y"])]
    grp = splits.groups(rows)
    assert grp[0] == grp[1] and grp[2] == grp[3] and len({grp[0], grp[2], grp[4]}) == 3
    fo = splits.folds(rows, k=2)
    assert fo[0] == fo[1] and fo[2] == fo[3]
    assert splits.lockbox_ids(rows, size=2) == splits.lockbox_ids(rows, size=2)
    work, box = splits.split_lockbox(rows)
    assert {r["id"] for r in work}.isdisjoint({r["id"] for r in box})
