"""The `outreach` command: a thin layer that parses options and reports results."""

import logging
import sys

import click

from outreach.cli import drafting, sending, suppress  # noqa: F401  (they add their commands)
from outreach.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point: run the CLI; errors were turned into one line by the group already."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.raiseExceptions = False  # a log line lost to a full disk is no reason for a traceback
    try:
        cli.main(prog_name="outreach")
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
