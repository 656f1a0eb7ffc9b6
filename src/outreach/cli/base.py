"""The `outreach` command group, its shared options, and the one place errors become lines."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from outreach.errors import OutreachError

if TYPE_CHECKING:
    from outreach.settings import Settings

FORMATS = ("table", "csv", "json")
BATCH_DIR = click.argument("batch_dir", type=click.Path(path_type=Path, file_okay=False))


class Context:
    """Options shared by every command."""

    def __init__(self, env_file: Path | None) -> None:
        self.env_file = env_file

    def settings(self) -> "Settings":
        """Load the settings (only commands that need them do)."""
        from outreach.settings import load_settings

        return load_settings(self.env_file)


class OutreachGroup(click.Group):
    """Runs a command and turns every error a user (or a full disk) can cause into one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OutreachError as exc:
            _fail(ctx, str(exc), exc.exit_code)
        except OSError as exc:  # a file or folder the library did not name itself
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(ctx, f"{where}{exc.strerror or exc}", 2)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    click.echo(f"Error: {' '.join(message.split())}", err=True)
    ctx.exit(code)


@click.group(cls=OutreachGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
