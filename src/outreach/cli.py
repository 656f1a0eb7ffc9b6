"""The `outreach` command: a thin layer that parses options and reports results."""

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from .errors import OutreachError

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
        from .settings import load_settings

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
@click.pass_obj
def draft(
    obj: Context, contacts: Path, out: Path, batch: str | None, strict: bool, quiet: bool,
    templates: Path | None,
) -> None:  # fmt: skip
    """Write one draft email per row of CONTACTS into OUT/BATCH/ for review."""
    from .pipeline import draft_batch

    settings = obj.settings()
    name = batch or contacts.stem
    with _progress(quiet) as progress:
        report = draft_batch(
            contacts,
            out,
            name,
            settings,
            templates=templates or settings.templates,
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
    from .files import csv_text
    from .ingest import read_contacts
    from .pipeline import classify_contacts

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


def _load_rules(path: Path | None) -> Any:
    """The shipped classifier rules plus the user's file, if any."""
    from .classify import USER_RULES_FILE, load_rules

    if path is None:
        path = Path(USER_RULES_FILE)
        if not path.is_file():
            return None
    return load_rules(path)


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
    click.echo(f"Review page: {report.review_page}")


class _progress:
    """A progress bar on a terminal; nothing under --quiet, in cron or in a pipe."""

    def __init__(self, quiet: bool) -> None:
        self._enabled = not quiet and sys.stderr.isatty()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self._enabled:
            return None
        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.start()
        self._task = self._bar.add_task("Drafting", total=None)
        return self._update

    def _update(self, done: int, total: int) -> None:
        self._bar.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def main() -> None:
    """Entry point: run the CLI and turn every user-caused error into one line."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    try:
        cli.main(standalone_mode=False)
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
