"""Score the extractor against gold JSONL files, cross-validated, and measure its speed.

usage: python bench/nlp_eval.py [GOLD.jsonl ...] [--cv K] [--lockbox] [--errors]
                                [--no-speed] [--n 600]

Defaults to the dev set's **work set** (/work/shared/eval/dev.jsonl less its seeded
lockbox, nlp/tools/splits.py) plus tests/nlp/gold.jsonl. Predictions are made
in-process with the same function as ``toezicht extract --jsonl`` and scored with the
reference metric (shared/eval/score.py, imported by path), per language.

``--cv K`` splits the work set into K story-grouped folds, fits the event scorer
(nlp/tools/fit_events.py) on K-1 folds, predicts the held-out fold, and scores the
pooled out-of-fold predictions next to the rules alone (no fitted weights) and the
shipped scorer on the whole work set (fitted on it: an optimistic number). For the work
set it also prints same-action and alert precision/recall (shared/eval/score_actions.py)
of each run's events resolved into actions (nlp/actions.py), and of the gold events
resolved alone (the resolver's own share of the error).
``--lockbox`` scores the lockbox once with the shipped scorer (numbers only; its texts
and errors are never printed). Speed is measured on ~3,000-character articles with
the pipeline built once, on one core.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp import analyze_many  # noqa: E402
from nlp.actions import resolve_records  # noqa: E402
from nlp.scorer import RULES, Scorer, default_scorer  # noqa: E402
from nlp.tools import fit_events, fit_relevance, splits  # noqa: E402
from toezicht.commands.extract import record_kwargs  # noqa: E402

SHARED_EVAL = Path("/work/shared/eval")
OWN_GOLD = ROOT / "tests" / "nlp" / "gold.jsonl"
FIELDS = ("relevance", "regulators", "countries", "platforms", "measures", "events",
          "events+status", "events+actor")
SHORT = ("relev", "regul", "countr", "platf", "meas", "events", "+status", "+actor")


def _load(name: str):  # type: ignore[no-untyped-def]
    path = SHARED_EVAL / name
    if not path.exists():
        sys.exit(f"reference scorer not found: {path}")
    spec = importlib.util.spec_from_file_location("toezicht_" + path.stem, path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def load_scorer():  # type: ignore[no-untyped-def]
    mod = _load("score.py")
    aliases = SHARED_EVAL / "regulator_aliases.json"
    if aliases.exists():
        mod.load_aliases(str(aliases))
    return mod


def predict(rows: list[dict], scorer: Scorer | None = None,
            relevance_weights: dict | None = None) -> list[dict]:
    out = []
    items = ((r.get("text", ""), record_kwargs(r)) for r in rows)
    for r, a in zip(rows, analyze_many(items, scorer=scorer,
                                       relevance_weights=relevance_weights), strict=True):
        out.append({"id": r["id"], **a.to_dict()})
    return out


def _write(rows: list[dict]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False,
                                     encoding="utf-8") as f:
        for p in rows:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
        return f.name


def score(ref, gold: list[dict], preds: list[dict], langs: list[str],  # type: ignore[no-untyped-def]
          errors: bool = False) -> dict[str, dict]:
    """The reference metric's result dict per language (its printed report captured
    unless ``errors``); gold and predictions are written to disk once for all."""
    gp, pp = _write(gold), _write(preds)
    out = {}
    try:
        for lang in langs:
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                out[lang] = ref.main([gp, pp, "--json", "--lang", lang])
            if errors:
                print(f"-- errors, lang={lang}")
                ref.main([gp, pp, "--lang", lang, "--errors"])
    finally:
        Path(gp).unlink(missing_ok=True)
        Path(pp).unlink(missing_ok=True)
    return out


def table(ref, title: str, gold: list[dict], runs: dict[str, list[dict]]) -> None:  # type: ignore[no-untyped-def]
    """F1 per field, one line per (run, language)."""
    langs = sorted({r.get("lang") for r in gold if r.get("lang")})
    print(f"== {title} ({len(gold)} articles: "
          + ", ".join(f"{la} {sum(r.get('lang') == la for r in gold)}" for la in langs) + ")")
    print(f"{'run':28s} {'lang':4s} " + " ".join(f"{s:>7s}" for s in SHORT))
    for name, preds in runs.items():
        for lang, res in score(ref, gold, preds, langs).items():
            print(f"{name:28s} {lang:4s} "
                  + " ".join(f"{res[f]['f1']:7.3f}" for f in FIELDS))


def resolved(gold: list[dict], preds: list[dict]) -> list[dict]:
    """Predictions with an ``action`` per event, resolved article by article in the
    dev set's order through the same incremental resolver the crawl uses."""
    meta = {r["id"]: r for r in gold}
    recs = [{**{k: meta[p["id"]].get(k) for k in ("text", "url", "published", "title")},
             **p} for p in preds]
    return [{k: r[k] for k in ("id", "lang", "events")} for r in resolve_records(recs)]


def action_table(gold: list[dict], runs: dict[str, list[dict]]) -> None:
    """Same-action and alert precision/recall (shared/eval/score_actions.py)."""
    ref = _load("score_actions.py")
    oracle = [{"id": r["id"], "lang": r.get("lang"),
               "events": [{k: v for k, v in e.items() if k != "action"}
                          for e in r.get("events", [])]} for r in gold]
    runs = {**runs, "gold events (resolver alone)": oracle}
    print(f"-- actions: {'run':28s} {'lang':4s}     P       R      F1  alertP  alertR")
    for name, preds in runs.items():
        res = resolved(gold, preds)
        for lang in (None, "en", "nl"):
            s = ref.score(gold, res, lang)
            print(f"            {name:28s} {lang or 'all':4s} " + " ".join(
                f"{s[k]:7.3f}" for k in ("p", "r", "f1", "alert_p", "alert_r")))


def cross_validate(rows: list[dict], k: int) -> list[dict]:
    """Pooled out-of-fold predictions: the event scorer and the relevance weights
    fitted without each fold predict it."""
    fold = splits.folds(rows, k)
    data = fit_events.examples(rows)
    fold_of = {r["id"]: f for r, f in zip(rows, fold, strict=True)}
    preds: dict[str, dict] = {}
    for f in range(k):
        train = [ex for ex in data if fold_of[ex.article] != f]
        sc = fit_events.fit(train)
        rel = fit_relevance.fit_rows([r for r in rows if fold_of[r["id"]] != f])
        part = [r for r in rows if fold_of[r["id"]] == f]
        for p in predict(part, sc, rel):
            preds[p["id"]] = p
        print(f"   fold {f}: {len(part)} articles, {len(sc.weights)} weights moved",
              file=sys.stderr)
    return [preds[r["id"]] for r in rows]


def speed(n: int) -> None:
    import nlp

    nl = ("De Britse toezichthouder Ofcom is een formeel onderzoek gestart naar X en de "
          "chatbot Grok, nadat gebruikers seksueel getinte deepfakes van vrouwen en kinderen "
          "maakten. Maleisië en Indonesië blokkeerden de toegang tot Grok. De Europese "
          "Commissie overweegt een boete. ")
    en = ("Britain's media regulator Ofcom opened a formal investigation into X on Monday "
          "after its Grok chatbot was used to create sexualised deepfakes of women and "
          "children. Malaysia and Indonesia blocked access to Grok, while the European "
          "Commission said it could fine the company under the Digital Services Act. ")
    filler_nl = ("Volgens experts is het probleem groter dan gedacht en zijn nieuwe regels "
                 "nodig om slachtoffers te beschermen tegen misbruik van kunstmatige "
                 "intelligentie. ")
    filler_en = ("Experts say the problem is larger than thought and that platforms must do "
                 "more to protect victims of image-based abuse online. ")

    def article(head: str, filler: str, i: int) -> str:
        body = head + f"Artikel {i}. "
        while len(body) < 3000:
            body += filler
        return body[:3000]

    texts = [(article(nl, filler_nl, i), {"lang": None}) if i % 2 else
             (article(en, filler_en, i), {"lang": None}) for i in range(n)]
    list(nlp.analyze_many(texts[:20]))  # build pipelines and caches once
    runs = []
    for _ in range(3):  # best of three: neighbours on a shared machine only slow a run
        t0 = time.process_time()
        w0 = time.perf_counter()
        done = sum(1 for _ in nlp.analyze_many(texts))
        runs.append((time.process_time() - t0, time.perf_counter() - w0))
    cpu, wall = min(runs)
    print(f"== speed: {done} articles of ~3,000 chars: {done / cpu:.0f} articles/s per core, "
          f"best of 3 (cpu {cpu:.2f}s, wall {wall:.2f}s; slowest run "
          f"{done / max(runs)[0]:.0f}/s; target >= 300)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold", nargs="*", type=Path, help="gold JSONL files (default: dev work "
                    "set and tests/nlp/gold.jsonl)")
    ap.add_argument("--cv", type=int, default=0, metavar="K",
                    help="K-fold story-grouped cross-validation on the dev work set")
    ap.add_argument("--lockbox", action="store_true",
                    help="score the dev lockbox once (numbers only)")
    ap.add_argument("--errors", action="store_true", help="per-article errors (never for the "
                    "lockbox)")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--n", type=int, default=600, help="articles for the speed test")
    args = ap.parse_args()
    ref = load_scorer()
    if args.gold:
        sets = [(str(p), splits.load_rows(p)) for p in args.gold]
    else:
        work, _box = splits.split_lockbox(splits.load_rows(splits.DEV))
        sets = [("dev work set", work)] + ([(str(OWN_GOLD), splits.load_rows(OWN_GOLD))]
                                           if OWN_GOLD.exists() else [])
    for title, rows in sets:
        runs = {"rules only": predict(rows, RULES)}
        if args.cv and title == "dev work set":
            runs[f"out of fold ({args.cv}-fold CV)"] = cross_validate(rows, args.cv)
        runs["shipped scorer (in sample)"] = predict(rows, default_scorer())
        table(ref, title, rows, runs)
        if title == "dev work set":
            action_table(rows, runs)
        if args.errors:
            score(ref, rows, runs["shipped scorer (in sample)"],
                  sorted({r.get("lang") for r in rows}), errors=True)
    if args.lockbox:
        _work, box = splits.split_lockbox(splits.load_rows(splits.DEV))
        box_runs = {"shipped scorer": predict(box, default_scorer())}
        table(ref, "dev LOCKBOX (shipped scorer, fitted on the work set)", box, box_runs)
        action_table(box, box_runs)
    if not args.no_speed:
        speed(args.n)


if __name__ == "__main__":
    main()
