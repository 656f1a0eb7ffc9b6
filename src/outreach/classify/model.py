"""The learned type model: a linear model over named features, scored in plain Python.

`training/train_classifier.py` fits it with scikit-learn and writes `data/classifier_model.json`;
at run time only this module reads it, so users need no scikit-learn.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from outreach.errors import ContentError

MODEL_FILE = "classifier_model.json"


@dataclass(frozen=True, slots=True)
class Model:
    """Classes, a bias each, and per feature the classes it weighs for, with calibration."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: Mapping[str, tuple[tuple[int, float], ...]]
    temperature: float
    threshold: float

    def probabilities(self, values: Mapping[str, float]) -> list[float]:
        """Calibrated probability of each class for a row's feature values."""
        scores = list(self.bias)
        weights = self.weights
        for feature, value in values.items():
            for index, weight in weights.get(feature, ()):
                scores[index] += weight * value
        top = max(scores)
        exps = [math.exp((score - top) / self.temperature) for score in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def reasons(self, values: Mapping[str, float], index: int) -> list[tuple[float, str]]:
        """The features that pushed a row towards one class, strongest first."""
        found = []
        for feature, value in values.items():
            for cls, weight in self.weights.get(feature, ()):
                if cls == index and weight * value > 0:
                    found.append((weight * value, feature))
        return sorted(found, reverse=True)


def model_from_json(data: Any) -> Model:
    """Build a model from the structure the training script writes."""
    classes = tuple(data["classes"])
    return Model(
        classes=classes,
        bias=tuple(float(b) for b in data["bias"]),
        weights={
            feature: tuple((int(i), float(w)) for i, w in pairs)
            for feature, pairs in data["weights"].items()
        },
        temperature=float(data["temperature"]),
        threshold=float(data["threshold"]),
    )


@cache
def default_model() -> Model:
    """The shipped model, loaded once."""
    resource = files("outreach") / "data" / MODEL_FILE
    try:
        return model_from_json(json.loads(resource.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ContentError(
            f"{MODEL_FILE} (shipped) is damaged: {exc}; reinstall outreach"
        ) from None
