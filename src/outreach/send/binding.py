"""The ledger a batch belongs to: recorded at its first approval, checked by every command."""

from pathlib import Path

from outreach.batch.journal import LedgerLink, read_link, write_link
from outreach.batch.reader import Batch
from outreach.errors import LedgerError
from outreach.send.ledger import Clock, Ledger, utc_now


def open_ledger(
    batch: Batch, db: Path, *, approving: bool = False, readonly: bool = False, now: Clock = utc_now
) -> Ledger:
    """The ledger at `db`, if it is the batch's; LedgerError naming both otherwise.

    Only an approval may create a ledger, and only for a batch that has none yet: a lost or
    replaced ledger must never look like a fresh start, or every message would go again.
    """
    link = read_link(batch.folder)
    if not db.is_file() and (link is not None or not approving):
        was = f"; batch {batch.name} was approved with the ledger {link.path}" if link else ""
        hint = " (set OUTREACH_DB to it, or restore it from a backup)" if link else ""
        raise LedgerError(f"no ledger at {db}{was}{hint}: `outreach approve` makes the first one")
    ledger = Ledger(db, readonly=readonly, now=now)
    try:
        _check(batch, ledger, link)
    except BaseException:
        ledger.close()
        raise
    return ledger


def _check(batch: Batch, ledger: Ledger, link: LedgerLink | None) -> None:
    """LedgerError if the batch was approved with another ledger than this one."""
    if link is not None and link.id != ledger.identity:
        raise LedgerError(
            f"batch {batch.name} was approved with the ledger {link.path}, but OUTREACH_DB opens "
            f"another one, {ledger.path.resolve()}: set OUTREACH_DB to {link.path} (restore it if "
            "it is lost; the batch's journal.txt keeps what was sent meanwhile)"
        )


def link_batch(batch: Batch, ledger: Ledger) -> None:
    """Record the ledger in the batch folder at its first approval; check it afterwards."""
    link = read_link(batch.folder)
    if link is None:
        write_link(batch.folder, LedgerLink(ledger.identity, str(ledger.path.resolve())))
    else:
        _check(batch, ledger, link)
