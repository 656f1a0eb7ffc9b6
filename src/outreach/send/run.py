"""The send run: approved drafts out through one connection, every step recorded first."""

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from outreach.batch.reader import Batch, approved_bytes
from outreach.errors import InputError, LockedError, SmtpUnavailableError
from outreach.send.ledger import (
    APPROVED,
    DEFERRED,
    DRAFTED,
    FAILED,
    SENDING,
    SENT,
    SUPPRESSED,
    UNKNOWN,
    Clock,
    Entry,
    Ledger,
    backoff,
    utc_now,
)
from outreach.send.schedule import RateLimiter, SendWindow, daily_allowance, parse_window
from outreach.send.smtp import (
    SKIPPED,
    STATE_CHANGED,
    Connection,
    Outcome,
    SenderRefusedError,
    connect,
    envelope_address,
)
from outreach.send.suppression import suppressions_in
from outreach.settings import Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # temporary refusals before a message counts as failed (about two days)
IDLE_CHECK = 20.0  # seconds unused after which the connection is checked before the next message
Progress = Callable[[int, int], None]


@dataclass
class Runtime:
    """What the run touches outside itself, passed in so tests can replace it."""

    connect: Callable[[], Connection]
    now: Clock = utc_now
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Line:
    """One message's result in a run."""

    row: int
    message_id: str
    recipient: str
    result: str
    detail: str


@dataclass(frozen=True)
class _Change:
    """A message's new state, held in memory until the next commit (see _Run._commit)."""

    message_id: str
    state: str
    reason: str
    allowed_from: tuple[str, ...]
    at: datetime
    next_try: datetime | None = None
    attempt: bool = False


class _Look(NamedTuple):
    """A message as the ledger has it now and, if it may go, the bytes that were approved."""

    entry: Entry | None
    raw: bytes | None = None
    problem: str = ""  # why the bytes may not go (the message goes back to `drafted`)


@dataclass
class RunReport:
    """What a send run did (or, with dry_run, would do)."""

    dry_run: bool = False
    lines: list[Line] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    due: int = 0
    left: int = 0
    stopped: str = ""
    paused: bool = False  # stopped by the window or the daily limit: expected, clears by itself

    def count(self, result: str) -> int:
        """How many messages ended this run with `result`."""
        return sum(line.result == result for line in self.lines)

    @property
    def needs_attention(self) -> bool:
        """Failed or unknown messages: a person has to look."""
        return bool(self.recovered) or any(x.result in (FAILED, UNKNOWN) for x in self.lines)


@contextmanager
def run_lock(db: Path) -> Iterator[None]:
    """Hold the ledger's run lock; LockedError at once if another run has it."""
    path = db.with_name(db.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise LockedError(
                f"another send run (pid {holder or '?'}) holds {path}; this run steps aside"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock; the kernel does the same if we are killed


def send_batch(
    batch: Batch,
    settings: Settings,
    runtime: Runtime | None = None,
    *,
    max_messages: int | None = None,
    rate: float | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Send the batch's approved, due drafts; with `dry_run`, only say what would go."""
    runtime = runtime or Runtime(connect=lambda: connect(settings))
    window = parse_window(settings.send_window)
    per_minute = settings.rate if rate is None else rate
    if dry_run:
        return _plan(batch, settings, runtime, window, max_messages)
    with run_lock(settings.db), Ledger(settings.db, now=runtime.now) as ledger:
        run = _Run(batch, settings, runtime, ledger, window, per_minute, progress)
        return run.go(max_messages)


class _Run:
    """One send run over one ledger, holding the lock.

    One commit (one fsync) per message: a message's outcome is kept in memory and committed
    together with the next message's `sending`, which must be on disk before that message's
    DATA. A crash in between leaves the finished message in `sending`, which the next run
    turns into `unknown`: never sent twice, never lost. Nothing waits uncommitted through a
    pause of the rate limiter, a connection attempt or an idle check, nor past the run's end.

    Once the loop has begun, only a helper thread touches the ledger, one task after another:
    the commit runs while the server answers the envelope (the run waits for it before the
    message's bytes go), and the next message is read while the server stores this one.
    The helper also logs each line, before the commit that follows it. The run's own thread
    notes changes and lines only while no commit is under way.
    """

    def __init__(
        self,
        batch: Batch,
        settings: Settings,
        runtime: Runtime,
        ledger: Ledger,
        window: SendWindow | None,
        per_minute: float,
        progress: Progress | None,
    ) -> None:
        self.batch, self.settings, self.runtime, self.ledger = batch, settings, runtime, ledger
        self.window = window
        self.limiter = RateLimiter(per_minute, runtime.clock, runtime.sleep)
        self.progress = progress
        self.report = RunReport()
        self.sender = envelope_address(settings.from_address)
        self.connection: Connection | None = None
        self.last_used = 0.0
        self.pending: list[_Change] = []
        self.helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outreach-ledger")
        self.ahead: tuple[str, Future[_Look]] | None = None
        self.unlogged: list[Line] = []  # logged by the helper thread before its next commit
        self.suppressions = suppressions_in(ledger)

    def go(self, max_messages: int | None) -> RunReport:
        report, ledger = self.report, self.ledger
        report.recovered = ledger.recover_interrupted()
        for message_id in report.recovered:
            log.warning(
                "unknown %s: a run ended while sending it; see `outreach status`", message_id
            )
        ledger.enter(self.batch.for_ledger())
        queue = ledger.due(self.batch.message_ids())
        report.due = len(queue)
        allowance = _allowance(ledger, self.settings, self.runtime)
        attempted = losses = 0
        try:
            for done, queued in enumerate(queue):
                if self.progress:
                    self.progress(done, len(queue))
                report.left = len(queue) - done
                if max_messages is not None and attempted >= max_messages:
                    break
                if stop := self._stop_reason(allowance):
                    report.stopped, report.paused = stop, True
                    break
                # Read again: `approve` or `reject` may have changed it since the run began.
                entry, raw, problem = self._look(queued.message_id)
                if entry is None or entry.state not in (APPROVED, DEFERRED):
                    continue
                if self.suppressions.matches(entry.recipient):
                    self._record(entry, SUPPRESSED, "on the suppression list", (APPROVED, DEFERRED))
                    continue
                if raw is None:
                    self._record(entry, DRAFTED, problem, (APPROVED, DEFERRED))
                    continue
                if self.limiter.delay() > 0:
                    self._commit()
                self.limiter.wait()
                self._drop_if_stale()
                if self.connection is None:
                    self._commit()
                    try:
                        self.connection = self.runtime.connect()
                    except SmtpUnavailableError as exc:
                        report.stopped = str(exc)
                        break
                attempted += 1
                following = queue[done + 1].message_id if done + 1 < len(queue) else None
                outcome = self._deliver(entry, raw, following)
                self.last_used = self.runtime.clock()
                if allowance is not None and outcome.kind in (SENT, UNKNOWN):
                    allowance -= 1
                if outcome.kind == SENT:
                    losses = 0
                if not outcome.usable:
                    self.connection = None
                    losses += outcome.kind != SKIPPED  # a skipped one was dropped on purpose
                    if losses >= 2:
                        report.stopped = f"the connection was lost twice in a row ({outcome.reply})"
                        report.left = len(queue) - done - 1
                        break
            else:
                report.left = 0
        finally:
            try:
                self._commit()
            finally:
                self.helper.shutdown()
                if self.connection is not None:
                    self.connection.close()
        if self.progress:
            self.progress(len(queue) - report.left, len(queue))
        return report

    def _drop_if_stale(self) -> None:
        """Servers close idle connections; at a slow rate, check before reuse, not by failing."""
        if self.connection is None or self.runtime.clock() - self.last_used < IDLE_CHECK:
            return
        self._commit()
        if not self.connection.alive():
            self.connection.close()
            self.connection = None

    def _stop_reason(self, allowance: int | None) -> str:
        if allowance is not None and allowance <= 0:
            return f"daily limit of {self.settings.daily_limit} messages in 24 hours reached"
        now = self.runtime.now()
        if self.window is not None and not self.window.contains(now):
            opening = self.window.next_opening(now)
            return (
                f"outside the sending window ({self.window.text});"
                f" it opens {opening:%a %Y-%m-%d %H:%M}"
            )
        return ""

    def _look(self, message_id: str) -> _Look:
        """The message now: read ahead while the one before was sent, or else read here."""
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] == message_id:
            return ahead[1].result()
        return self.helper.submit(self._read, message_id).result()

    def _read(self, message_id: str) -> _Look:
        """(In the helper thread.) The ledger's entry and, if it may go, its approved bytes."""
        entry = self.ledger.get(message_id)
        if entry is None or entry.state not in (APPROVED, DEFERRED):
            return _Look(entry)
        try:
            raw = approved_bytes(self.batch.folder / entry.draft, entry.sha256)
        except InputError as exc:
            return _Look(entry, None, f"{exc}; approve it again")
        if raw is None:
            return _Look(
                entry, None, "the draft changed after approval; review it and approve it again"
            )
        return _Look(entry, raw)

    def _deliver(self, entry: Entry, raw: bytes, following: str | None) -> Outcome:
        assert self.connection is not None
        # Committed before the message's bytes go: a crash from then on leaves `sending`,
        # which becomes unknown. The fsync overlaps the server's answers to the envelope.
        claim = self.helper.submit(self._commit_now, entry)
        if following is not None:
            self.ahead = (following, self.helper.submit(self._read, following))
        try:
            outcome = self.connection.deliver(self.sender, entry.recipient, raw, claim.result)
        except SenderRefusedError:
            if claim.result():  # claimed while MAIL was answered; nothing went
                reason = "not sent: the server refused the sender"
                retry = datetime.fromisoformat(entry.next_try) if entry.next_try else None
                self._record(entry, entry.state, reason, (SENDING,), next_try=retry)
            raise
        finally:
            wait([claim])  # the ledger is free again only once the commit has ended
        if not claim.result() and outcome.kind != SKIPPED:  # raises if the commit failed
            # Refused before the claim was needed, but the claim failed: the message is not
            # this run's any more (rejected or approved again meanwhile), so leave it alone.
            outcome = Outcome(SKIPPED, STATE_CHANGED, outcome.usable)
        if outcome.kind == DEFERRED and entry.attempts + 1 >= MAX_ATTEMPTS:
            outcome = Outcome(FAILED, f"gave up after {MAX_ATTEMPTS} tries: {outcome.reply}")
        elif outcome.kind not in (SENT, DEFERRED, FAILED, UNKNOWN):
            self._line(entry, "skipped", outcome.reply)
            return outcome
        next_try = None
        if outcome.kind == DEFERRED:
            next_try = self.runtime.now() + backoff(entry.attempts + 1)
        self._record(
            entry,
            outcome.kind,
            outcome.reply,
            (SENDING, APPROVED, DEFERRED),
            next_try=next_try,
            attempt=True,
        )
        return outcome

    def _record(
        self,
        entry: Entry,
        state: str,
        reason: str,
        allowed_from: tuple[str, ...],
        *,
        next_try: datetime | None = None,
        attempt: bool = False,
    ) -> None:
        """Note a message's new state; it is committed with the next `sending` or sooner."""
        at = self.runtime.now()
        change = _Change(entry.message_id, state, reason, allowed_from, at, next_try, attempt)
        self.pending.append(change)
        self._line(entry, state, reason)

    def _commit(self) -> None:
        """Commit the noted changes now (in the helper thread, after what it is doing)."""
        self.helper.submit(self._commit_now).result()

    def _commit_now(self, claim: Entry | None = None) -> bool:
        """(In the helper thread.) Commit the noted changes and, with `claim`, move that
        message to `sending` in the same transaction; return whether the claim succeeded.

        The claim holds only while the message is still approved (or deferred) with the hash
        of the bytes about to go: a `reject`, or an approval of an edited draft, that lands
        after the run read the draft wins."""
        # Logged here, while the run's thread waits for the server: formatting and writing a
        # line took a quarter of that thread's own time per message.
        self._log_lines()
        if not self.pending and claim is None:
            return False
        ledger = self.ledger
        with ledger.atomic():
            for change in self.pending:
                ledger.move(
                    change.message_id,
                    change.state,
                    allowed_from=change.allowed_from,
                    reply=change.reason,
                    next_try=change.next_try,
                    attempt=change.attempt,
                    at=change.at,
                )
            claimed = claim is not None and ledger.move(
                claim.message_id,
                SENDING,
                allowed_from=(APPROVED, DEFERRED),
                if_sha256=claim.sha256,
            )
        self.pending.clear()
        return claimed

    def _line(self, entry: Entry, result: str, detail: str) -> None:
        line = Line(entry.row, entry.message_id, entry.recipient, result, detail)
        self.report.lines.append(line)
        self.unlogged.append(line)

    def _log_lines(self) -> None:
        """(In the helper thread.) Log the lines noted since the last commit, in order."""
        lines, self.unlogged = self.unlogged, []
        for line in lines:
            level = logging.INFO if line.result in (SENT, SUPPRESSED) else logging.WARNING
            log.log(
                level,
                "%s row %d %s %s: %s",
                line.result,
                line.row,
                line.recipient,
                line.message_id,
                line.detail,
            )


def _allowance(ledger: Ledger, settings: Settings, runtime: Runtime) -> int | None:
    """Messages the daily limit still allows over the rolling 24 hours (None: no limit)."""
    since = runtime.now() - timedelta(hours=24)
    return daily_allowance(settings.daily_limit, ledger.delivered_since(since))


def _plan(
    batch: Batch,
    settings: Settings,
    runtime: Runtime,
    window: SendWindow | None,
    max_messages: int | None,
) -> RunReport:
    """What a run would do now, from a read-only look at the ledger; nothing is written."""
    report = RunReport(dry_run=True)
    if not settings.db.is_file():
        return report  # no ledger yet: nothing has been approved
    with Ledger(settings.db, now=runtime.now, readonly=True) as ledger:
        queue = ledger.due(batch.message_ids())
        suppressions = suppressions_in(ledger)
        allowance = _allowance(ledger, settings, runtime)
    report.due = len(queue)
    now = runtime.now()
    if window is not None and not window.contains(now):
        report.stopped, report.paused = f"outside the sending window ({window.text})", True
        report.left = len(queue)
        return report
    budget = min(x for x in (max_messages, allowance, len(queue)) if x is not None)
    would_send = 0
    for entry in queue:
        if would_send >= budget:
            break
        if suppressions.matches(entry.recipient):
            result, detail = "would skip", "on the suppression list"
        else:
            try:
                changed = approved_bytes(batch.folder / entry.draft, entry.sha256) is None
            except InputError as exc:
                changed, detail = True, str(exc)
            else:
                detail = "the draft changed after approval" if changed else entry.state
            result = "would skip" if changed else "would send"
            would_send += not changed
        report.lines.append(Line(entry.row, entry.message_id, entry.recipient, result, detail))
    report.left = len(queue) - len(report.lines)
    return report
