"""Pace and schedule: messages per minute, a rolling daily limit and a sending window."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from outreach.errors import SettingsError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class RateLimiter:
    """At most `per_minute` starts per minute, spaced evenly (0 = no limit).

    `clock` is monotonic seconds and `sleep` waits; both are passed in so tests can run a
    virtual clock. Slots are counted from the previous slot, not from when a send ended, so a
    slow send does not lower the rate and a fast one does not raise it.
    """

    def __init__(
        self, per_minute: float, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def delay(self) -> float:
        """Seconds `wait` would sleep now (0: the next message may start at once)."""
        if not self.interval or self._next is None:
            return 0.0
        return max(self._next - self._clock(), 0.0)

    def wait(self) -> None:
        """Return when the next message may start."""
        if not self.interval:
            return
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


def daily_allowance(limit: int, delivered_in_last_24h: int) -> int | None:
    """How many more messages the rolling 24 hours allow, or None for no limit."""
    if limit <= 0:
        return None
    return max(limit - delivered_in_last_24h, 0)


@dataclass(frozen=True)
class SendWindow:
    """Days of the week and a time of day, in one time zone, when sending may happen."""

    days: frozenset[int]
    start: time
    end: time
    zone: ZoneInfo | None
    text: str

    def contains(self, moment: datetime) -> bool:
        """Whether `moment` (timezone-aware) is inside the window."""
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_opening(self, moment: datetime) -> datetime:
        """The next time the window opens after `moment` (for messages to people)."""
        local = moment.astimezone(self.zone)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            opening = datetime.combine(day, self.start, self.zone or local.tzinfo)
            if day.weekday() in self.days and opening > local:
                return opening
        return local  # unreachable: a window has at least one day


def parse_window(text: str) -> SendWindow | None:
    """'Mon-Fri 09:00-17:00 Europe/Berlin' → a window; '' → None (any time).

    Days (Mon, Tue … Sun; ranges like Mon-Fri or Fri-Mon, lists like Mon,Wed) and the zone are
    optional: no days means every day, no zone means the machine's local time.
    """
    spec = text.strip()
    if not spec:
        return None
    parts = spec.split()
    days = frozenset(range(7))
    zone: ZoneInfo | None = None
    times = [part for part in parts if _TIME_RANGE.match(part)]
    if len(times) != 1 or len(parts) > 3:
        raise _bad(spec, "expected e.g. 'Mon-Fri 09:00-17:00 Europe/Berlin'")
    position = parts.index(times[0])
    if position == 1:
        days = _parse_days(parts[0], spec)
    elif position != 0:
        raise _bad(spec, "the days come before the time")
    if position + 1 < len(parts):
        try:
            zone = ZoneInfo(parts[position + 1])
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad(spec, f"unknown time zone {parts[position + 1]!r}") from None
    match = _TIME_RANGE.match(times[0])
    assert match is not None
    h1, m1, h2, m2 = (int(group) for group in match.groups())
    if h2 == 24 and m2 == 0:
        h2, m2 = 23, 59  # "until midnight"; the last minute is a fair price for a simple model
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise _bad(spec, f"{times[0]!r} is not a time range") from None
    if end <= start:
        raise _bad(spec, "the end must be later than the start on the same day")
    return SendWindow(days, start, end, zone, spec)


def _parse_days(text: str, spec: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.lower().split(","):
        first, dash, last = part.partition("-")
        try:
            start = _DAYS.index(first.strip()[:3])
            end = _DAYS.index(last.strip()[:3]) if dash else start
        except ValueError:
            raise _bad(spec, f"{part!r} is not a day or range of days like Mon-Fri") from None
        days.update((start + step) % 7 for step in range((end - start) % 7 + 1))
    return frozenset(days)


def _bad(spec: str, reason: str) -> SettingsError:
    return SettingsError(f"OUTREACH_SEND_WINDOW {spec!r}: {reason}")
