"""Whether a due message may go now: one set of rules for a send run and its dry run."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from outreach.batch.journal import SENT as SENT_LINE
from outreach.batch.journal import Gone
from outreach.batch.reader import Batch, approved_bytes
from outreach.errors import InputError
from outreach.send.ledger import Entry, Ledger
from outreach.send.schedule import SendWindow, daily_allowance
from outreach.send.suppression import Suppressions
from outreach.settings import Settings
from outreach.states import State

DUE = (State.APPROVED, State.DEFERRED)


class Decision(NamedTuple):
    """What to do with a due message: send these bytes, or move it to `state` because of `reason`.

    `state` is None for a message that is no longer due (approved, rejected or sent elsewhere).
    """

    raw: bytes | None
    state: State | None = None
    reason: str = ""


def decide(
    batch: Batch, entry: Entry | None, suppressions: Suppressions, gone: Mapping[str, Gone]
) -> Decision:
    """Whether a message may go now, as the ledger, the batch's journal and its draft say."""
    if entry is None or entry.state not in DUE:
        return Decision(None)
    if went := gone.get(entry.message_id):
        accepted = went.state == SENT_LINE
        settle = "--sent" if accepted else "--sent` or `--resend"
        reason = (
            f"the batch's journal says it went to the server at {went.at[:19]} (the server "
            f"{'accepted' if accepted else 'may have'} it), which this ledger did not know: was "
            f"the ledger lost or replaced? It is not sent again; `outreach resolve ID {settle}` "
            "settles it"
        )
        return Decision(None, State.UNKNOWN, reason)
    if suppressions.matches(entry.recipient):
        return Decision(None, State.SUPPRESSED, "on the suppression list")
    try:
        raw = approved_bytes(batch.folder / entry.draft, entry.sha256)
    except InputError as exc:
        return Decision(None, State.DRAFTED, f"{exc}; approve it again")
    if raw is None:
        reason = "the draft changed after approval; review it and approve it again"
        return Decision(None, State.DRAFTED, reason)
    return Decision(raw)


def allowance(ledger: Ledger, settings: Settings, now: datetime) -> int | None:
    """Messages the daily limit still allows over the rolling 24 hours (None: no limit)."""
    since = now - timedelta(hours=24)
    return daily_allowance(settings.daily_limit, ledger.delivered_since(since))


def outside_window(window: SendWindow | None, now: datetime) -> str:
    """Why now is outside the sending window, or '' when sending may go on."""
    if window is None or window.contains(now):
        return ""
    opening = window.next_opening(now)
    return f"outside the sending window ({window.text}); it opens {opening:%a %Y-%m-%d %H:%M}"
