"""Accuracy, confusion matrix, calibration and speed of the classifier on a labelled CSV.

Usage: python bench/classifier_report.py [LABELLED.csv]   (default: tests/data/dev_labeled.csv)
The file needs an `expected` column; a prediction counts when it is one of its `|`-separated labels.
"""

import sys
import time
from collections import Counter
from pathlib import Path

from outreach.classify.classifier import REVIEW_THRESHOLD, classify, default_rules
from outreach.classify.orgtypes import GENERAL, ORG_TYPES
from outreach.ingest.contacts import read_contacts

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "dev_labeled.csv"
    contacts = list(read_contacts(path))
    rules = default_rules()
    results = [(c, classify(c, rules), c.extra["expected"].split("|")) for c in contacts]
    right = sum(r.type in expected for _, r, expected in results)
    answered = [(r, expected) for _, r, expected in results if r.type != GENERAL]
    print(f"{path.name}: {len(results)} rows, threshold {REVIEW_THRESHOLD}")
    print(f"accuracy            {right}/{len(results)} = {right / len(results):.1%}")
    precise = sum(r.type in expected for r, expected in answered)
    print(f"precision answered  {precise}/{len(answered)} = {precise / max(len(answered), 1):.1%}")
    print(
        f"general (flagged)   {len(results) - len(answered)} = "
        f"{(len(results) - len(answered)) / len(results):.1%}"
    )
    print("\nconfusion (rows: first expected label, columns: predicted)")
    confusion = Counter((expected[0], r.type) for _, r, expected in results)
    keys = [*ORG_TYPES, GENERAL]
    short = {key: key[:6] for key in keys}
    print(" " * 21 + " ".join(f"{short[k]:>6}" for k in keys))
    for truth in ORG_TYPES:
        print(f"{truth:>20} " + " ".join(f"{confusion[(truth, k)] or '.':>6}" for k in keys))
    print("\ncalibration (confidence bin: right/total)")
    bins = Counter()
    hits = Counter()
    for _, r, expected in results:
        low = min(int(r.confidence * 10), 9) / 10
        bins[low] += 1
        hits[low] += r.type in expected
    for low in sorted(bins):
        print(f"  {low:.1f}-{low + 0.1:.1f}: {hits[low]}/{bins[low]}")
    print("\nspeed (classify only, CPU time, 10,000 rows cycled from the file, median of 5)")
    rows = (contacts * (10_000 // len(contacts) + 1))[:10_000]
    timings = []
    for _ in range(5):
        start = time.process_time()
        for contact in rows:
            classify(contact, rules)
        timings.append(time.process_time() - start)
    print(f"  {sorted(timings)[2]:.3f} s per 10,000 rows")


if __name__ == "__main__":
    main()
