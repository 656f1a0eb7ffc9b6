"""The learned type model: reproducible training, no memorised names, calibration, evidence."""

import json
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
from training.corpus import read_corpus
from training.train_classifier import MIN_ORGANISATIONS, MODEL_PATH, train

from outreach.classify.classifier import classify_with_model, load_rules, rule_scores
from outreach.classify.features import describe, features
from outreach.classify.model import default_model
from outreach.classify.orgtypes import GENERAL
from outreach.models import Contact

WORD_FIELDS = ("name:", "contact:", "title:", "description:", "mailbox:", "host:")


def contact(**fields: str) -> Contact:
    """A contact with an address unless one is given."""
    return Contact(row=2, **{"email": "info@example.org", **fields})


@pytest.fixture(scope="module")
def dev() -> list[tuple[str, float, tuple[str, ...]]]:
    """The model's best guess, its probability and the right labels of each dev row."""
    model = default_model()
    found = []
    for example in read_corpus(split="dev"):
        chances = model.probabilities(features(example.contact, rule_scores(example.contact)))
        best = max(range(len(chances)), key=chances.__getitem__)
        found.append((model.classes[best], chances[best], example.labels))
    return found


def test_training_on_the_corpus_gives_the_shipped_weights() -> None:
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    trained = json.loads(json.dumps(train(), ensure_ascii=False))
    assert trained == shipped


def test_every_weighted_word_was_seen_for_several_organisations() -> None:
    examples = read_corpus(split="train")
    owners: dict[str, set[str]] = defaultdict(set)
    for example in examples:
        for feature in features(example.contact, rule_scores(example.contact)):
            owners[feature].add(example.key)
    for feature in default_model().weights:
        assert len(owners[feature]) >= MIN_ORGANISATIONS, feature
    assert any(f.startswith(WORD_FIELDS) for f in default_model().weights)


def test_confidence_is_calibrated_on_dev(dev: list[tuple[str, float, tuple[str, ...]]]) -> None:
    gaps = []
    for low in (0.0, 0.5, 0.7, 0.9):
        high = {0.0: 0.5, 0.5: 0.7, 0.7: 0.9, 0.9: 1.01}[low]
        rows = [(guess, chance, labels) for guess, chance, labels in dev if low <= chance < high]
        if len(rows) < 20:
            continue
        said = statistics.fmean(chance for _, chance, _ in rows)
        right = statistics.fmean(guess in labels for guess, _, labels in rows)
        gaps.append(abs(said - right) * len(rows))
        assert abs(said - right) < 0.15, (low, said, right, len(rows))
    assert sum(gaps) / len(dev) < 0.08


def test_evidence_is_in_words() -> None:
    result = classify_with_model(
        contact(
            organisation="Institute for Marine Research",
            email="info@marine-research.ac.uk",
            description="Research institute with twelve research groups and a laboratory",
        )
    )
    assert result.type == "research_group"
    assert result.evidence
    assert all("→" in line for line in result.evidence), result.evidence
    assert any("→ research group" in line for line in result.evidence)
    assert not any(marker in " ".join(result.evidence) for marker in ("rule:", ":end:", "host:"))


@pytest.mark.parametrize(
    ("feature", "words"),
    [
        ("name:end:institut", "name has a word ending in '-institut'"),
        ("host:gv.at", "domain ends in 'gv.at'"),
        ("mailbox:redaktion", "mailbox 'redaktion@'"),
        ("mailbox:personal", "a personal mailbox"),
        ("no:description", "no description"),
        ("description:podcast", "description has 'podcast'"),
    ],
)
def test_describe(feature: str, words: str) -> None:
    assert describe(feature) == words


def test_a_user_rule_wins_over_the_model(tmp_path: Path) -> None:
    path = tmp_path / "outreach-rules.toml"
    path.write_text('[[media.terms]]\nterms = ["Forschungsinstitut"]\nweight = 4\n', "utf-8")
    row = contact(organisation="Forschungsinstitut Musterstadt")
    assert classify_with_model(row).type != "media"
    result = classify_with_model(row, load_rules(path))
    assert result.type == "media"
    assert result.evidence[0] == "outreach-rules.toml"


def test_no_signal_is_general_and_flagged() -> None:
    result = classify_with_model(contact(organisation="Qwrtz", email="x@example.org"))
    assert result.type == GENERAL
    assert result.needs_review
