"""What the fit of advisor/tuning.json and the benches beside it share: the knowledge configurations, the question
sets (all in this repository; a missing one is an error), each question's signals, and the two fits.

Used by bench/tune_retrieval.py (which writes the tuning), bench/ceiling_bench.py, bench/answer_bench.py,
bench/first_turns.py and tests/test_tuning_fit.py.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

from advisor import decision
from advisor.decision import EVIDENCE
from advisor.documents import LANGUAGES
from advisor.evaluate import Case, read_cases
from advisor.retrieve import FEATURES, Retriever
from advisor.settings import Settings
from advisor.text import collapse_space
from ingest.build import ingest

from ._common import ROOT

WORK = ROOT / "var" / "tune"
COMMUNIQUE = ROOT / "knowledge" / "2022-03-10-cref-vlir-communique.md"
# Every question set, and whether it is fitted on ("tune") or only reported ("heldout").
QUESTION_SETS = {
    "communique.tune": ("tune", ROOT / "eval" / "communique.tune.jsonl"),
    "public-faq.tune": ("tune", ROOT / "eval" / "public-faq.tune.jsonl"),
    "public-faq2.tune": ("tune", ROOT / "eval" / "public-faq2.tune.jsonl"),
    "checks": ("tune", ROOT / "knowledge" / "checks.jsonl"),
    "communique.heldout": ("heldout", ROOT / "eval" / "communique.heldout.jsonl"),
    "public-faq.heldout": ("heldout", ROOT / "eval" / "public-faq.heldout.jsonl"),
    "public-faq2.heldout": ("heldout", ROOT / "eval" / "public-faq2.heldout.jsonl"),
}
TARGET_HIT, TARGET_DECLINE = 0.75, 0.80  # issue 9's targets for public-FAQ questions


def knowledge_configs() -> dict[str, Path]:
    """shipped, documents alone, communiqué alone: the folders to ingest."""
    raw = WORK / "input-documents"
    shutil.rmtree(raw, ignore_errors=True)
    (raw / "guidance").mkdir(parents=True)
    shutil.copy(COMMUNIQUE, raw)
    for path in (ROOT / "knowledge" / "guidance").glob("*.md"):
        shutil.copy(path, raw / "guidance")
    alone = WORK / "input-communique"
    shutil.rmtree(alone, ignore_errors=True)
    alone.mkdir(parents=True)
    shutil.copy(COMMUNIQUE, alone)
    return {"shipped": ROOT / "knowledge", "documents": raw, "communique": alone}


def question_sets() -> dict[str, tuple[str, list[Case]]]:
    """name -> (part, cases); part is "tune" or "heldout". Every set must be there: a fit on fewer is another fit."""
    missing = [str(path.relative_to(ROOT)) for _, path in QUESTION_SETS.values() if not path.is_file()]
    if missing:
        raise SystemExit(f"Question sets missing from the repository: {', '.join(missing)}")
    return {name: (part, without_review(read_cases(path))) for name, (part, path) in sorted(QUESTION_SETS.items())}


def without_review(cases: list[Case]) -> list[Case]:
    """Leave out the checks a review decision made (ids "review-…"): each asks the knowledge's own question (an
    attached question, a gap), is found by itself, and would teach a fit nothing about questions not yet asked."""
    return [case for case in cases if not case.id.startswith("review-")]


def applies(config: str, set_name: str) -> bool:
    """Which sets are asked of which knowledge: the communiqué alone answers only communiqué questions."""
    if set_name == "checks":
        return config == "shipped"
    if config == "communique":
        return set_name.startswith("communique")
    return True


def _fold(text: str) -> str:
    return collapse_space(text).lower()


def collect(retriever: Retriever, cases: list[Case]) -> list[dict]:
    """Every passage's features for every question, and which passages hold an expected phrase."""
    vectors = retriever.embedder.embed([c.question for c in cases], query=True)
    rows = []
    for case, vector in zip(cases, vectors):
        found = retriever.features(case.question, case.lang, vector)
        gold = np.array([any(_fold(e) in _fold(p.text) for e in case.expect_any) for p in retriever.passages])
        rows.append({"case": case, "table": found.table, "gold": gold})
    return rows


def fit_rank(groups: list[list[dict]], names: tuple[str, ...] = FEATURES) -> dict[str, float]:
    """Pairwise logistic regression: an answering passage should outscore every other passage.

    `names` names the columns of the rows' tables (the engine's FEATURES; ceiling_bench.py adds one)."""
    from sklearn.linear_model import LogisticRegression

    xs, ys, ws = [], [], []
    for rows in groups:
        pairs = [(r["table"][p] - r["table"][n]) for r in rows if r["case"].kind == "answer"
                 for p in np.flatnonzero(r["gold"]) for n in np.flatnonzero(~r["gold"])]
        for diff in pairs:
            xs += [diff, -diff]
            ys += [1, 0]
            ws += [1 / len(pairs)] * 2  # every (knowledge, question set) weighs the same
    model = LogisticRegression(C=0.3, fit_intercept=False, max_iter=5000)
    model.fit(np.array(xs), np.array(ys), sample_weight=np.array(ws) * len(groups))
    coef = np.clip(model.coef_[0], 0, None)  # every signal may only add evidence
    return {name: round(float(w / coef.sum()), 4) for name, w in zip(names, coef)}


def evidence_rows(retriever: Retriever, rows: list[dict]) -> list[tuple[dict, int, bool]]:
    """(evidence of the best passage, covered?, is the best passage right?) per question."""
    out = []
    for r in rows:
        if r["case"].kind == "answer" and not r["gold"].any():
            continue
        scores = r["table"] @ retriever.rank_weights
        top = np.argsort(-scores, kind="stable")[:8]
        first = int(top[0])  # every passage is a line: line = passage
        found = decision.evidence(dict(zip(FEATURES, r["table"][first])), scores[first], r["case"].lang, retriever.attached[first])
        out.append((found, int(r["case"].kind == "answer"), bool(r["gold"][first])))
    return out


def fit_evidence(groups: list[list[tuple[dict, int, bool]]]) -> tuple[dict[str, float], float, float, float,
                                                                    dict[str, float]]:
    """Logistic regression of covered-or-not on the best passage's evidence; the threshold that comes closest to
    both targets on the tuning questions; the confidence above which a first quote is right 4 times in 5."""
    from sklearn.linear_model import LogisticRegression

    xs, ys, ws = [], [], []
    for rows in groups:
        for evidence, covered, _ in rows:
            xs.append([evidence[name] for name in EVIDENCE])
            ys.append(covered)
            ws.append(1 / len(rows))
    x, y, w = np.array(xs), np.array(ys), np.array(ws)
    for label in (0, 1):  # the two classes weigh the same
        w[y == label] /= w[y == label].sum()
    w *= len(w) / w.sum()  # weights average 1, so that C means what it says
    model = LogisticRegression(C=1.0, max_iter=5000).fit(x, y, sample_weight=w)
    weights = {name: round(float(c), 4) for name, c in zip(EVIDENCE, model.coef_[0])}
    intercept = float(model.intercept_[0])
    p = model.predict_proba(x)[:, 1]
    right = np.array([ok for rows in groups for _, _, ok in rows])
    group = np.concatenate([np.full(len(rows), k) for k, rows in enumerate(groups)])
    language = np.array([max(LANGUAGES, key=lambda lang: e.get(f"is_{lang}", 0.0) if lang != "nl" else
                             1 - e.get("is_en", 0.0) - e.get("is_fr", 0.0)) for rows in groups for e, _, _ in rows])

    def balance(threshold: float) -> float:
        """How close to both targets (right first quote for 75 % of covered questions, 80 % of the others
        declined), the worse of the two, averaged over every (knowledge, question set, language)."""
        values = []
        for k in range(len(groups)):
            for lang in LANGUAGES:
                here = (group == k) & (language == lang)
                answer, out = here & (y == 1), here & (y == 0)
                if answer.any() and out.any():
                    hit = ((p >= threshold) & right)[answer].mean()
                    declined = (p < threshold)[out].mean()
                    values.append(min(hit / TARGET_HIT, declined / TARGET_DECLINE))
        return float(np.mean(values))

    threshold = float(max(np.arange(0.2, 0.8, 0.01), key=balance))

    def precision(level: float, among: np.ndarray | None = None) -> float:
        """Of the questions (`among` them) answered with at least this confidence, the share whose first quote is right."""
        shown = (p >= level) if among is None else among & (p >= level)
        return float((right & (y == 1))[shown].mean()) if shown.any() else 1.0

    # Below this, the first quote is right less than 4 times in 5: the answer says it is a weak match. Per language
    # too: French and Dutch questions meet English text, so their probabilities run lower for the same precision.
    confident = next((c for c in np.arange(threshold, 0.95, 0.01) if precision(c) >= 0.8), 0.95)
    by_language = {lang: round(float(next((c for c in np.arange(threshold, 0.95, 0.01)
                                           if precision(c, language == lang) >= 0.8), 0.95)), 2)
                   for lang in LANGUAGES}
    return weights, round(intercept, 4), round(threshold, 2), round(float(confident), 2), by_language


def build_stores(embedder) -> dict[str, Settings]:
    stores = {}
    for name, folder in knowledge_configs().items():
        slug = "".join(c if c.isalnum() else "-" for c in embedder.model_id)
        settings = Settings(_env_file=None, store_dir=WORK / slug / f"store-{name}", knowledge_dir=folder,
                            embedding_model=embedder.model_id)
        report = ingest(settings, [folder], embedder)
        print(f"[{name}] {report.summary().splitlines()[0]}", file=sys.stderr)
        stores[name] = settings
    return stores


