"""Soft review flags of a draft: what a volunteer may want to improve before approving it."""

import re
from typing import Final

NO_PERSONAL_OPENING: Final = "no personal opening"
SERVICE_MAILBOX: Final = "address may not reach a decision-maker"

# Mailboxes that readers, listeners and customers write to: nobody there decides on a partnership.
_SERVICE_WORDS: Final = frozenset(
    """
    leserbrief leserbriefe leserservice leserpost leserdialog hoererservice hörerservice
    hoererpost hörerpost hoerer hörer zuschauerservice zuschauerpost zuschauer publikumsservice
    kundenservice kundendienst service support help hilfe helpdesk tips tipps tip tipp hinweise
    hinweis newsletter abo abos abonnement abonnements aboservice subscriptions subscription
    subscribe unsubscribe letters letter lettertotheeditor letterstotheeditor readerservice
    readers listeners viewers customerservice customercare feedback noreply donotreply
    mailerdaemon postmaster abuse webmaster jobs karriere careers career bewerbung bewerbungen
    shop orders bestellung datenschutz privacy
    """.split()
)
_SEPARATORS: Final = re.compile(r"[._+-]+")


def is_service_mailbox(address: str) -> bool:
    """True for leserbriefe@, hoererservice@, support@, tips@, newsletter@ and the like."""
    local = address.rpartition("@")[0].casefold()
    parts = [part for part in _SEPARATORS.split(local) if part]
    return "".join(parts) in _SERVICE_WORDS or any(part in _SERVICE_WORDS for part in parts)


def draft_flags(personal: bool, address: str) -> tuple[str, ...]:
    """The soft flags of one draft, in the order the review page shows them."""
    flags = [] if personal else [NO_PERSONAL_OPENING]
    if is_service_mailbox(address):
        flags.append(SERVICE_MAILBOX)
    return tuple(flags)
