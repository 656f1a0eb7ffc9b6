"""Assemble the labelled corpus from parts: check each row, drop repeats, assign the split.

Usage: python -m training.build_corpus PART.csv [PART.csv ...]   (writes corpus/organisations.csv)
A row's split follows from a hash of its organisation, so a part added later never moves a row
that is already in dev or test.
"""

import csv
import hashlib
import re
import sys
from pathlib import Path

from outreach.classify.orgtypes import GENERAL, ORG_TYPES
from outreach.ingest.addresses import valid_address
from training.corpus import COLUMNS, CORPUS, SAFE_SUFFIX

KEYS = {*ORG_TYPES, GENERAL}
SHAPES = {"full", "short", "none"}


def split_of(key: str) -> str:
    """train (70 %), dev (15 %) or test (15 %), from the organisation's key alone."""
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


def dedupe_key(row: dict[str, str]) -> str:
    """The organisation (or person) without case, punctuation or legal form."""
    name = row["organisation"] or f"{row['contact_name']} {row['email']}"
    name = re.sub(r"\b(e\.?\s?v|ggmbh|gmbh|ltd|inc|ag)\b\.?", " ", name.lower())
    return " ".join(re.findall(r"\w+", name))


def problem(row: dict[str, str]) -> str:
    """Why a row cannot go into the corpus, or ''."""
    labels = row["expected"].split("|")
    if not labels or any(label not in KEYS for label in labels) or len(set(labels)) < len(labels):
        return f"expected {row['expected']!r} is not one or two type keys"
    if row["completeness"] not in SHAPES:
        return f"completeness {row['completeness']!r}"
    if (row["completeness"] == "none") != (not row["description"].strip()):
        return "completeness does not match the description"
    if not row["email"].endswith(SAFE_SUFFIX) or "@" not in row["email"]:
        return f"email {row['email']!r} does not end in {SAFE_SUFFIX}"
    try:
        valid_address(row["email"].removesuffix(SAFE_SUFFIX))
    except ValueError as exc:
        return str(exc)
    if row["language"] not in {"de", "en"}:
        return f"language {row['language']!r}"
    if not (row["organisation"] or row["contact_name"]):
        return "neither organisation nor contact"
    return ""


def main(parts: list[str]) -> None:
    """Read the parts, report and skip bad or repeated rows, write the corpus."""
    seen: set[str] = set()
    rows = []
    for part in parts:
        with Path(part).open(encoding="utf-8", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                row = {name: " ".join((row.get(name) or "").split()) for name in COLUMNS[:-1]}
                if why := problem(row):
                    print(f"{part}:{line}: skipped: {why}")
                    continue
                key = dedupe_key(row)
                if key in seen:
                    print(f"{part}:{line}: skipped: repeats {key!r}")
                    continue
                seen.add(key)
                rows.append({**row, "split": split_of(key)})
    with CORPUS.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    counts = {split: sum(r["split"] == split for r in rows) for split in ("train", "dev", "test")}
    print(f"{CORPUS.name}: {len(rows)} rows, {counts}")


if __name__ == "__main__":
    main(sys.argv[1:])
