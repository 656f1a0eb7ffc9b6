"""The language rule: column, country, domain, description, English."""

import pytest

from outreach.classify.language import language_of_text, pick_language
from outreach.models import Contact


def contact(**fields: str) -> Contact:
    return Contact.from_row(2, {"email": "info@example.org", "organisation": "Org", **fields}, {})


@pytest.mark.parametrize(
    ("fields", "expected", "reason"),
    [
        ({"language": "en", "country": "DE"}, "en", "language column"),
        ({"language": "Deutsch", "country": "GB"}, "de", "language column"),
        ({"country": "AT"}, "de", "country AT"),
        ({"country": "Österreich"}, "de", "country Österreich"),
        ({"country": "Schweiz"}, "de", "country Schweiz"),
        ({"country": "switzerland"}, "de", "country switzerland"),
        ({"country": "LI"}, "de", "country LI"),
        ({"country": "Germany", "email": "x@example.com"}, "de", "country Germany"),
        ({"country": "GB", "email": "x@example.de"}, "en", "country GB"),
        ({"country": "Frankreich"}, "en", "country Frankreich"),
        ({"email": "redaktion@zeitung.example.de"}, "de", "domain zeitung.example.de"),
        ({"website": "https://www.verein.at/kontakt"}, "de", "domain www.verein.at"),
        ({"website": "verein.ch"}, "de", "domain verein.ch"),
        (
            {"description": "Ein Verein für die Bildung in der Region und über die Grenzen."},
            "de",
            "description",
        ),
        (
            {"description": "A charity for the education of children in the region."},
            "en",
            "description",
        ),
        ({}, "en", "default"),
        ({"country": "Atlantis"}, "en", "default"),
    ],
)
def test_language_rule_order(fields: dict[str, str], expected: str, reason: str) -> None:
    assert pick_language(contact(**fields)) == (expected, reason)


def test_umlauts_tip_short_german_text() -> None:
    assert language_of_text("Überregionale Tageszeitung.") == "de"


def test_unknown_language_value_is_a_row_error() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        contact(language="Klingon")
