"""The commands that approve, send and follow a batch: approve, send, status, resolve."""

import logging
import sys
from pathlib import Path

import click

from outreach.cli.base import BATCH_DIR, Context, cli
from outreach.cli.output import progress_bar, run_logging
from outreach.errors import LedgerError

EXIT_ATTENTION, EXIT_STOPPED = 1, 4  # see README "Exit codes"
RESULTS = ("sent", "deferred", "failed", "unknown", "suppressed", "drafted")


@cli.command("approve")
@BATCH_DIR
@click.option("--all", "all_", is_flag=True, help="Every draft in the batch.")
@click.option("--rows", default=None, help="Input rows as in manifest.csv, e.g. 3,7,10-12.")
@click.option("--email", "emails", multiple=True, help="A recipient address (repeatable).")
@click.option("--reject", is_flag=True, help="Take the drafts out of sending instead.")
@click.pass_obj
def approve_command(
    obj: Context, batch_dir: Path, all_: bool, rows: str | None, emails: tuple[str, ...],
    reject: bool,
) -> None:  # fmt: skip
    """Approve (or --reject) drafts exactly as their files are now."""
    from outreach.batch.reader import read_batch
    from outreach.send.approval import Selection, approve, parse_rows
    from outreach.send.approval import reject as reject_drafts
    from outreach.send.binding import open_ledger

    if all_ == bool(rows or emails):
        raise click.UsageError("give --all, or --rows and/or --email")
    selection = Selection(all=all_, rows=parse_rows(rows) if rows else (), emails=emails)
    settings = obj.settings()
    batch = read_batch(batch_dir)
    entries = selection.pick(batch)
    with open_ledger(batch, settings.db, approving=True) as ledger:
        report = (reject_drafts if reject else approve)(ledger, batch, entries)
    verb = "Rejected" if reject else "Approved"
    refused = f"; refused {len(report.refused)}" if report.refused else ""
    click.echo(f"{verb} {report.changed} draft(s) in batch {batch.name}{refused}.")
    for row, reason in sorted(report.refused.items()):
        click.echo(f"Refused row {row}: {reason}", err=True)
    for state, skipped in sorted(report.unchanged.items()):
        hint = "; use `outreach resolve`" if state == "unknown" else ""
        click.echo(f"Left alone, {state}: row(s) {', '.join(map(str, skipped))}{hint}")
    flagged = [entry.row for entry in entries if entry.needs_review]
    if flagged and not reject:
        click.echo(f"Note: {len(flagged)} of them were flagged for review in the manifest.")
    if report.refused:
        sys.exit(EXIT_ATTENTION)


@cli.command("send")
@BATCH_DIR
@click.option("--dry-run", is_flag=True, help="Show what would go out; change nothing.")
@click.option("--max", "max_messages", type=click.IntRange(min=0), help="At most N this run.")
@click.option(
    "--rate", type=click.FloatRange(min=0), default=None,
    help="Messages per minute (default OUTREACH_RATE; 0 = no limit).",
)  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="Log only problems (for cron).")
@click.option(
    "--log-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="Also append every log line to FILE (default OUTREACH_LOG_FILE).",
)  # fmt: skip
@click.pass_obj
def send_command(
    obj: Context, batch_dir: Path, dry_run: bool, max_messages: int | None, rate: float | None,
    quiet: bool, log_file: Path | None,
) -> None:  # fmt: skip
    """Send the batch's approved drafts, each once, at the configured pace."""
    from outreach.batch.reader import read_batch
    from outreach.send.run import send_batch

    settings = obj.settings()
    batch = read_batch(batch_dir)
    if dry_run:
        report = send_batch(batch, settings, max_messages=max_messages, rate=rate, dry_run=True)
        for line in report.lines:
            click.echo(f"{line.result}: row {line.row} {line.recipient} ({line.detail})")
        click.echo(
            f"Dry run: {report.count('would send')} would be sent, {report.due} due"
            + (f"; {report.stopped}" if report.stopped else "")
            + ". Nothing was changed."
        )
        return
    log = logging.getLogger("outreach.run")
    with run_logging(quiet, log_file or settings.log_file), progress_bar(quiet, "Sending") as bar:
        report = send_batch(batch, settings, max_messages=max_messages, rate=rate, progress=bar)
        counts = ", ".join(f"{report.count(r)} {r}" for r in RESULTS if report.count(r))
        summary = f"run {batch.name}: {counts or 'nothing sent'}; {report.left} due left"
        if report.recovered:
            summary += f"; {len(report.recovered)} left by an earlier run are unknown"
        if report.stopped:
            summary += f"; stopped early: {report.stopped}"
        trouble = report.needs_attention or (report.stopped and not report.paused)
        log.log(logging.WARNING if trouble else logging.INFO, summary)
        if report.needs_attention:
            log.warning("see `outreach status %s` for what to do next", batch_dir)
    if report.needs_attention:
        sys.exit(EXIT_ATTENTION)
    if report.stopped:
        sys.exit(EXIT_STOPPED)


@cli.command("status")
@BATCH_DIR
@click.pass_obj
def status_command(obj: Context, batch_dir: Path) -> None:
    """Count the batch's drafts per state and say what to do about the rest."""
    from outreach.batch.reader import read_batch
    from outreach.send.status import NEXT_STEPS, batch_status

    settings = obj.settings()
    status = batch_status(read_batch(batch_dir), settings.db)
    counts = ", ".join(f"{n} {state}" for state, n in status.counts.items() if n)
    click.echo(f"Batch {status.name}: {counts or 'no drafts'}")
    shown: set[str] = set()
    for item in status.attention:
        when = f", next try {item.next_try[:16].replace('T', ' ')} UTC" if item.next_try else ""
        click.echo(f"  {item.state}: row {item.row} {item.recipient} {item.message_id}{when}")
        if item.reason:
            click.echo(f"    {item.reason}")
        shown.add(item.state)
    for state in sorted(shown):
        click.echo(f"Next step for {state}: {NEXT_STEPS[state]}")


@cli.command("resolve")
@click.argument("message_id")
@click.option("--sent", "outcome", flag_value="sent", help="It did arrive: record it as sent.")
@click.option("--resend", "outcome", flag_value="resend", help="It did not: send it again.")
@click.option(
    "--batch", "batch_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
    help="The message's batch folder, if it moved since it was sent.",
)  # fmt: skip
@click.pass_obj
def resolve_command(
    obj: Context, message_id: str, outcome: str | None, batch_dir: Path | None
) -> None:
    """Settle a message whose outcome is unknown."""
    from outreach.send.approval import resolve
    from outreach.send.ledger import Ledger

    if outcome is None:
        raise click.UsageError("give --sent or --resend")
    settings = obj.settings()
    if not settings.db.is_file():
        raise LedgerError(f"ledger '{settings.db}' not found")
    with Ledger(settings.db) as ledger:
        state = resolve(ledger, message_id, sent=outcome == "sent", folder=batch_dir)
    click.echo(f"{message_id} is now {state}.")
