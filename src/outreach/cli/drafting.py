"""The commands that read a contacts file: draft and classify."""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from outreach.classify.rules import USER_RULES_FILE
from outreach.cli.base import FORMATS, Context, cli
from outreach.cli.output import print_table, progress_bar

if TYPE_CHECKING:
    from outreach.classify.rules import Rules
    from outreach.pipeline import BatchReport

CLASSIFY_COLUMNS = ("row", "email", "organisation", "type", "confidence", "evidence")

RULES_OPTION = click.option(
    "--rules",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"Extra classifier rules (default: ./{USER_RULES_FILE} if it exists).",
)


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
    from outreach.ingest.contacts import read_contacts
    from outreach.pipeline import draft_batch

    settings = obj.settings()
    rows = read_contacts(contacts)
    with progress_bar(quiet) as progress:
        report = draft_batch(
            rows,
            out,
            batch or contacts.stem,
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
    from outreach.composer import classify_contacts
    from outreach.files import csv_text
    from outreach.ingest.contacts import read_contacts

    rows_file = read_contacts(contacts)
    rows = [
        {
            "row": item.contact.row,
            "email": item.contact.email,
            "organisation": item.contact.display_name,
            "type": item.classification.type,
            "confidence": round(item.classification.confidence, 2),
            "evidence": "; ".join(item.classification.evidence),
        }
        for item in classify_contacts(rows_file, _load_rules(rules))
    ]
    if fmt == "csv":
        click.echo(csv_text(CLASSIFY_COLUMNS, rows), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        table = [{**row, "confidence": f"{row['confidence']:.2f}"} for row in rows]
        print_table(("row", "organisation", "type", "confidence", "evidence"), table)
    for error in rows_file.errors:
        click.echo(f"{contacts}:{error.row}: {error.field or 'row'}: {error.reason}", err=True)


def _rules_file(path: Path | None) -> Path | None:
    """The user's classifier rules: the option, else ./outreach-rules.toml if it exists."""
    if path is None and Path(USER_RULES_FILE).is_file():
        return Path(USER_RULES_FILE)
    return path


def _load_rules(path: Path | None) -> "Rules | None":
    """The shipped classifier rules plus the user's file, if any."""
    from outreach.classify.rules import load_rules

    file = _rules_file(path)
    return load_rules(file) if file else None


def _echo_draft_summary(report: "BatchReport") -> None:
    skipped = len(report.errors)
    click.echo(f"Drafted {report.drafted} emails into {report.folder}/drafts.")
    if skipped:
        click.echo(f"{skipped} row problem(s) reported: see {report.folder / 'errors.csv'}.")
    if report.flagged:
        click.echo(f"{report.flagged} draft(s) need review.")
    for flag, count in sorted(report.soft_flags.items()):
        click.echo(f"{count} draft(s): {flag}.")
    if report.suppressed:
        click.echo(f"{report.suppressed} address(es) on the opt-out list were not drafted.")
    click.echo(f"Review page: {report.review_page}")
