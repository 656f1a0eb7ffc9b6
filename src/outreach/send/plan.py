"""A dry run: what a send run would do now, from a read-only look; nothing is written."""

from outreach.batch.journal import Journal, read_link
from outreach.batch.reader import Batch
from outreach.send.binding import open_ledger
from outreach.send.decide import allowance, decide, outside_window
from outreach.send.ledger import Clock
from outreach.send.report import Line, RunReport
from outreach.send.schedule import SendWindow
from outreach.send.suppression import suppressions_in
from outreach.settings import Settings


def dry_run(
    batch: Batch,
    settings: Settings,
    now: Clock,
    window: SendWindow | None,
    max_messages: int | None,
) -> RunReport:
    """What a run would do now, from a read-only look at the ledger; nothing is written."""
    report = RunReport(dry_run=True)
    if not settings.db.is_file() and read_link(batch.folder) is None:
        return report  # no ledger yet: nothing has been approved
    gone = Journal(batch.folder).gone()
    with open_ledger(batch, settings.db, readonly=True, now=now) as ledger:
        queue = ledger.due(batch.message_ids())
        suppressions = suppressions_in(ledger)
        allowed = allowance(ledger, settings, now())
    report.due = len(queue)
    if stop := outside_window(window, now()):
        report.stopped, report.paused, report.left = stop, True, len(queue)
        return report
    budget = min(x for x in (max_messages, allowed, len(queue)) if x is not None)
    would_send = 0
    for entry in queue:
        if would_send >= budget:
            break
        decision = decide(batch, entry, suppressions, gone)
        if decision.raw is None:
            line = Line(entry.row, entry.message_id, entry.recipient, "would skip", decision.reason)
        else:
            line = Line(entry.row, entry.message_id, entry.recipient, "would send", entry.state)
            would_send += 1
        report.lines.append(line)
    report.left = len(queue) - len(report.lines)
    return report
