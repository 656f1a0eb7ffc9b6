"""The states a message moves through, defined once."""

from enum import StrEnum


class State(StrEnum):
    """Where a message stands; the ledger stores the value."""

    DRAFTED = "drafted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SENDING = "sending"
    SENT = "sent"
    DEFERRED = "deferred"
    FAILED = "failed"
    UNKNOWN = "unknown"
    SUPPRESSED = "suppressed"
