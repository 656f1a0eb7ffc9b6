"""Approve or reject drafts: an approval pins the exact bytes a volunteer saw."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from outreach.batch.journal import SENT, Journal
from outreach.batch.layout import MANIFEST
from outreach.batch.reader import Batch, ManifestEntry, read_draft
from outreach.errors import InputError
from outreach.send.binding import link_batch
from outreach.send.ledger import Ledger
from outreach.states import State

# A person's approval may restart these; `unknown` needs `resolve`, `sent`/`sending` nothing.
APPROVABLE = (
    State.DRAFTED, State.APPROVED, State.REJECTED, State.DEFERRED, State.FAILED, State.SUPPRESSED
)  # fmt: skip
REJECTABLE = (State.DRAFTED, State.APPROVED, State.DEFERRED, State.FAILED, State.SUPPRESSED)


@dataclass(frozen=True)
class Selection:
    """Which drafts a command means: all, some input rows, or some addresses."""

    all: bool = False
    rows: tuple[int, ...] = ()
    emails: tuple[str, ...] = ()

    def pick(self, batch: Batch) -> list[ManifestEntry]:
        """The matching drafts; InputError when a row or address is not in the batch."""
        if self.all:
            return list(batch.entries)
        by_row = {draft.row: draft for draft in batch.entries}
        by_email = {draft.email.casefold(): draft for draft in batch.entries}
        missing = [str(row) for row in self.rows if row not in by_row]
        missing += [email for email in self.emails if email.casefold() not in by_email]
        if missing:
            raise InputError(f"not in batch '{batch.name}': {', '.join(missing)}")
        picked = {by_row[row].message_id: by_row[row] for row in self.rows}
        picked.update(
            {by_email[e.casefold()].message_id: by_email[e.casefold()] for e in self.emails}
        )
        return sorted(picked.values(), key=lambda draft: draft.row)


def parse_rows(text: str) -> tuple[int, ...]:
    """'3,7,10-12' → (3, 7, 10, 11, 12); InputError on anything else."""
    rows: list[int] = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        low, dash, high = part.partition("-")
        try:
            start, end = int(low), int(high if dash else low)
        except ValueError:
            raise InputError(f"--rows: {part!r} is not a row number or range like 10-12") from None
        if start > end or start < 1:
            raise InputError(f"--rows: {part!r} is not a valid range")
        rows.extend(range(start, end + 1))
    if not rows:
        raise InputError("--rows: give row numbers such as 3,7 or 10-12")
    return tuple(rows)


@dataclass
class ApprovalReport:
    """What an approve or reject command did."""

    changed: int = 0
    unchanged: dict[str, list[int]] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)  # row -> why its draft cannot go

    def skip(self, state: str, row: int) -> None:
        """Note a draft left alone because of its state."""
        self.unchanged.setdefault(state, []).append(row)


def approve(ledger: Ledger, batch: Batch, drafts: Iterable[ManifestEntry]) -> ApprovalReport:
    """Approve drafts as their files are now; sent, sending and unknown ones are left alone."""

    def approve_one(draft: ManifestEntry, state: State) -> bool:
        current = read_draft(batch.path(draft))
        if current.message_id != draft.message_id:
            raise InputError(
                f"draft '{batch.path(draft)}' has Message-ID {current.message_id or 'none'},"
                f" the manifest says {draft.message_id}: draft the batch again"
            )
        return state in APPROVABLE and ledger.move(
            draft.message_id,
            State.APPROVED,
            allowed_from=APPROVABLE,
            reply="approved",
            sha256=current.digest,
            recipient=current.recipient,
            restart=True,
        )

    return _each(ledger, batch, drafts, approve_one)


def reject(ledger: Ledger, batch: Batch, drafts: Iterable[ManifestEntry]) -> ApprovalReport:
    """Take drafts out of sending (until approved again)."""

    def reject_one(draft: ManifestEntry, state: State) -> bool:
        return state in REJECTABLE and ledger.move(
            draft.message_id, State.REJECTED, allowed_from=REJECTABLE, reply="rejected"
        )

    return _each(ledger, batch, drafts, reject_one)


def _each(
    ledger: Ledger,
    batch: Batch,
    drafts: Iterable[ManifestEntry],
    change: Callable[[ManifestEntry, State], bool],
) -> ApprovalReport:
    """Apply `change` to each draft in one transaction; note the ones it left alone."""
    link_batch(batch, ledger)
    ledger.enter(batch)
    entries = ledger.entries(draft.message_id for draft in batch.entries)
    report = ApprovalReport()
    with ledger.atomic():
        for draft in drafts:
            state = entries[draft.message_id].state
            try:
                changed = change(draft, state)
            except InputError as exc:  # this draft alone: the others are still decided
                report.refused[draft.row] = str(exc)
                continue
            if changed:
                report.changed += 1
            else:
                report.skip(state, draft.row)
    return report


def resolve(ledger: Ledger, message_id: str, *, sent: bool, folder: Path | None = None) -> str:
    """Settle an `unknown` message: it did arrive (sent) or send it again (approved).

    A resend is noted in the batch's journal too (`folder`, else where the ledger saw it),
    which would otherwise keep the message from going again.
    """
    key = message_id.strip()
    if not key.startswith("<"):
        key = f"<{key}>"
    entry = ledger.get(key)
    if entry is None:
        raise InputError(f"no message {key} in ledger '{ledger.path}'")
    if entry.state != State.UNKNOWN:
        hint = " (approve it again to retry)" if entry.state == State.FAILED else ""
        raise InputError(f"message {key} is {entry.state}, not unknown{hint}")
    if sent:
        reason = "confirmed as sent by a person"
        ledger.move(key, State.SENT, allowed_from=(State.UNKNOWN,), reply=reason)
        return State.SENT
    batch_folder = folder or Path(entry.folder)
    if not (batch_folder / MANIFEST).is_file():
        raise InputError(
            f"the batch folder of {key} is not at '{entry.folder}' any more: "
            "give it with --batch DIR"
        )
    with Journal(batch_folder) as journal:
        went = journal.gone().get(key)
        if went is not None and went.state == SENT:
            raise InputError(
                f"the batch's journal says the server accepted {key} at {went.at[:19]}: use --sent"
            )
        journal.released(key, ledger.now())
    reason = "resend requested by a person"
    ledger.move(key, State.APPROVED, allowed_from=(State.UNKNOWN,), reply=reason)
    return State.APPROVED
