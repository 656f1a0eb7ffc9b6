"""The send run: approved drafts out through one connection, every step recorded first."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import NamedTuple

from outreach.batch.date_header import dated
from outreach.batch.reader import Batch, approved_bytes
from outreach.errors import InputError, SmtpUnavailableError
from outreach.ingest.addresses import ascii_address
from outreach.send.ledger import Clock, Entry, Ledger, backoff, utc_now
from outreach.send.lock import run_lock
from outreach.send.schedule import RateLimiter, SendWindow, daily_allowance, parse_window
from outreach.send.smtp import Connection, Outcome, SenderRefusedError, connect
from outreach.send.suppression import Suppressions, suppressions_in
from outreach.settings import Settings
from outreach.states import State

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # temporary refusals before a message counts as failed (about two days)
IDLE_CHECK = 20.0  # seconds unused after which the connection is checked before the next message
DUE = (State.APPROVED, State.DEFERRED)
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


class Decision(NamedTuple):
    """What to do with a due message: send these bytes, or move it to `state` because of `reason`.

    `state` is None for a message that is no longer due (approved, rejected or sent elsewhere).
    """

    raw: bytes | None
    state: State | None = None
    reason: str = ""


def decide(batch: Batch, entry: Entry | None, suppressions: Suppressions) -> Decision:
    """Whether a message may go now, as the ledger and its draft file say."""
    if entry is None or entry.state not in DUE:
        return Decision(None)
    if suppressions.matches(entry.recipient):
        return Decision(None, State.SUPPRESSED, "on the suppression list")
    try:
        raw = approved_bytes(batch.folder / entry.draft, entry.sha256)
    except InputError as exc:
        return Decision(None, State.DRAFTED, f"{exc}; approve it again")
    if raw is None:
        reason = "the draft changed after approval; review it and approve it again"
        return Decision(None, State.DRAFTED, reason)
    return Decision(raw)


@dataclass(frozen=True)
class _Change:
    """A message's new state, held in memory until the next commit (see _Run)."""

    message_id: str
    state: State
    reason: str
    allowed_from: tuple[State, ...]
    at: datetime
    next_try: datetime | None = None
    attempt: bool = False


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
        return bool(self.recovered) or any(
            x.result in (State.FAILED, State.UNKNOWN) for x in self.lines
        )


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
    if dry_run:
        return _dry_run(batch, settings, runtime, window, max_messages)
    per_minute = settings.rate if rate is None else rate
    with run_lock(settings.db), Ledger(settings.db, now=runtime.now) as ledger:
        run = _Run(batch, settings, runtime, ledger, window, per_minute, progress)
        return run.go(max_messages)


def _allowance(ledger: Ledger, settings: Settings, runtime: Runtime) -> int | None:
    """Messages the daily limit still allows over the rolling 24 hours (None: no limit)."""
    since = runtime.now() - timedelta(hours=24)
    return daily_allowance(settings.daily_limit, ledger.delivered_since(since))


def _outside_window(window: SendWindow | None, now: datetime) -> str:
    """Why now is outside the sending window, or '' when sending may go on."""
    if window is None or window.contains(now):
        return ""
    opening = window.next_opening(now)
    return f"outside the sending window ({window.text}); it opens {opening:%a %Y-%m-%d %H:%M}"


def _dry_run(
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
    if stop := _outside_window(window, runtime.now()):
        report.stopped, report.paused, report.left = stop, True, len(queue)
        return report
    budget = min(x for x in (max_messages, allowance, len(queue)) if x is not None)
    would_send = 0
    for entry in queue:
        if would_send >= budget:
            break
        decision = decide(batch, entry, suppressions)
        if decision.raw is None:
            line = Line(entry.row, entry.message_id, entry.recipient, "would skip", decision.reason)
        else:
            line = Line(entry.row, entry.message_id, entry.recipient, "would send", entry.state)
            would_send += 1
        report.lines.append(line)
    report.left = len(queue) - len(report.lines)
    return report


class _Run:
    """One send run over one ledger, holding the lock.

    One commit (one fsync) per message: a message's outcome is kept in memory and committed
    together with the next message's `sending` (its claim), which is on disk before that
    message's first command goes to the server. A crash in between leaves the finished message
    in `sending`, which the next run turns into `unknown`: never sent twice, never lost.
    Nothing waits uncommitted through a pause of the rate limiter, a connection attempt or an
    idle check, nor past the run's end.
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
        self.sender = ascii_address(settings.from_address)
        self.connection: Connection | None = None
        self.last_used = 0.0
        self.pending: list[_Change] = []
        self.suppressions = suppressions_in(ledger)

    def go(self, max_messages: int | None) -> RunReport:
        report, ledger = self.report, self.ledger
        report.recovered = ledger.recover_interrupted()
        for message_id in report.recovered:
            log.warning(
                "unknown %s: a run ended while sending it; see `outreach status`", message_id
            )
        ledger.enter(self.batch)
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
                entry = ledger.get(queued.message_id)
                decision = decide(self.batch, entry, self.suppressions)
                if entry is None or decision.raw is None:
                    if entry is not None and decision.state is not None:
                        self._record(entry, decision.state, decision.reason, DUE)
                    continue
                if not self._ready():
                    break
                attempted += 1
                outcome = self._deliver(entry, decision.raw)
                if outcome is None:
                    continue
                self.last_used = self.runtime.clock()
                if allowance is not None and outcome.kind in (State.SENT, State.UNKNOWN):
                    allowance -= 1
                if outcome.kind == State.SENT:
                    losses = 0
                if not outcome.usable:
                    self.connection = None
                    losses += 1
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
                if self.connection is not None:
                    self.connection.close()
        if self.progress:
            self.progress(len(queue) - report.left, len(queue))
        return report

    def _stop_reason(self, allowance: int | None) -> str:
        if allowance is not None and allowance <= 0:
            return f"daily limit of {self.settings.daily_limit} messages in 24 hours reached"
        return _outside_window(self.window, self.runtime.now())

    def _ready(self) -> bool:
        """Wait for the rate limiter, then make sure of a connection; False if none can be had."""
        if self.limiter.delay() > 0:
            self._commit()
        self.limiter.wait()
        if self.connection is not None and self.runtime.clock() - self.last_used >= IDLE_CHECK:
            # Servers close idle connections; at a slow rate, check before reuse, not by failing.
            self._commit()
            if not self.connection.alive():
                self.connection.close()
                self.connection = None
        if self.connection is None:
            self._commit()
            try:
                self.connection = self.runtime.connect()
            except SmtpUnavailableError as exc:
                self.report.stopped = str(exc)
                return False
        return True

    def _deliver(self, entry: Entry, raw: bytes) -> Outcome | None:
        """Claim the message, send it dated now and note the outcome; None if the claim failed."""
        assert self.connection is not None
        moment = self.runtime.now()
        if not self._commit(claim=entry, date=format_datetime(moment)):
            # Rejected, or approved again with other bytes, since it was read: leave it alone.
            self._line(entry, "skipped", "its state changed during the run")
            return None
        try:
            outcome = self.connection.deliver(self.sender, entry.recipient, dated(raw, moment))
        except SenderRefusedError:
            retry = datetime.fromisoformat(entry.next_try) if entry.next_try else None
            reason = "not sent: the server refused the sender"
            self._record(entry, entry.state, reason, (State.SENDING,), next_try=retry)
            raise
        if outcome.kind == State.DEFERRED and entry.attempts + 1 >= MAX_ATTEMPTS:
            outcome = Outcome(State.FAILED, f"gave up after {MAX_ATTEMPTS} tries: {outcome.reply}")
        next_try = None
        if outcome.kind == State.DEFERRED:
            next_try = self.runtime.now() + backoff(entry.attempts + 1)
        self._record(
            entry, outcome.kind, outcome.reply, (State.SENDING,), next_try=next_try, attempt=True
        )
        return outcome

    def _record(
        self,
        entry: Entry,
        state: State,
        reason: str,
        allowed_from: tuple[State, ...],
        *,
        next_try: datetime | None = None,
        attempt: bool = False,
    ) -> None:
        """Note a message's new state; it is committed with the next claim or sooner."""
        at = self.runtime.now()
        change = _Change(entry.message_id, state, reason, allowed_from, at, next_try, attempt)
        self.pending.append(change)
        self._line(entry, state, reason)

    def _commit(self, claim: Entry | None = None, date: str = "") -> bool:
        """Commit the noted changes and, with `claim`, move that message to `sending` in the same
        transaction; return whether the claim succeeded.

        The claim holds only while the message is still due with the digest of the bytes about
        to go: a `reject`, or an approval of an edited draft, that lands after the run read the
        draft wins.
        """
        if not self.pending and claim is None:
            return False
        with self.ledger.atomic():
            for change in self.pending:
                self.ledger.move(
                    change.message_id,
                    change.state,
                    allowed_from=change.allowed_from,
                    reply=change.reason,
                    next_try=change.next_try,
                    attempt=change.attempt,
                    at=change.at,
                )
            claimed = claim is not None and self.ledger.move(
                claim.message_id, State.SENDING, allowed_from=DUE, if_sha256=claim.sha256, date=date
            )
        self.pending.clear()
        return claimed

    def _line(self, entry: Entry, result: str, detail: str) -> None:
        line = Line(entry.row, entry.message_id, entry.recipient, result, detail)
        self.report.lines.append(line)
        level = logging.INFO if result in (State.SENT, State.SUPPRESSED) else logging.WARNING
        log.log(
            level, "%s row %d %s %s: %s", result, line.row, line.recipient, line.message_id, detail
        )
