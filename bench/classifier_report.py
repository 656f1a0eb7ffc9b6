"""How well the classifier does on labelled rows: overall, by description shape and by language.

Usage: python bench/classifier_report.py [--split dev|test|train] [--csv FILE.csv] [--rules-only]
By default it reads the corpus's dev split. A --csv file needs an `expected` column (and may have
`completeness` and `language`); an answer is right when it is one of the `|`-separated labels.
Prints accuracy, the precision of confident answers, the share left to review, the confusion
matrix, a calibration table and the CPU time to classify 10,000 rows.
"""

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.corpus import Example, read_corpus  # noqa: E402

from outreach.classify.classifier import classify, classify_with_model, rule_scores  # noqa: E402
from outreach.classify.features import features  # noqa: E402
from outreach.classify.model import default_model  # noqa: E402
from outreach.classify.orgtypes import GENERAL, ORG_TYPES  # noqa: E402
from outreach.ingest.contacts import read_contacts  # noqa: E402
from outreach.models import Classification, Contact  # noqa: E402

Result = tuple[Example, Classification]


def read_labelled(path: Path) -> list[Example]:
    """A labelled contacts file outside the corpus; its bad rows are skipped as `draft` does."""
    examples = []
    for contact in read_contacts(path):
        extra = contact.extra
        description = contact.description
        shape = extra.get("completeness") or (
            "none" if not description else "short" if len(description.split()) <= 4 else "full"
        )
        labels = tuple(extra["expected"].split("|"))
        examples.append(Example(contact, labels, "csv", shape, extra.get("language", "?")))
    return examples


def summary(results: Sequence[Result]) -> str:
    """n, right, confident precision and share to review of some results."""
    if not results:
        return "     0"
    right = sum(r.type in e.labels for e, r in results)
    confident = [(e, r) for e, r in results if r.type != GENERAL]
    precise = sum(r.type in e.labels for e, r in confident)
    review = len(results) - len(confident)
    return (
        f"{len(results):>6} {right / len(results):>8.1%} "
        f"{precise / max(len(confident), 1):>11.1%} {review / len(results):>8.1%}"
    )


def print_cuts(results: Sequence[Result]) -> None:
    """The summary overall, by description shape and by language."""
    print(f"{'cut':<22} {'rows':>6} {'right':>8} {'confident':>11} {'review':>8}")
    print(f"{'all':<22} {summary(results)}")
    for shape in ("full", "short", "none"):
        cut = [x for x in results if x[0].completeness == shape]
        print(f"{'description ' + shape:<22} {summary(cut)}")
    for language in sorted({e.language for e, _ in results}):
        cut = [x for x in results if x[0].language == language]
        print(f"{'language ' + language:<22} {summary(cut)}")


def print_confusion(results: Sequence[Result]) -> None:
    """Rows: the first expected label; columns: the answer ('.' for none)."""
    print("\nconfusion (rows: expected, first label; columns: answer)")
    keys = [*ORG_TYPES, GENERAL]
    confusion = Counter((e.labels[0], r.type) for e, r in results)
    print(" " * 21 + " ".join(f"{k[:6]:>6}" for k in keys))
    for truth in keys:
        print(f"{truth:>20} " + " ".join(f"{confusion[(truth, k)] or '.':>6}" for k in keys))


def print_calibration(examples: Sequence[Example]) -> None:
    """How often the model's best guess is right, by its probability."""
    model = default_model()
    bins: Counter[int] = Counter()
    right: Counter[int] = Counter()
    said: dict[int, list[float]] = {}
    for example in examples:
        chances = model.probabilities(features(example.contact, rule_scores(example.contact)))
        best = max(range(len(chances)), key=chances.__getitem__)
        low = min(int(chances[best] * 10), 9)
        bins[low] += 1
        right[low] += model.classes[best] in example.labels
        said.setdefault(low, []).append(chances[best])
    print(f"\ncalibration (model's best guess; threshold {model.threshold})")
    print(f"{'confidence':<12} {'rows':>5} {'mean said':>10} {'right':>7}")
    for low in sorted(bins):
        mean = statistics.fmean(said[low])
        share = right[low] / bins[low]
        print(f"{low / 10:.1f}-{(low + 1) / 10:.1f}    {bins[low]:>5} {mean:>10.2f} {share:>7.1%}")


def print_speed(examples: Sequence[Example], decide: Callable[[Contact], Classification]) -> None:
    """CPU time to classify 10,000 rows cycled from the examples, median of 5 runs."""
    contacts = [e.contact for e in examples]
    rows = (contacts * (10_000 // len(contacts) + 1))[:10_000]
    timings = []
    for _ in range(5):
        start = time.process_time()
        for contact in rows:
            decide(contact)
        timings.append(time.process_time() - start)
    print(f"\nspeed: {statistics.median(timings):.3f} s CPU per 10,000 rows (median of 5)")


def main() -> None:
    """Read the rows, classify them, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=("train", "dev", "test"))
    parser.add_argument("--csv", type=Path, help="a labelled CSV instead of the corpus")
    parser.add_argument("--rules-only", action="store_true", help="the hand-written rules alone")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    examples = read_labelled(args.csv) if args.csv else read_corpus(split=args.split)
    decide = classify if args.rules_only else classify_with_model
    results = [(e, decide(e.contact)) for e in examples]
    source = args.csv.name if args.csv else f"corpus {args.split}"
    print(f"{source}: {len(results)} rows, {'rules only' if args.rules_only else 'model'}\n")
    print_cuts(results)
    print_confusion(results)
    if not args.rules_only:
        print_calibration(examples)
    if not args.no_speed:
        print_speed(examples, decide)


if __name__ == "__main__":
    main()
