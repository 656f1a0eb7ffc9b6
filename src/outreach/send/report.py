"""What a send run did, message by message."""

from dataclasses import dataclass, field

from outreach.states import State


@dataclass(frozen=True)
class Line:
    """One message's result in a run."""

    row: int
    message_id: str
    recipient: str
    result: str
    detail: str


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
