"""What the commands print: progress bars, tables, and the send run's log lines."""

import logging
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

ProgressCallback = Callable[[int, int], None]


class progress_bar:
    """A progress bar on a terminal; nothing under --quiet, in cron or in a pipe."""

    def __init__(self, quiet: bool, label: str = "Drafting") -> None:
        self._enabled = not quiet and sys.stderr.isatty()
        self._label = label
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressCallback | None:
        if not self._enabled:
            return None
        from rich.progress import Progress

        # No refresh thread: worker processes are forked, which is only safe single-threaded.
        self._bar = Progress(transient=True, auto_refresh=False)
        self._bar.start()
        self._task = self._bar.add_task(self._label, total=None)
        return self._update

    def _update(self, done: int, total: int) -> None:
        assert self._bar is not None and self._task is not None
        self._bar.update(self._task, completed=done, total=total)
        if done % 50 == 0 or done == total:
            self._bar.refresh()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def print_table(columns: Sequence[str], rows: Sequence[Mapping[str, object]]) -> None:
    """A table for people; a value's "; " parts go on lines of their own."""
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns, show_lines=True)
    for row in rows:
        table.add_row(*(str(row[column]).replace("; ", "\n") for column in columns))
    width = max(shutil.get_terminal_size((140, 24)).columns, 120)
    Console(width=width, soft_wrap=False).print(table)


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time, so a progress bar can redirect it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


@contextmanager
def run_logging(quiet: bool, log_file: Path | None) -> Iterator[None]:
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
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(level)
        logger.propagate = propagate
