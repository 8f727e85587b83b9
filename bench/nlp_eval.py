"""Score the extractor against gold JSONL files and measure its speed.

usage: python bench/nlp_eval.py [GOLD.jsonl ...] [--errors] [--no-speed] [--n 600]

Defaults to /work/shared/eval/dev.jsonl (when present) plus tests/nlp/gold.jsonl.
Predictions are made in-process with the same function as
``toezicht extract --jsonl`` and scored with the reference metric
(shared/eval/score.py, imported by path), per language. Speed is measured on
~3,000-character articles with the pipeline built once, on one core.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp import analyze_many  # noqa: E402
from toezicht.commands.extract import record_kwargs  # noqa: E402

SHARED_EVAL = Path("/work/shared/eval")
DEFAULT_GOLD = [SHARED_EVAL / "dev.jsonl", ROOT / "tests" / "nlp" / "gold.jsonl"]


def load_scorer():  # type: ignore[no-untyped-def]
    path = SHARED_EVAL / "score.py"
    if not path.exists():
        sys.exit(f"reference scorer not found: {path}")
    spec = importlib.util.spec_from_file_location("toezicht_score", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    aliases = SHARED_EVAL / "regulator_aliases.json"
    if aliases.exists():
        mod.load_aliases(str(aliases))
    return mod


def predict(rows: list[dict]) -> list[dict]:
    out = []
    items = ((r.get("text", ""), record_kwargs(r)) for r in rows)
    for r, a in zip(rows, analyze_many(items), strict=True):
        out.append({"id": r["id"], **a.to_dict()})
    return out


def evaluate(gold_path: Path, scorer, errors: bool) -> None:  # type: ignore[no-untyped-def]
    rows = [json.loads(line) for line in gold_path.open(encoding="utf-8") if line.strip()]
    preds = predict(rows)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False,
                                     encoding="utf-8") as f:
        for p in preds:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
        pred_path = f.name
    langs = sorted({r.get("lang") for r in rows if r.get("lang")})
    print(f"== {gold_path} ({len(rows)} articles)")
    for lang in langs:
        n = sum(r.get("lang") == lang for r in rows)
        print(f"-- lang={lang} ({n} articles)")
        args = [str(gold_path), pred_path, "--lang", lang]
        scorer.main(args + (["--errors"] if errors else []))
    print("-- all")
    scorer.main([str(gold_path), pred_path])
    Path(pred_path).unlink(missing_ok=True)


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
    t0 = time.process_time()
    w0 = time.perf_counter()
    done = sum(1 for _ in nlp.analyze_many(texts))
    cpu = time.process_time() - t0
    wall = time.perf_counter() - w0
    print(f"== speed: {done} articles of ~3,000 chars: {done / cpu:.0f} articles/s per core "
          f"(cpu {cpu:.2f}s, wall {wall:.2f}s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold", nargs="*", type=Path)
    ap.add_argument("--errors", action="store_true", help="print per-article errors")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--n", type=int, default=600, help="articles for the speed test")
    args = ap.parse_args()
    golds = args.gold or [p for p in DEFAULT_GOLD if p.exists()]
    scorer = load_scorer()
    for g in golds:
        evaluate(g, scorer, args.errors)
    if not args.no_speed:
        speed(args.n)


if __name__ == "__main__":
    main()
