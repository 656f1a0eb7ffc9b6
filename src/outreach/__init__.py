"""outreach: personal, reviewed partnership emails from a spreadsheet of organisations.

The library behind the command line, for scripts::

    from outreach import approve, draft_batch, load_settings, read_batch, read_contacts

    settings = load_settings()
    contacts = read_contacts("contacts/example.csv")
    report = draft_batch(contacts, "out", "spring", settings)
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Imported when first used, so that `outreach send` does not load pandas or Jinja.
_EXPORTS = {
    "OutreachError": "outreach.errors",
    "Settings": "outreach.settings",
    "load_settings": "outreach.settings",
    "Contact": "outreach.models",
    "Classification": "outreach.models",
    "read_contacts": "outreach.ingest.contacts",
    "classify": "outreach.classify.classifier",
    "load_rules": "outreach.classify.rules",
    "pick_language": "outreach.classify.language",
    "draft_batch": "outreach.pipeline",
    "read_batch": "outreach.batch.reader",
    "Ledger": "outreach.send.ledger",
    "Selection": "outreach.send.approval",
    "approve": "outreach.send.approval",
    "reject": "outreach.send.approval",
    "send_batch": "outreach.send.run",
    "batch_status": "outreach.send.status",
    "State": "outreach.states",
}
__all__ = [
    "Classification", "Contact", "Ledger", "OutreachError", "Selection", "Settings", "State",
    "approve", "batch_status", "classify", "draft_batch", "load_rules", "load_settings",
    "pick_language", "read_batch", "read_contacts", "reject", "send_batch",
]  # fmt: skip

if TYPE_CHECKING:
    from outreach.batch.reader import read_batch
    from outreach.classify.classifier import classify
    from outreach.classify.language import pick_language
    from outreach.classify.rules import load_rules
    from outreach.errors import OutreachError
    from outreach.ingest.contacts import read_contacts
    from outreach.models import Classification, Contact
    from outreach.pipeline import draft_batch
    from outreach.send.approval import Selection, approve, reject
    from outreach.send.ledger import Ledger
    from outreach.send.run import send_batch
    from outreach.send.status import batch_status
    from outreach.settings import Settings, load_settings
    from outreach.states import State


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'outreach' has no attribute {name!r}")
