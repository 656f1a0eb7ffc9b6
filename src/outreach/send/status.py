"""Where a batch stands: counts per state and what a person should do about the rest."""

from dataclasses import dataclass, field
from pathlib import Path

from outreach.batch.journal import Journal, read_link
from outreach.batch.reader import Batch, approved_bytes
from outreach.errors import InputError
from outreach.send.binding import open_ledger
from outreach.send.ledger import Entry
from outreach.states import State

NEXT_STEPS = {
    State.FAILED: "the server refused it for good: check the address; `outreach approve BATCH "
    "--rows ROW` to try again after fixing it",
    State.DEFERRED: "refused for now; the next `outreach send` after the time shown retries it",
    State.UNKNOWN: "the connection ended before the server confirmed it, so it may have arrived: "
    "look in the account's Sent folder or ask the recipient, then `outreach resolve ID --sent` or "
    "`outreach resolve ID --resend`",
    "changed": "the draft changed after approval: review it and approve it again",
    "journal": "the ledger does not know it went (was the ledger lost or replaced?): it is "
    "never sent again; the next `outreach send` marks it unknown, then check the Sent folder and "
    "`outreach resolve ID --sent` (or `--resend` if it never arrived)",
}


@dataclass(frozen=True)
class Attention:
    """A message a person should look at."""

    row: int
    message_id: str
    recipient: str
    state: str
    reason: str
    next_try: str


@dataclass
class BatchStatus:
    """Counts per state, and the messages that need attention, in row order."""

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    attention: list[Attention] = field(default_factory=list)


def batch_status(batch: Batch, db: Path) -> BatchStatus:
    """The state of every draft in `batch`, read without changing the ledger."""
    entries: dict[str, Entry] = {}
    if db.is_file() or read_link(batch.folder) is not None:
        with open_ledger(batch, db, readonly=True) as ledger:
            entries = ledger.entries(batch.message_ids())
    gone = Journal(batch.folder).gone()
    status = BatchStatus(batch.name, counts=dict.fromkeys(State, 0))
    for draft in batch.entries:
        entry = entries.get(draft.message_id)
        state = entry.state if entry else State.DRAFTED
        status.counts[state] += 1
        went = gone.get(draft.message_id)
        if went is not None and state not in (State.SENDING, State.SENT, State.UNKNOWN):
            reason = f"the batch's journal says it went to the server at {went.at[:19]}"
            status.attention.append(
                Attention(draft.row, draft.message_id, draft.email, "journal", reason, "")
            )
            continue
        if entry is None:
            continue
        if state in (State.FAILED, State.DEFERRED, State.UNKNOWN):
            status.attention.append(
                Attention(
                    draft.row, draft.message_id, entry.recipient, state, entry.reply, entry.next_try
                )
            )
        elif state == State.APPROVED and _changed(batch, entry):
            status.attention.append(
                Attention(draft.row, draft.message_id, entry.recipient, "changed", "", "")
            )
        elif state == State.DRAFTED and entry.reply.startswith("the draft changed"):
            status.attention.append(
                Attention(draft.row, draft.message_id, entry.recipient, "changed", entry.reply, "")
            )
    return status


def _changed(batch: Batch, entry: Entry) -> bool:
    try:
        return approved_bytes(batch.folder / entry.draft, entry.sha256) is None
    except InputError:
        return True
