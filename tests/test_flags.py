"""Soft review flags: no personal opening, and an address that may not reach a decision-maker."""

import csv
import json
from pathlib import Path

import pytest

from conftest import run_cli
from outreach.review.flags import (
    NO_PERSONAL_OPENING,
    SERVICE_MAILBOX,
    draft_flags,
    is_service_mailbox,
)


@pytest.mark.parametrize(
    "address",
    [
        "leserbriefe@zeitung.example", "leserbrief@zeitung.example",
        "leser-service@zeitung.example", "leserservice@zeitung.example",
        "hoererservice@radio.example", "zuschauerservice@tv.example",
        "abo@zeitung.example", "aboservice@zeitung.example", "Support@firm.example",
        "help@firm.example", "hilfe@verein.example", "tips@newsroom.example",
        "tipps@redaktion.example", "newsletter@org.example", "letters@paper.example",
        "letters.editor@paper.example", "subscriptions@magazine.example", "no-reply@org.example",
        "kundenservice@firm.example", "readerservice@paper.example",
    ],
)  # fmt: skip
def test_service_mailboxes_are_flagged(address: str) -> None:
    assert is_service_mailbox(address)
    assert draft_flags(True, address) == (SERVICE_MAILBOX,)


@pytest.mark.parametrize(
    "address",
    [
        "info@verein.example", "redaktion@zeitung.example", "presse@org.example",
        "kontakt@org.example", "k.schaefer@org.example", "helena@org.example",
        "hello@org.example", "newsdesk@paper.example", "supporters@org.example",
        "wissen@tageblatt.example", "tipsy.miller@org.example",
    ],
)  # fmt: skip
def test_addresses_of_people_and_desks_are_not(address: str) -> None:
    assert not is_service_mailbox(address)


def test_no_note_means_no_personal_opening() -> None:
    assert draft_flags(False, "a.b@org.example") == (NO_PERSONAL_OPENING,)
    assert draft_flags(False, "tips@org.example") == (NO_PERSONAL_OPENING, SERVICE_MAILBOX)
    assert draft_flags(True, "a.b@org.example") == ()


def test_flags_reach_the_manifest_the_review_page_and_the_summary(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "organisation,email,type,note\n"
        "Tageblatt,leserbriefe@tageblatt.example,media,Ihr Bericht über KI hat uns gefallen.\n"
        "Denkfabrik,info@denkfabrik.example,think_tank,\n"
        "Irgendwer,jemand@irgendwo.example,,\n",
        encoding="utf-8",
    )
    result = run_cli("draft", "c.csv", "--out", "out", "--batch", "b", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 draft(s): no personal opening." in result.stdout
    assert "1 draft(s): address may not reach a decision-maker." in result.stdout
    assert "1 draft(s) need review." in result.stdout  # the uncertain type, counted apart
    with (tmp_path / "out/b/manifest.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["flags"] for row in rows] == [
        SERVICE_MAILBOX,
        NO_PERSONAL_OPENING,
        NO_PERSONAL_OPENING,
    ]
    assert [row["needs_review"] for row in rows] == ["no", "no", "yes"]
    page = (tmp_path / "out/b/index.html").read_text(encoding="utf-8")
    start = page.index('id="fields">') + len('id="fields">')
    fields = json.loads(page[start : page.index("</script>", start)])
    assert "flags" in fields
    assert "no personal opening only" in page
