"""The send run: approved drafts out through one connection, every step recorded first."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from outreach.batch.date_header import dated
from outreach.batch.journal import Journal, accepted
from outreach.batch.reader import Batch
from outreach.errors import SmtpUnavailableError
from outreach.ingest.addresses import ascii_address
from outreach.send import plan
from outreach.send.binding import open_ledger
from outreach.send.decide import DUE, decide, outside_window
from outreach.send.decide import allowance as allowed
from outreach.send.ledger import Clock, Entry, Ledger, backoff, utc_now
from outreach.send.lock import run_lock
from outreach.send.report import Line, RunReport
from outreach.send.schedule import RateLimiter, SendWindow, parse_window
from outreach.send.smtp import Connection, Outcome, SenderRefusedError, connect
from outreach.send.suppression import suppressions_in
from outreach.settings import Settings
from outreach.states import State

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
class _Change:
    """A message's new state, held in memory until the next commit (see _Run)."""

    message_id: str
    state: State
    reason: str
    allowed_from: tuple[State, ...]
    at: datetime
    next_try: datetime | None = None
    attempt: bool = False
    if_sha256: str | None = None  # only while this is still the approved digest


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
        return plan.dry_run(batch, settings, runtime.now, window, max_messages)
    per_minute = settings.rate if rate is None else rate
    with open_ledger(batch, settings.db, now=runtime.now) as ledger, run_lock(settings.db):
        run = _Run(batch, settings, runtime, ledger, window, per_minute, progress)
        return run.go(max_messages)


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
        self.journal = Journal(batch.folder)
        self.gone = self.journal.gone()

    def go(self, max_messages: int | None) -> RunReport:
        report, ledger = self.report, self.ledger
        self.journal.open()
        report.recovered = ledger.recover_interrupted(accepted=accepted(self.gone))
        for message_id in report.recovered:
            log.warning(
                "unknown %s: a run ended while sending it; see `outreach status`", message_id
            )
        ledger.enter(self.batch)
        queue = ledger.due(self.batch.message_ids())
        report.due = len(queue)
        allowance = allowed(ledger, self.settings, self.runtime.now())
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
                decision = decide(self.batch, entry, self.suppressions, self.gone)
                if entry is None or decision.raw is None:
                    if entry is not None and decision.state is not None:
                        # An approval that lands before the commit wins over this decision.
                        self._record(
                            entry, decision.state, decision.reason, DUE, if_sha256=entry.sha256
                        )
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
                self.journal.close()
        if self.progress:
            self.progress(len(queue) - report.left, len(queue))
        return report

    def _stop_reason(self, allowance: int | None) -> str:
        if allowance is not None and allowance <= 0:
            return f"daily limit of {self.settings.daily_limit} messages in 24 hours reached"
        return outside_window(self.window, self.runtime.now())

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
        self.journal.went(entry.message_id, moment)
        try:
            outcome = self.connection.deliver(self.sender, entry.recipient, dated(raw, moment))
        except SenderRefusedError:
            retry = datetime.fromisoformat(entry.next_try) if entry.next_try else None
            reason = "not sent: the server refused the sender"
            self._record(entry, entry.state, reason, (State.SENDING,), next_try=retry)
            self.journal.ended(entry.message_id, State.DEFERRED, self.runtime.now())
            raise
        self.journal.ended(entry.message_id, outcome.kind, self.runtime.now())
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
        if_sha256: str | None = None,
    ) -> None:
        """Note a message's new state; it is committed with the next claim or sooner."""
        at = self.runtime.now()
        change = _Change(
            entry.message_id, state, reason, allowed_from, at, next_try, attempt, if_sha256
        )
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
                    if_sha256=change.if_sha256,
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
