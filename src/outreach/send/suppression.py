"""The do-not-email list: exact addresses and whole domains, kept in the ledger file."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from outreach.errors import InputError
from outreach.files import atomic_open
from outreach.ingest.addresses import ascii_domain
from outreach.send.ledger import Ledger

_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_DOMAIN = re.compile(r"^@[^@\s<>,;]+\.[^@\s<>,;]+$")
_CELL_SPLIT = re.compile(r"[,;\t]")


def normalise(entry: str) -> str:
    """`ADDRESS` or `@domain`, case-folded, with an IDNA (xn--) domain; InputError if neither."""
    text = entry.strip().strip("<>\"'").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:].split("?", 1)[0]
    local, at, domain = text.rpartition("@")
    if not at or not domain:
        raise InputError(f"{entry!r} is neither an address nor @domain")
    domain = ascii_domain(domain.rstrip(".").lower())
    result = f"{local.lower()}@{domain}"
    if not (_DOMAIN if not local else _ADDRESS).match(result):
        raise InputError(f"{entry!r} is neither an address nor @domain")
    return result


@dataclass(frozen=True)
class Suppressions:
    """A loaded list; `matches` is what draft and send ask."""

    addresses: frozenset[str] = field(default_factory=frozenset)
    domains: frozenset[str] = field(default_factory=frozenset)

    def __len__(self) -> int:
        return len(self.addresses) + len(self.domains)

    def matches(self, address: str) -> bool:
        """True for a listed address (any case) or an address in a listed domain or subdomain."""
        if not self.addresses and not self.domains:
            return False
        try:
            key = normalise(address)
        except InputError:
            return False
        if key in self.addresses:
            return True
        labels = key.rpartition("@")[2].split(".")
        return any(".".join(labels[i:]) in self.domains for i in range(len(labels)))

    @classmethod
    def of(cls, entries: Iterable[str]) -> "Suppressions":
        """A list from normalised entries."""
        addresses, domains = set(), set()
        for entry in entries:
            if entry.startswith("@"):
                domains.add(entry[1:])
            else:
                addresses.add(entry)
        return cls(frozenset(addresses), frozenset(domains))


def load_suppressions(db_path: Path) -> Suppressions:
    """The list in the ledger at `db_path`; empty, without creating a file, when there is none."""
    if not db_path.is_file():
        return Suppressions()
    with Ledger(db_path) as ledger:
        return suppressions_in(ledger)


def suppressions_in(ledger: Ledger) -> Suppressions:
    """The list held in an open ledger."""
    return Suppressions.of(entry for entry, _added, _source in ledger.suppression_entries())


def add(ledger: Ledger, entries: Iterable[str], source: str = "command line") -> int:
    """Add addresses or @domains; return how many were new."""
    return ledger.add_suppressions([normalise(entry) for entry in entries], source)


def remove(ledger: Ledger, entry: str) -> bool:
    """Remove one address or @domain; return whether it was listed."""
    return ledger.remove_suppression(normalise(entry))


@dataclass
class ImportReport:
    """What an import found."""

    added: int = 0
    seen: int = 0
    problems: list[str] = field(default_factory=list)


def import_file(ledger: Ledger, path: Path) -> ImportReport:
    """Add every address or @domain in a text or CSV file; lines without '@' are skipped."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"file '{path}' not found") from None
    except UnicodeDecodeError:
        text = path.read_bytes().decode("cp1252", errors="replace")
    except OSError as exc:
        raise InputError(f"file '{path}' cannot be read: {exc.strerror}") from None
    report = ImportReport()
    entries: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        for cell in _CELL_SPLIT.split(line):
            if "@" not in cell:
                continue
            report.seen += 1
            try:
                entries.append(normalise(cell))
            except InputError as exc:
                report.problems.append(f"{path}:{number}: {exc}")
    report.added = ledger.add_suppressions(entries, f"import {path.name}")
    return report


def export_file(ledger: Ledger, path: Path) -> int:
    """Write every entry, one a line, with a comment saying what the file is; return how many."""
    entries = [entry for entry, _added, _source in ledger.suppression_entries()]
    text = "# outreach opt-out list: `outreach suppress import` reads it back\n"
    try:
        with atomic_open(path, "w") as handle:
            handle.write(text + "".join(f"{entry}\n" for entry in entries))
    except OSError as exc:
        raise InputError(f"cannot write '{path}': {exc.strerror}") from None
    return len(entries)
