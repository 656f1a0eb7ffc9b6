"""The everyday-address shortcut agrees with email-validator wherever it answers."""

import random

import pytest
from email_validator import EmailNotValidError, validate_email

from outreach.ingest.addresses import plain_address

PIECES = [
    "info", "Max.Mustermann", "a", "o'neil", "x+tag", "first_last", "büro", "a..b", ".a", "a.",
    '"quoted"', "a b", "kontakt", "x" * 64, "x" * 65, "1", "-", "a-", "{}|~", "=?",
]  # fmt: skip
DOMAINS = [
    "example.org", "Example.ORG", "uni-bonn.de", "sub.example.co.uk", "a.b", "x.y1", "1.2.3.4",
    "xn--bcher-kva.example", "ab--cd.example", "a-.example", "-a.example", "münchen.de",
    "localhost", "example.local", "host.test", "a.invalid", "x.onion", "b.arpa", "example",
    "a..example.org", "example.org.", ("l" * 63) + ".de", ("l" * 64) + ".de", "e_x.org",
    ".".join(["abcdefghi"] * 26) + ".org", "a.-b.org", "a.b-.org", "123.example.org",
]  # fmt: skip


def reference(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        return None


def test_everyday_addresses_take_the_shortcut() -> None:
    assert plain_address("info@example.org") == "info@example.org"
    assert plain_address("Max.Mustermann@Bundestag.DE") == "Max.Mustermann@bundestag.de"
    assert plain_address("presse+ki@uni-bonn.de") == "presse+ki@uni-bonn.de"


@pytest.mark.parametrize("local", PIECES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_shortcut_agrees_with_email_validator(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    fast = plain_address(address)
    if fast is not None:
        assert fast == reference(address)


def test_random_addresses_agree_with_email_validator() -> None:
    generator = random.Random(2026)
    alphabet = "abcXYZ019.-_+'@!#~ äß"
    answered = 0
    for _ in range(20_000):
        address = "".join(generator.choice(alphabet) for _ in range(generator.randint(3, 24)))
        if generator.random() < 0.7:
            address = address.replace("@", "") + "@" + generator.choice(DOMAINS)
        fast = plain_address(address)
        if fast is not None:
            answered += 1
            assert fast == reference(address), address
    assert answered > 300  # the shortcut is taken, not just never wrong
