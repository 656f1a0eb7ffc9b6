"""End to end: a contacts file in, a batch folder of drafts out."""

import csv
import email
import json
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLE
from outreach.batch.layout import MANIFEST_COLUMNS
from outreach.files import from_spreadsheet
from outreach.ingest.contacts import read_contacts
from outreach.pipeline import BatchReport, draft_batch
from outreach.settings import Settings

HEADER = "organisation,contact_name,salutation,title,email,country,description,note\n"


def draft_file(
    path: Path, out: Path, batch: str, settings: Settings, **options: Any
) -> BatchReport:
    """Draft a contacts file, as the `draft` command does."""
    return draft_batch(read_contacts(path), out, batch, settings, **options)


def previews_of(page: str) -> dict[str, Any]:
    """The previews a previews page holds, by anchor."""
    start = page.index('id="data">') + len('id="data">')
    shown: dict[str, Any] = json.loads(page[start : page.index("</script>", start)])
    return shown


def parse(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def read_manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def example_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings.model_validate(
        {
            "from_": "Anna Beispiel (PauseAI) <partnerships@example.org>",
            "signature": "Anna Beispiel\\nPartnerschaften, PauseAI",
            "unsubscribe": "unsubscribe@example.org",
        }
    )
    out = tmp_path_factory.mktemp("out")
    report = draft_file(EXAMPLE, out, "example", settings)
    assert report.drafted >= 20
    return report.folder


def test_every_draft_parses_back_with_text_then_html(example_batch: Path) -> None:
    drafts = sorted((example_batch / "drafts").glob("*.eml"))
    assert len(drafts) == len(read_manifest(example_batch))
    for path in drafts:
        raw = path.read_bytes()
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
        assert max(raw) < 128, f"{path.name} is not 7-bit"
        message = parse(path)
        assert message.get_content_type() == "multipart/alternative"
        types = [part.get_content_type() for part in message.iter_parts()]
        assert types == ["text/plain", "text/html"]
        for name in ("From", "To", "Reply-To", "Subject", "Date", "Message-ID", "List-Unsubscribe"):
            assert message[name], f"{path.name} lacks {name}"
        assert not message.defects
        text, html = parts(message)
        assert html.startswith("<!DOCTYPE html>")
        assert 'style="' in html and "<script" not in html
        assert len(text.split()) < 250, f"{path.name}: {len(text.split())} words"
        assert all(len(line) <= 78 for line in text.splitlines()), path.name
        assert text.startswith(("Sehr geehrte", "Guten Tag", "Dear "))


def test_manifest_lists_every_draft(example_batch: Path) -> None:
    rows = read_manifest(example_batch)
    assert tuple(rows[0])[: len(MANIFEST_COLUMNS)] == MANIFEST_COLUMNS
    assert (example_batch / "manifest.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    for row in rows:
        assert (example_batch / row["draft"]).is_file()
        assert row["language"] in ("de", "en")
        assert 0.0 <= float(row["confidence"]) <= 1.0
    types = {row["type"] for row in rows}
    assert {"media", "policymaker", "academic"} <= types
    assert (example_batch / "index.html").is_file()
    assert (example_batch / "errors.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_rerun_writes_the_same_files(tmp_path: Path, settings: Settings) -> None:
    first = draft_file(EXAMPLE, tmp_path, "again", settings).folder
    snapshot = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
    draft_file(EXAMPLE, tmp_path, "again", settings)
    again = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
    assert again == snapshot


def test_same_contact_same_message_id_other_batch_other_id(
    tmp_path: Path, settings: Settings
) -> None:
    a = read_manifest(draft_file(EXAMPLE, tmp_path, "a", settings).folder)
    a2 = read_manifest(draft_file(EXAMPLE, tmp_path / "elsewhere", "a", settings).folder)
    b = read_manifest(draft_file(EXAMPLE, tmp_path, "b", settings).folder)
    assert [r["message_id"] for r in a] == [r["message_id"] for r in a2]
    assert not {r["message_id"] for r in a} & {r["message_id"] for r in b}
    assert len({r["message_id"] for r in a}) == len(a)


def test_header_injection_in_contact_name_adds_no_header(
    write_csv, tmp_path: Path, settings: Settings
) -> None:
    path = write_csv(
        HEADER + '"Org","Jane Roe\r\nBcc: x@example.com","","","jane@example.org","GB","",""\n'
        '"Org2\r\nBcc: y@example.com","","","","info@example.org","GB","",""\n'
    )
    folder = draft_file(path, tmp_path / "out", "inject", settings).folder
    for draft in (folder / "drafts").glob("*.eml"):
        raw = draft.read_bytes()
        message = parse(draft)
        assert message["Bcc"] is None
        assert not re.search(rb"^Bcc:", raw, re.MULTILINE | re.IGNORECASE)
        assert "\n" not in str(message["To"]) and "\n" not in str(message["Subject"])


def test_template_syntax_and_markup_in_fields_stay_data(
    write_csv, tmp_path: Path, settings: Settings
) -> None:
    path = write_csv(
        HEADER + '"Org {{ 7*7 }} <b>bold</b>","","","","info@example.org","GB",'
        '"{% raw %}{{ config }}","We liked <script>alert(1)</script> and {{ 7*7 }}."\n'
    )
    folder = draft_file(path, tmp_path / "out", "markup", settings).folder
    (draft,) = (folder / "drafts").glob("*.eml")
    message = parse(draft)
    text, html = parts(message)
    assert "{{ 7*7 }}" in text and "49" not in text
    assert "<script>alert(1)</script>" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "<b>bold</b>" not in html
    assert "{{ 7*7 }}" in html
    assert "Org {{ 7*7 }} <b>bold</b>" in str(message["Subject"])
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page


def test_formula_cells_are_neutralised_in_manifest(
    write_csv, tmp_path: Path, settings: Settings
) -> None:
    path = write_csv(
        HEADER + '"=HYPERLINK(""http://evil.example"")","","","","info@example.org","GB","",""\n'
        '"@SUM(1)","","","","bad-address","GB","",""\n'
    )
    folder = draft_file(path, tmp_path / "out", "formula", settings).folder
    (row,) = read_manifest(folder)
    assert row["organisation"].startswith("'=")
    with (folder / "errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        (error,) = list(csv.DictReader(handle))
    assert error["row"] == "3" and error["field"] == "email"


def test_removed_row_removes_its_stale_draft(write_csv, tmp_path: Path, settings: Settings) -> None:
    two = (
        HEADER
        + '"A","","","","a@example.org","GB","",""\n"B","","","","b@example.org","GB","",""\n'
    )
    path = write_csv(two)
    folder = draft_file(path, tmp_path / "out", "shrink", settings).folder
    assert len(list((folder / "drafts").glob("*.eml"))) == 2
    write_csv(HEADER + '"A","","","","a@example.org","GB","",""\n')
    draft_file(path, tmp_path / "out", "shrink", settings)
    assert [p.name for p in (folder / "drafts").glob("*.eml")] == ["00002-a.eml"]


def test_parallel_drafting_writes_the_same_files_as_one_process(
    tmp_path: Path, settings: Settings
) -> None:
    lines = [HEADER.strip()]
    kinds = [
        ("Tageblatt {i}", "Redaktion", "Regionale Tageszeitung."),
        ("Policy Institute {i}", "Dr Helen Porter", "Think tank publishing research."),
        ("Verband {i} e.V.", "", "Interessenverband der Branche gegenüber der Politik."),
        ("Kulturzentrum {i}", "Käthe Schäfer", ""),
    ]
    for i in range(1300):
        org, person, description = kinds[i % len(kinds)]
        lines.append(
            f'"{org.format(i=i)}","{person}","","","c{i}@org{i}.example","DE","{description}",""'
        )
    contacts = tmp_path / "many.csv"
    contacts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    single = draft_file(contacts, tmp_path / "one", "same", settings, workers=1).folder
    (tmp_path / "two" / "same").mkdir(parents=True)
    (tmp_path / "two" / "same" / "batch.json").write_bytes((single / "batch.json").read_bytes())
    parallel = draft_file(contacts, tmp_path / "two", "same", settings, workers=2).folder

    def snapshot(folder: Path) -> dict[Path, bytes]:
        return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    one, two = snapshot(single), snapshot(parallel)
    assert len(one) == 1300 + 6 + 4  # drafts, 6 preview pages, manifest, errors, index, batch
    assert one.keys() == two.keys()
    assert [name for name in one if one[name] != two[name]] == []


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (b"{% if %}\n", r"body\.txt\.j2:1"),
        (b"Gr\xfc\xdfe\n", r"body\.txt\.j2 is not UTF-8"),
    ],
)
def test_a_template_error_stops_the_run_before_any_draft_is_written(
    tmp_path: Path, settings: Settings, broken: bytes, message: str
) -> None:
    import shutil

    from outreach.compose.content import templates_dir
    from outreach.errors import ContentError

    templates = tmp_path / "templates"
    shutil.copytree(templates_dir(), templates)
    (templates / "body.txt.j2").write_bytes(broken)
    rows = [f'"Org {i}","","","","c{i}@org{i}.example","DE","",""' for i in range(700)]
    contacts = tmp_path / "many.csv"
    contacts.write_text("\n".join([HEADER.strip(), *rows]) + "\n", encoding="utf-8")
    with pytest.raises(ContentError, match=message):
        draft_file(contacts, tmp_path / "out", "b", settings, templates=templates, workers=2)
    folder = tmp_path / "out" / "b"
    assert not (folder / "manifest.csv").exists() and not (folder / "index.html").exists()
    assert not list(folder.glob("drafts/*.eml"))


def test_opted_out_addresses_are_flagged_and_not_drafted(
    write_csv, tmp_path: Path, settings: Settings
) -> None:
    from outreach.send import suppression
    from outreach.send.ledger import Ledger

    db = tmp_path / "outreach.db"
    with Ledger(db) as ledger:
        suppression.add(ledger, ["Gone@Example.org", "@opted-out.example"])
    path = write_csv(
        HEADER + '"A","","","","a@example.org","GB","",""\n'
        '"Gone","","","","gone@example.org","GB","",""\n'
        '"Sub","","","","x@mail.opted-out.example","GB","",""\n'
        '"C","","","","c@example.org","GB","",""\n'
    )
    report = draft_file(path, tmp_path / "out", "optout", settings.model_copy(update={"db": db}))
    assert (report.drafted, report.suppressed) == (2, 2)
    rows = read_manifest(report.folder)
    assert [(r["row"], r["draft"] == "") for r in rows] == [
        ("2", False),
        ("3", True),
        ("4", True),
        ("5", False),
    ]
    assert rows[1]["needs_review"] == rows[2]["needs_review"] == "yes"
    assert "opt-out" in rows[1]["review_reason"]
    assert sorted(p.name for p in (report.folder / "drafts").glob("*.eml")) == [
        "00002-a.eml",
        "00005-c.eml",
    ]


def test_previews_hold_exactly_the_parts_of_each_draft(example_batch: Path) -> None:
    previews: dict[str, dict[str, object]] = {}
    for page in (example_batch / "previews").glob("*.html"):
        previews.update(previews_of(page.read_text(encoding="utf-8")))
    rows = read_manifest(example_batch)
    assert sorted(previews) == sorted(Path(row["draft"]).stem for row in rows)
    for row in rows:
        text, html = parts(parse(example_batch / row["draft"]))
        shown = previews[Path(row["draft"]).stem]
        assert shown["text"] == text.replace("\r\n", "\n")
        assert shown["html"] == html.replace("\r\n", "\n")
        assert ["Subject", from_spreadsheet(row["subject"])] in shown["fields"]
        anchor = row["draft"].removeprefix("drafts/").removesuffix(".eml")
        assert f"#{anchor}" in (example_batch / "index.html").read_text(encoding="utf-8")


def test_review_page_lists_every_draft_with_its_manifest_values(example_batch: Path) -> None:
    page = (example_batch / "index.html").read_text(encoding="utf-8")

    def script(name: str) -> Any:
        start = page.index(f'id="{name}">') + len(f'id="{name}">')
        return json.loads(page[start : page.index("</script>", start)])

    fields = script("fields")
    listed = [dict(zip(fields, values, strict=True)) for values in script("drafts")]
    rows = [row for row in read_manifest(example_batch) if row["draft"]]
    assert [entry["draft"] for entry in listed] == [row["draft"] for row in rows]
    for entry, row in zip(listed, rows, strict=True):
        for name in ("organisation", "email", "type", "confidence", "subject", "evidence"):
            assert str(entry[name]) == from_spreadsheet(row[name])
        assert entry["needs_review"] == (row["needs_review"] == "yes")


def test_a_previews_page_holds_each_part_as_it_is_and_no_value_ends_its_script() -> None:
    from outreach.compose.render import RenderedEmail
    from outreach.review.page import ReviewEntry, previews_page

    def entry(anchor: str) -> ReviewEntry:
        return ReviewEntry(
            row=2, organisation="O", contact_name="", email="a@example.org", type="media",
            type_label="Media", confidence="0.90", evidence="</script><!--", language="de",
            subject="S", needs_review=False, review_reason="", flags="",
            draft=f"drafts/{anchor}.eml",
            preview=f"previews/0001.html#{anchor}", sender="s@example.org", recipient="O",
            message_id="<m@example.org>",
        )  # fmt: skip

    made = [
        (entry("a"), RenderedEmail("S", "t </script>", "<p>A &amp; B</p>", "O")),
        (entry("b"), RenderedEmail("S", "t", "<p>&lt;x&gt;</p><script>", "O")),
    ]
    page = previews_page(made)
    assert page.count("</script>") == 2  # the data's and the page's own script
    shown = previews_of(page)
    assert {anchor: (item["html"], item["text"]) for anchor, item in shown.items()} == {
        "a": ("<p>A &amp; B</p>", "t </script>"), "b": ("<p>&lt;x&gt;</p><script>", "t"),
    }  # fmt: skip
    assert ["Evidence", "</script><!--"] in shown["a"]["fields"]
