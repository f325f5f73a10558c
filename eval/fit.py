"""`python -m eval.fit`: fit the evidence model and its thresholds on the DEV split, and write
``service/models/evidence.json``. The test split is never loaded.

1. Every dev question is analysed and its parts retrieved as ``Answerer.ask`` does; each candidate
   sentence's features are read (``service.evidence.FEATURES``) and labelled 1 when it states an evidence
   item of the question (``eval.metrics.sentence_answers``; a near-miss question's evidence is what the
   documents say closest to it, so it is on the topic), else 0.
2. A logistic regression (scikit-learn, standardised features, L2) is fitted on them: once with every
   feature for the configured embedder, once without the embedder's similarities (the portable model,
   for any other embedder).
3. The thresholds the answer forms read (``answer``, ``second``, ``district``, ``actor``) are
   chosen one at a time, in two rounds, each by the share of right outcomes on the dev questions it
   decides; of equally good values, those with the best list F1, and of these the middle one.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from datetime import datetime, timezone

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from indexer.embedders import EmbedderError
from indexer.settings import Settings, get_settings
from indexer.storage import IndexProblem
from service.analysis import analyse
from service.ask import Answerer
from service.engine import Engine, load_engine
from service.evidence import (
    DENSE_FEATURES,
    FEATURES,
    MODEL_FILE,
    PORTABLE,
    EvidenceModel,
    EvidenceModels,
    inputs_version,
    save_models,
)
from service.search import Filters

from .answers import evaluate_answers
from .gold import GoldError, Question, Split, load_questions
from .metrics import sentence_answers

# Which questions each threshold decides, by gold type.
DECIDES = {
    "answer": (
        "fact", "district", "paraphrase", "spelling", "unanswerable", "near_miss", "multi_part", "english", "over_time",
        "version",
    ),
    "second": ("fact", "district", "paraphrase", "spelling", "multi_part", "english"),
    "district": ("list",),
    "actor": ("actor_list",),
    "actor_second": ("actor_list",),
}
GRID = {
    "answer": tuple(round(0.05 * i, 2) for i in range(1, 17)),
    "second": tuple(round(0.5 + 0.05 * i, 2) for i in range(0, 10)),
    "district": tuple(round(0.05 * i, 2) for i in range(1, 17)),
    "actor": tuple(round(0.05 * i, 2) for i in range(1, 17)),
    "actor_second": tuple(round(0.1 * i, 1) for i in range(0, 10)),
}
START = {"answer": 0.3, "second": 0.7, "district": 0.3, "actor": 0.3, "actor_second": 0.5}
# Regularisation of the logistic regression (scikit-learn's C).
REGULARISATION = 1.0


def labelled(answerer: Answerer, questions: Sequence[Question]) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of every candidate sentence of the questions' parts."""
    rows: list[np.ndarray] = []
    labels: list[int] = []
    for question in questions:
        evidence_items = question.evidence
        for evidence in answerer.gather(analyse(question.question, answerer.gazetteer), Filters()):
            for candidate in evidence.candidates:
                rows.append(candidate.features)
                labels.append(int(bool(evidence_items) and sentence_answers(candidate.text, evidence_items)))
    return np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)), np.array(labels, dtype=np.int64)


def fit_model(x: np.ndarray, y: np.ndarray, features: Sequence[str], embedder: str, fitted_on: str) -> EvidenceModel:
    """A logistic model over ``features`` (columns of ``x`` in ``FEATURES`` order)."""
    columns = [FEATURES.index(name) for name in features]
    scaler = StandardScaler().fit(x[:, columns])
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    regression = LogisticRegression(C=REGULARISATION, max_iter=2000).fit((x[:, columns] - scaler.mean_) / scale, y)
    return EvidenceModel(
        embedder=embedder,
        features=list(features),
        mean=scaler.mean_.tolist(),
        scale=scale.tolist(),
        weights=regression.coef_[0].tolist(),
        bias=float(regression.intercept_[0]),
        thresholds=dict(START),
        fitted_on=fitted_on,
        inputs_version=inputs_version(),
    )


def choose_thresholds(engine: Engine, model: EvidenceModel, questions: Sequence[Question], rounds: int = 2) -> dict[str, float]:
    """Each threshold in turn set to the grid value with the most right outcomes among the questions it
    decides, and of those, the best list F1."""
    thresholds = dict(model.thresholds)
    for _ in range(rounds):
        for name, values in GRID.items():
            decided = [q for q in questions if q.type in DECIDES[name]]
            if not decided:
                continue
            scores = []
            for value in values:
                trial = model.model_copy(update={"thresholds": {**thresholds, name: value}})
                answerer = Answerer(engine.searcher, engine.settings, model=trial)
                result = evaluate_answers(answerer.ask, decided, engine.index)
                # Ties in right outcomes (a few questions decide a threshold) go to the more complete lists.
                scores.append((result.scores.right_rate, result.scores.districts.f1 + result.scores.actors.f1))
            best = max(scores)
            tied = [value for value, score in zip(values, scores) if score == best]
            thresholds[name] = tied[len(tied) // 2]
    return thresholds


def fit(engine: Engine, questions: Sequence[Question]) -> EvidenceModels:
    """The fitted models for the engine's embedder and the portable one (see the module docstring)."""
    embedder = engine.index.manifest.embedder
    unfitted = Answerer(engine.searcher, engine.settings, model=EvidenceModel.unfitted(embedder))
    x, y = labelled(unfitted, questions)
    ids = ",".join(q.id for q in questions)
    fitted_on = (
        f"dev split: {len(questions)} questions (ids sha256 {hashlib.sha256(ids.encode()).hexdigest()[:12]}), "
        f"{len(y)} candidate sentences of which {int(y.sum())} answer; {datetime.now(timezone.utc):%Y-%m-%d}"
    )
    full = fit_model(x, y, FEATURES, embedder, fitted_on)
    portable = fit_model(x, y, [f for f in FEATURES if f not in DENSE_FEATURES], PORTABLE, fitted_on)
    full = full.model_copy(update={"thresholds": choose_thresholds(engine, full, questions)})
    portable = portable.model_copy(update={"thresholds": choose_thresholds(engine, portable, questions, rounds=1)})
    return EvidenceModels(models={embedder: full, PORTABLE: portable})


def main(argv: list[str] | None = None) -> int:
    """Fit on the dev split and write the models (``--dry-run`` prints them only)."""
    parser = argparse.ArgumentParser(prog="python -m eval.fit", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the fitted models instead of writing them")
    args = parser.parse_args(argv)
    settings: Settings = get_settings()
    try:
        engine = load_engine(settings, model=EvidenceModel.unfitted(settings.embedder))
        questions = load_questions(Split.dev)
    except (IndexProblem, EmbedderError, GoldError) as exc:
        print(f"stadshus: {exc}", file=sys.stderr)
        return 1
    models = fit(engine, questions)
    for name, model in models.models.items():
        weights = ", ".join(f"{f} {w:+.2f}" for f, w in zip(model.features, model.weights))
        print(f"{name}: {weights}; thresholds {model.thresholds}")
    if not args.dry_run:
        save_models(models)
        print(f"wrote {MODEL_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
