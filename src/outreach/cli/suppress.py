"""The do-not-email list: suppress add, import, list, remove."""

from pathlib import Path

import click

from outreach.cli.base import Context, cli
from outreach.errors import LedgerError


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


@suppress_group.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def suppress_export(obj: Context, file: Path) -> None:
    """Write the list to FILE, one entry a line (a backup that `suppress import` reads)."""
    from outreach.send import suppression
    from outreach.send.ledger import Ledger

    db = obj.settings().db
    if not db.is_file():
        raise LedgerError(f"no ledger at {db}: there is no list to export")
    with Ledger(db, readonly=True) as ledger:
        count = suppression.export_file(ledger, file)
    click.echo(f"Wrote {count} entries to {file}.")
