"""Train the type model on the corpus's train split and write data/classifier_model.json.

Usage: python -m training.train_classifier [--corpus corpus/organisations.csv]   (make train)
The strength of regularisation is chosen on dev, the temperature is fitted on dev so that a
confidence of 0.8 is right about 80 % of the time, and the threshold is the lowest at which dev's
confident answers are right at least TARGET_PRECISION of the time. The test split is never read.
"""

import argparse
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression

from outreach.classify.classifier import rule_scores
from outreach.classify.features import features
from outreach.classify.model import Model, model_from_json
from outreach.classify.orgtypes import GENERAL
from training.corpus import CORPUS, ROOT, Example, read_corpus

MODEL_PATH = ROOT / "src" / "outreach" / "data" / "classifier_model.json"
#: A word must be seen for this many organisations to get a weight: no memorised names.
MIN_ORGANISATIONS = 2
#: Weights smaller than this are dropped: they never decide a row and only slow scoring.
WEIGHT_FLOOR = 0.05
TARGET_PRECISION = 0.97
C_GRID = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
TEMPERATURES = tuple(t / 20 for t in range(10, 61))
THRESHOLDS = tuple(t / 100 for t in range(30, 96))


def featurise(examples: Sequence[Example]) -> list[dict[str, float]]:
    """The model's features of each example, with the shipped rules' scores."""
    return [features(e.contact, rule_scores(e.contact)) for e in examples]


def allowed_features(examples: Sequence[Example], rows: Sequence[dict[str, float]]) -> set[str]:
    """Features seen for at least MIN_ORGANISATIONS different organisations."""
    owners: dict[str, set[str]] = defaultdict(set)
    for example, row in zip(examples, rows, strict=True):
        for feature in row:
            owners[feature].add(example.key)
    return {f for f, keys in owners.items() if len(keys) >= MIN_ORGANISATIONS}


def fit(
    examples: Sequence[Example], rows: Sequence[dict[str, float]], c: float
) -> dict[str, object]:
    """Fit a logistic regression; a row with two right labels counts half for each."""
    allowed = allowed_features(examples, rows)
    xs, ys, weights = [], [], []
    for example, row in zip(examples, rows, strict=True):
        kept = {f: v for f, v in row.items() if f in allowed}
        for label in example.labels:
            xs.append(kept)
            ys.append(label)
            weights.append(1.0 / len(example.labels))
    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform(xs)
    regression = LogisticRegression(C=c, max_iter=5000, tol=1e-6)
    regression.fit(matrix, ys, sample_weight=weights)
    classes = [str(c) for c in regression.classes_]
    names = vectoriser.get_feature_names_out()
    sparse: dict[str, list[list[float]]] = {}
    for column, name in enumerate(names):
        pairs = [
            [index, round(float(regression.coef_[index, column]), 4)]
            for index in range(len(classes))
            if abs(regression.coef_[index, column]) >= WEIGHT_FLOOR
        ]
        if pairs:
            sparse[str(name)] = pairs
    return {
        "classes": classes,
        "bias": [round(float(b), 4) for b in regression.intercept_],
        "weights": dict(sorted(sparse.items())),
        "temperature": 1.0,
        "threshold": 0.5,
    }


def predictions(model: Model, rows: Sequence[dict[str, float]]) -> list[tuple[str, float]]:
    """The best class and its probability for each row."""
    found = []
    for row in rows:
        chances = model.probabilities(row)
        best = max(range(len(chances)), key=chances.__getitem__)
        found.append((model.classes[best], chances[best]))
    return found


def log_loss(model: Model, examples: Sequence[Example], rows: Sequence[dict[str, float]]) -> float:
    """Mean negative log probability of the right labels (summed when there are two)."""
    total = 0.0
    index = {name: i for i, name in enumerate(model.classes)}
    for example, row in zip(examples, rows, strict=True):
        chances = model.probabilities(row)
        right = sum(chances[index[label]] for label in example.labels if label in index)
        total -= math.log(max(right, 1e-12))
    return total / len(examples)


def threshold_for(guesses: Sequence[tuple[str, float]], examples: Sequence[Example]) -> float:
    """The lowest threshold at which confident answers on dev reach the target precision."""
    for threshold in THRESHOLDS:
        confident = [
            (guess, example)
            for (guess, chance), example in zip(guesses, examples, strict=True)
            if guess != GENERAL and chance >= threshold
        ]
        right = sum(guess in example.labels for guess, example in confident)
        if confident and right / len(confident) >= TARGET_PRECISION:
            return threshold
    return THRESHOLDS[-1]


def train(corpus: Path = CORPUS) -> dict[str, object]:
    """The model's data: C and temperature chosen on dev, threshold from dev's precision."""
    train_set, dev_set = read_corpus(corpus, "train"), read_corpus(corpus, "dev")
    train_rows, dev_rows = featurise(train_set), featurise(dev_set)
    best: tuple[float, dict[str, object]] | None = None
    for c in C_GRID:
        data = fit(train_set, train_rows, c)
        loss = log_loss(model_from_json(data), dev_set, dev_rows)
        print(f"C={c}: dev log loss {loss:.3f}")
        if best is None or loss < best[0]:
            best = (loss, {**data, "C": c})
    assert best is not None
    data = best[1]
    losses = {}
    for temperature in TEMPERATURES:
        candidate = model_from_json({**data, "temperature": temperature})
        losses[temperature] = log_loss(candidate, dev_set, dev_rows)
    data["temperature"] = min(losses, key=losses.__getitem__)
    guesses = predictions(model_from_json(data), dev_rows)
    data["threshold"] = threshold_for(guesses, dev_set)
    print(
        f"chose C={data['C']}, temperature {data['temperature']}, threshold {data['threshold']}, "
        f"{len(data['weights'])} features"  # type: ignore[arg-type]
    )
    return data


def main() -> None:
    """Train and write the model file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    data = train(args.corpus)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
