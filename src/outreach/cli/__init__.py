"""The `outreach` command: a thin layer that parses options and reports results."""

import gc
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from outreach.errors import OutreachError

FORMATS = ("table", "csv", "json")
RULES_OPTION = click.option(
    "--rules",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Extra classifier rules (default: ./outreach-rules.toml if it exists).",
)


class Context:
    """Options shared by every command."""

    def __init__(self, env_file: Path | None) -> None:
        self.env_file = env_file

    def settings(self) -> Any:
        """Load the settings (only commands that need them do)."""
        from outreach.settings import load_settings

        return load_settings(self.env_file)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="outreach")
@click.option(
    "--env-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Settings file to read instead of ./.env.",
)
@click.pass_context
def cli(ctx: click.Context, env_file: Path | None) -> None:
    """Turn a spreadsheet of organisations into reviewed partnership emails."""
    ctx.obj = Context(env_file)


@cli.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Folder that holds the batch folders.",
)
@click.option("--batch", default=None, help="Batch name (default: the contacts file's name).")
@click.option("--strict", is_flag=True, help="Exit 1 when any row was bad.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder with the email templates and content (default: the shipped ones).",
)
@RULES_OPTION
@click.pass_obj
def draft(
    obj: Context, contacts: Path, out: Path, batch: str | None, strict: bool, quiet: bool,
    templates: Path | None, rules: Path | None,
) -> None:  # fmt: skip
    """Write one draft email per row of CONTACTS into OUT/BATCH/ for review."""
    from outreach.pipeline import draft_batch

    settings = obj.settings()
    name = batch or contacts.stem
    with _progress(quiet) as progress:
        report = draft_batch(
            contacts,
            out,
            name,
            settings,
            templates=templates or settings.templates,
            rules_file=_rules_file(rules),
            progress=progress,
        )
    if not quiet:
        _echo_draft_summary(report)
    if strict and report.errors:
        sys.exit(1)


@cli.command("classify")
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@RULES_OPTION
def classify_command(contacts: Path, fmt: str, rules: Path | None) -> None:
    """Show the type, confidence and evidence for each row of CONTACTS."""
    from outreach.files import csv_text
    from outreach.ingest.contacts import read_contacts
    from outreach.pipeline import classify_contacts

    ingested = read_contacts(contacts)
    rows = [
        {
            "row": item.contact.row,
            "email": item.contact.email,
            "organisation": item.contact.display_name,
            "type": item.classification.type,
            "confidence": round(item.classification.confidence, 2),
            "evidence": "; ".join(item.classification.evidence),
        }
        for item in classify_contacts(ingested.contacts, _load_rules(rules))
    ]
    columns = ("row", "email", "organisation", "type", "confidence", "evidence")
    if fmt == "csv":
        click.echo(csv_text(columns, rows), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        _print_table(rows)
    for error in ingested.errors:
        click.echo(f"{contacts}:{error.row}: {error.field or 'row'}: {error.reason}", err=True)


def _rules_file(path: Path | None) -> Path | None:
    """The user's classifier rules: the option, else ./outreach-rules.toml if it exists."""
    from outreach.classify.classifier import USER_RULES_FILE

    if path is None and Path(USER_RULES_FILE).is_file():
        return Path(USER_RULES_FILE)
    return path


def _load_rules(path: Path | None) -> Any:
    """The shipped classifier rules plus the user's file, if any."""
    from outreach.classify.classifier import load_rules

    file = _rules_file(path)
    return load_rules(file) if file else None


def _print_table(rows: list[dict[str, Any]]) -> None:
    """A table for people: one line of evidence per finding."""
    import shutil

    from rich.console import Console
    from rich.table import Table

    table = Table("row", "organisation", "type", "confidence", "evidence", show_lines=True)
    for row in rows:
        evidence = str(row["evidence"]).replace("; ", "\n")
        table.add_row(
            str(row["row"]), row["organisation"], row["type"], f"{row['confidence']:.2f}", evidence
        )
    width = max(shutil.get_terminal_size((140, 24)).columns, 120)
    Console(width=width, soft_wrap=False).print(table)


def _echo_draft_summary(report: Any) -> None:
    skipped = len(report.errors)
    click.echo(f"Drafted {report.drafted} emails into {report.folder}/drafts.")
    if skipped:
        click.echo(f"{skipped} row problem(s) reported: see {report.folder / 'errors.csv'}.")
    if report.flagged:
        click.echo(f"{report.flagged} draft(s) need review.")
    if report.suppressed:
        click.echo(f"{report.suppressed} address(es) on the opt-out list were not drafted.")
    click.echo(f"Review page: {report.review_page}")


class _progress:
    """A progress bar on a terminal; nothing under --quiet, in cron or in a pipe."""

    def __init__(self, quiet: bool, label: str = "Drafting") -> None:
        self._enabled = not quiet and sys.stderr.isatty()
        self._label = label
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self._enabled:
            return None
        from rich.progress import Progress

        # No refresh thread: worker processes are forked, which is only safe single-threaded.
        self._bar = Progress(transient=True, auto_refresh=False)
        self._bar.start()
        self._task = self._bar.add_task(self._label, total=None)
        return self._update

    def _update(self, done: int, total: int) -> None:
        self._bar.update(self._task, completed=done, total=total)
        if done % 50 == 0 or done == total:
            self._bar.refresh()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


# Sending: approve, send, status, resolve, suppress.

BATCH_DIR = click.argument("batch_dir", type=click.Path(path_type=Path, file_okay=False))
EXIT_ATTENTION, EXIT_STOPPED = 1, 4  # see README "Exit codes"


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
    from outreach.send.ledger import Ledger

    if all_ == bool(rows or emails):
        raise click.UsageError("give --all, or --rows and/or --email")
    selection = Selection(all=all_, rows=parse_rows(rows) if rows else (), emails=emails)
    settings = obj.settings()
    batch = read_batch(batch_dir)
    drafts = selection.pick(batch)
    with Ledger(settings.db) as ledger:
        report = (reject_drafts if reject else approve)(ledger, batch, drafts)
    verb = "Rejected" if reject else "Approved"
    click.echo(f"{verb} {report.changed} draft(s) in batch {batch.name}.")
    for state, skipped in sorted(report.unchanged.items()):
        hint = "; use `outreach resolve`" if state == "unknown" else ""
        click.echo(f"Left alone, {state}: row(s) {', '.join(map(str, skipped))}{hint}")
    flagged = [draft.row for draft in drafts if draft.needs_review]
    if flagged and not reject:
        click.echo(f"Note: {len(flagged)} of them were flagged for review in the manifest.")


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
    with _send_logging(quiet, log_file or settings.log_file), _progress(quiet, "Sending") as bar:
        report = send_batch(
            batch, settings, max_messages=max_messages, rate=rate, progress=bar
        )  # fmt: skip
        counts = ", ".join(
            f"{report.count(state)} {state}"
            for state in ("sent", "deferred", "failed", "unknown", "suppressed", "drafted")
            if report.count(state)
        )
        summary = f"run {batch.name}: {counts or 'nothing sent'}; {report.left} due left"
        if report.recovered:
            summary += f"; {len(report.recovered)} left by an earlier run are unknown"
        if report.stopped:
            summary += f"; stopped early: {report.stopped}"
        trouble = report.needs_attention or (report.stopped and not report.paused)
        level = logging.WARNING if trouble else logging.INFO
        log.log(level, summary)
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
@click.pass_obj
def resolve_command(obj: Context, message_id: str, outcome: str | None) -> None:
    """Settle a message whose outcome is unknown."""
    from outreach.send.approval import resolve
    from outreach.send.ledger import Ledger

    if outcome is None:
        raise click.UsageError("give --sent or --resend")
    settings = obj.settings()
    if not settings.db.is_file():
        raise OutreachError(f"ledger '{settings.db}' not found")
    with Ledger(settings.db) as ledger:
        state = resolve(ledger, message_id, sent=outcome == "sent")
    click.echo(f"{message_id} is now {state}.")


@cli.group("suppress")
def suppress_group() -> None:
    """The do-not-email list: ADDRESS or @domain (a domain covers its subdomains)."""


@suppress_group.command("add")
@click.argument("entries", nargs=-1, required=True)
@click.pass_obj
def suppress_add(obj: Context, entries: tuple[str, ...]) -> None:
    """Never email these addresses or @domains."""
    from outreach.send import suppression
    from outreach.send.ledger import Ledger

    with Ledger(obj.settings().db) as ledger:
        added = suppression.add(ledger, entries)
    click.echo(f"Added {added} (of {len(entries)}) to the suppression list.")


@suppress_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def suppress_import(obj: Context, file: Path) -> None:
    """Add every address or @domain found in FILE (text or CSV)."""
    from outreach.send import suppression
    from outreach.send.ledger import Ledger

    with Ledger(obj.settings().db) as ledger:
        report = suppression.import_file(ledger, file)
    for problem in report.problems:
        click.echo(problem, err=True)
    click.echo(f"Added {report.added} new of {report.seen} found in {file}.")


@suppress_group.command("list")
@click.pass_obj
def suppress_list(obj: Context) -> None:
    """Show the list: entry, when it was added, where from."""
    from outreach.send.ledger import Ledger

    db = obj.settings().db
    if not db.is_file():
        return
    with Ledger(db, readonly=True) as ledger:
        for entry, added, source in ledger.suppression_entries():
            click.echo(f"{entry}\t{added[:19].replace('T', ' ')}\t{source}")


@suppress_group.command("remove")
@click.argument("entry")
@click.pass_obj
def suppress_remove(obj: Context, entry: str) -> None:
    """Take an address or @domain off the list."""
    from outreach.send import suppression
    from outreach.send.ledger import Ledger

    with Ledger(obj.settings().db) as ledger:
        removed = suppression.remove(ledger, entry)
    click.echo(f"Removed {entry}." if removed else f"{entry} was not on the list.")


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time, so a progress bar can redirect it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


@contextmanager
def _send_logging(quiet: bool, log_file: Path | None) -> Iterator[None]:
    """One timestamped line per message to stderr (problems only if quiet) and the log file."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    logger = logging.getLogger("outreach")
    handlers: list[logging.Handler] = [_CurrentStderr()]
    handlers[0].setLevel(logging.WARNING if quiet else logging.INFO)
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.propagate = True


def _skip_collecting_at_exit() -> None:
    """The command is done: let the interpreter exit without collecting every object one by one.

    A final garbage collection over pandas, premailer and the rest took 0.3-0.4 s after each
    draft; frozen objects are left out of it (files and connections are closed by then).
    """
    gc.freeze()


def main() -> None:
    """Entry point: run the CLI and turn every user-caused error into one line."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        cli.main(standalone_mode=False)
        _skip_collecting_at_exit()
    except OutreachError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
