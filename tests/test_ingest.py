"""Tests for reading contacts CSV files as Excel, LibreOffice, Sheets and CRMs write them."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from outreach.errors import InputError
from outreach.ingest import contacts as ingest
from outreach.ingest.columns import HEADER_ALIASES
from outreach.models import Contact, RowError

DATA = Path(__file__).parent / "data" / "ingest"


@dataclass(frozen=True)
class IngestResult:
    """One whole pass over a contacts file."""

    contacts: list[Contact]
    errors: list[RowError]
    encoding: str
    delimiter: str
    columns: dict[str, str]


def read_contacts(path: Path) -> IngestResult:
    """Read a contacts file whole, with what was learnt of it."""
    file = ingest.read_contacts(path)
    contacts = list(file)
    return IngestResult(contacts, file.errors, file.encoding, file.delimiter, file.columns)


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "contacts.csv") -> Path:
    """Write `text` to a file in the given encoding, byte for byte (no newline translation)."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read(tmp_path: Path, text: str, encoding: str = "utf-8") -> IngestResult:
    """Write and read back a contacts file."""
    return read_contacts(write(tmp_path, text, encoding))


def input_error(path: Path) -> str:
    """Return the message of the InputError raised for `path`, checking it is one line."""
    with pytest.raises(InputError) as caught:
        read_contacts(path)
    message = str(caught.value)
    assert message and "\n" not in message and "\r" not in message
    assert "Traceback" not in message
    return message


# --- encodings and delimiters -------------------------------------------------------------


def test_windows_1252_semicolon_file_with_german_headers() -> None:
    result = read_contacts(DATA / "kontakte_excel_cp1252.csv")
    assert (result.encoding, result.delimiter, result.errors) == ("cp1252", ";", [])
    assert result.columns == {
        "E-Mail": "email",
        "Name der Organisation": "organisation",
        "Ansprechpartner": "contact_name",
        "Anrede": "salutation",
        "Titel": "title",
        "Sprache": "language",
        "Land": "country",
        "Beschreibung": "description",
        "Typ": "type",
    }
    first, second = result.contacts
    assert first.row == 2 and second.row == 3
    assert first.organisation == "Bürgerforum Süd e.V."
    assert first.contact_name == "Jürgen Weiß"
    assert (first.salutation, first.title, first.language) == ("Herr", "Dr.", "de")
    assert first.description == "Verein für „Demokratie“ – Spenden ab 5 €"
    assert first.type == "lobby_group"
    assert second.contact_name == "Änne Müller" and second.country == "Österreich"
    assert second.description == "Straße der Zukunft" and second.type == "think_tank"


def test_utf8_with_bom_still_matches_the_first_header(tmp_path: Path) -> None:
    result = read(tmp_path, "\ufeffemail,organisation\nhi@alpha.example,Alpha\n")
    assert result.encoding == "utf-8-sig"
    assert result.columns == {"email": "email", "organisation": "organisation"}
    assert [c.email for c in result.contacts] == ["hi@alpha.example"]


def test_plain_utf8(tmp_path: Path) -> None:
    result = read(tmp_path, "Email,Company\nhi@alpha.example,Ærø Café\n")
    assert result.encoding == "utf-8"
    assert result.contacts[0].organisation == "Ærø Café"


def test_tab_separated_file(tmp_path: Path) -> None:
    text = "Organisation\tE-Mail\tNotes\nAlpha, Beta & Co\thi@alpha.example\ta; b\n"
    result = read(tmp_path, text)
    assert result.delimiter == "\t"
    assert result.contacts[0].organisation == "Alpha, Beta & Co"
    assert result.contacts[0].description == "a; b"


def test_excel_unicode_text_is_utf16_tab_separated() -> None:
    result = read_contacts(DATA / "unicode_text_utf16le.txt")
    assert (result.encoding, result.delimiter, result.errors) == ("utf-16", "\t", [])
    contact = result.contacts[0]
    assert contact.contact_name == "Łucja Nowak"
    assert contact.note == "Ihr Beitrag zu „Zukunft“"


def test_comma_file_with_semicolons_in_quoted_header_and_data(tmp_path: Path) -> None:
    text = 'email,"Name; Organisation",org\nhi@alpha.example,"a;b;c",Alpha\n'
    result = read(tmp_path, text)
    assert result.delimiter == ","
    assert result.contacts[0].extra == {"Name; Organisation": "a;b;c"}


def test_semicolon_file_with_commas_in_data(tmp_path: Path) -> None:
    text = "E-Mail;Firma\nhi@alpha.example;Alpha, Beta, Gamma GmbH\n"
    result = read(tmp_path, text)
    assert result.delimiter == ";"
    assert result.contacts[0].organisation == "Alpha, Beta, Gamma GmbH"


def test_bytes_undefined_in_cp1252_fall_back_to_latin_1(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(b"email;Firma\nhi@alpha.example;M\xfcller\x81 AG \x80\x9d\n")
    result = read_contacts(path)
    assert result.encoding == "cp1252"
    assert result.contacts[0].organisation == "Müller AG €"  # 0x81 and 0x9d are C1 controls


def test_old_mac_line_endings(tmp_path: Path) -> None:
    result = read(tmp_path, "email;Firma\r\ra@alpha.example;Alpha\rb@beta.example;Beta\r")
    assert [c.row for c in result.contacts] == [3, 4]


# --- records, lines and rows --------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_multi_line_quoted_fields_keep_true_line_numbers(tmp_path: Path, newline: str) -> None:
    lines = [
        "email,organisation,description",
        'a@alpha.example,Alpha,"first line',
        "second line",
        'third line"',
        'b@beta.example,"Beta',
        'Institute",short',
        "c@gamma.example,Gamma,x",
    ]
    result = read(tmp_path, newline.join(lines) + newline)
    assert result.errors == []
    assert [c.row for c in result.contacts] == [2, 5, 7]
    assert result.contacts[0].description == "first line\nsecond line\nthird line"
    assert result.contacts[1].organisation == "Beta Institute"


def test_blank_lines_are_skipped_and_rows_count_them(tmp_path: Path) -> None:
    text = "\n\nemail;org\n\na@alpha.example;Alpha\n;\n   \n;;\nb@beta.example;Beta\n\n"
    result = read(tmp_path, text)
    assert result.errors == []
    assert [(c.row, c.organisation) for c in result.contacts] == [(5, "Alpha"), (9, "Beta")]


def test_ragged_row_is_reported_with_its_line_and_the_rest_is_read(tmp_path: Path) -> None:
    text = (
        "email,organisation,country\n"
        'a@alpha.example,Alpha,"DE\nAT"\n'
        "b@beta.example,Beta,DE,surplus,more\n"
        "c@gamma.example,Gamma,AT\n"
    )
    result = read(tmp_path, text)
    assert [c.row for c in result.contacts] == [2, 5]
    [error] = result.errors
    assert (error.row, error.field, error.email) == (4, "", "b@beta.example")
    assert error.reason == "has 5 fields, header has 3"


def test_empty_surplus_cells_and_short_rows_are_fine(tmp_path: Path) -> None:
    text = "email;organisation;country;website\na@alpha.example;Alpha;;;;\nb@beta.example;Beta\n"
    result = read(tmp_path, text)
    assert result.errors == []
    assert [(c.organisation, c.country, c.website) for c in result.contacts] == [
        ("Alpha", "", ""),
        ("Beta", "", ""),
    ]


def test_header_only_file_has_no_contacts(tmp_path: Path) -> None:
    result = read(tmp_path, "email,organisation\r\n")
    assert (result.contacts, result.errors) == ([], [])


def test_unclosed_quote_is_reported_and_earlier_rows_kept(tmp_path: Path) -> None:
    text = 'email,org\na@alpha.example,Alpha\nb@beta.example,"Beta\nc@gamma.example,Gamma\n'
    result = read(tmp_path, text)
    assert [c.organisation for c in result.contacts] == ["Alpha"]
    [error] = result.errors
    assert error.row == 3 and "never closed" in error.reason


# --- cleaning and validation --------------------------------------------------------------


def test_header_injection_in_a_quoted_name_is_folded(tmp_path: Path) -> None:
    text = 'email,organisation,contact\r\na@alpha.example,Alpha,"Jane\r\nBcc: x@example.org"\r\n'
    contact = read(tmp_path, text).contacts[0]
    assert "\r" not in contact.contact_name and "\n" not in contact.contact_name
    assert contact.contact_name == "Jane Bcc: x@example.org"


def test_duplicates_are_reported_once_and_kept_once(tmp_path: Path) -> None:
    text = (
        "email,organisation\n"
        "info@alpha.example,Alpha\n"
        "other@beta.example,Beta\n"
        "INFO@Alpha.example,Alpha again\n"
        "Info@ALPHA.EXAMPLE,Alpha thrice\n"
        "other@beta.example,Beta again\n"
    )
    result = read(tmp_path, text)
    assert [c.row for c in result.contacts] == [2, 3]
    assert [(e.row, e.field) for e in result.errors] == [(4, "email"), (6, "email")]
    assert result.errors[0].reason.startswith("duplicate of row 2; drafted once")
    assert "5" in result.errors[0].reason
    assert result.errors[1].reason == "duplicate of row 3; drafted once"


def test_invalid_email_is_a_row_error_naming_the_field(tmp_path: Path) -> None:
    text = "email,organisation\n  not-an-address  ,Alpha\nb@beta.example,Beta\n"
    result = read(tmp_path, text)
    assert [c.row for c in result.contacts] == [3]
    [error] = result.errors
    assert (error.row, error.field, error.email) == (2, "email", "not-an-address")
    assert "not a valid address" in error.reason
    assert not error.reason.startswith("Value error")


def test_internationalised_domain_is_accepted(tmp_path: Path) -> None:
    result = read(tmp_path, "email,organisation\ninfo@bücher.example,Bücherhalle\n")
    assert result.errors == []
    assert result.contacts[0].email == "info@bücher.example"
    assert result.contacts[0].email_ascii == "info@xn--bcher-kva.example"


def test_unknown_type_label_names_the_valid_keys(tmp_path: Path) -> None:
    result = read(tmp_path, "email,organisation,type\na@alpha.example,Alpha,Bakery\n")
    [error] = result.errors
    assert (error.row, error.field) == (2, "type")
    assert "think_tank" in error.reason and "'Bakery'" in error.reason


def test_row_without_organisation_or_name_is_reported(tmp_path: Path) -> None:
    text = "email,organisation,contact\na@alpha.example,,\nb@beta.example,,Bea\n"
    result = read(tmp_path, text)
    assert [c.contact_name for c in result.contacts] == ["Bea"]
    [error] = result.errors
    assert error.row == 2 and "neither organisation nor contact name" in error.reason


def test_rows_with_only_extra_values_count_as_blank(tmp_path: Path) -> None:
    text = "Nr.;E-Mail;Firma\n1;a@alpha.example;Alpha\n2;;\n3;;\n"
    result = read(tmp_path, text)
    assert (len(result.contacts), result.errors) == (1, [])


def test_values_stay_text(tmp_path: Path) -> None:
    text = "email,organisation,phone,code,flag\na@alpha.example,NA,0049 30 1234,None,=1+1\n"
    contact = read(tmp_path, text).contacts[0]
    assert contact.organisation == "NA"
    assert contact.extra == {"phone": "0049 30 1234", "code": "None", "flag": "=1+1"}


# --- columns ------------------------------------------------------------------------------


def test_extra_columns_pass_through_under_their_trimmed_header(tmp_path: Path) -> None:
    text = (
        "E-Mail; Firma ;  Projekt  ;;Firma;Projekt;Stadt\n"
        "a@alpha.example;Alpha; Wahl\x07 2025 ;ignored;Alpha GmbH;second;Köln\n"
    )
    result = read(tmp_path, text)
    assert result.columns == {"E-Mail": "email", "Firma": "organisation"}
    contact = result.contacts[0]
    assert contact.organisation == "Alpha"
    assert contact.extra == {
        "Projekt": "Wahl 2025",
        "Firma": "Alpha GmbH",
        "Projekt (2)": "second",
        "Stadt": "Köln",
    }


@pytest.mark.parametrize(
    ("header", "field"),
    [
        (" E_MAIL ", "email"),
        ("E-Mail-Adresse", "email"),
        ("Email Address", "email"),
        ("Name der Organisation", "organisation"),
        ("ORGANIZATION", "organisation"),
        ("Kontaktperson", "contact_name"),
        ("Full Name", "contact_name"),
        ("akademischer Titel", "title"),
        ("Kategorie", "type"),
        ("Homepage", "website"),
        ("Notes", "description"),
        ("Persönliche Notiz", "note"),
        ("AUFHÄNGER", "note"),
    ],
)
def test_header_aliases(tmp_path: Path, header: str, field: str) -> None:
    # The tested header comes first, so it wins over the plain columns after it.
    result = read(tmp_path, f"{header},email,organisation\n")
    assert result.columns[header.strip()] == field


def test_aliases_are_normalised_keys() -> None:
    assert HEADER_ALIASES["email"] == "email"
    assert HEADER_ALIASES["emailadresse"] == "email"
    assert HEADER_ALIASES["namederorganisation"] == "organisation"
    assert all(key == key.casefold() and " " not in key for key in HEADER_ALIASES)


# --- unusable files -----------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = input_error(tmp_path / "x.csv")
    assert message == f"contacts file '{tmp_path / 'x.csv'}' not found"


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in input_error(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "email,org\n")

    def refuse(self: Path, *args: object, **kwargs: object) -> bytes:
        raise PermissionError(13, "Permission denied")

    # As root (CI) chmod does not stop reading, so the refusal is simulated at open().
    monkeypatch.setattr(Path, "open", refuse)
    assert input_error(path).endswith("cannot be read: Permission denied")


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert input_error(path).endswith("is empty")


def test_no_email_column(tmp_path: Path) -> None:
    message = input_error(write(tmp_path, "a;b;c\n1;2;3\n"))
    assert "has no email column; found columns: a, b, c; name one of: email, E-Mail" in message


def test_no_organisation_or_contact_column(tmp_path: Path) -> None:
    message = input_error(write(tmp_path, "email,city\na@alpha.example,Bonn\n"))
    assert "neither an organisation nor a contact-name column" in message
    assert "Firma" in message and "Ansprechpartner" in message


@pytest.mark.parametrize(
    "magic",
    [b"PK\x03\x04\x14\x00\x06\x00", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00"],
    ids=["xlsx", "xls"],
)
def test_workbook_given_by_mistake(tmp_path: Path, magic: bytes) -> None:
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(magic + bytes(range(256)) * 4)
    assert "looks like an Excel workbook; save it as CSV" in input_error(path)


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "not a text file" in input_error(path)


# --- size ---------------------------------------------------------------------------------


def test_ten_thousand_multiline_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    header = "email;organisation;contact;type;language;description;city\n"
    rows = "".join(
        f'person{i}@org{i}.example;Org {i};Person {i};Think Tank;de;"line one\nline two";Bonn\n'
        for i in range(10_000)
    )
    path = write(tmp_path, header + rows)
    result = read_contacts(path)
    assert len(result.contacts) == 10_000 and result.errors == []
    assert result.contacts[-1].row == 2 + 2 * 9_999


# --- what exports and copy-paste add around the data ------------------------------------


def test_excel_sep_hint_and_title_lines_above_the_header(tmp_path: Path) -> None:
    text = (
        "sep=;\r\n"
        "Kontaktliste Herbst 2026;;\r\n"
        "\r\n"
        "Name der Organisation;E-Mail;Ansprechpartner\r\n"
        "Tageblatt;redaktion@tageblatt.example;Redaktion\r\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    result = read_contacts(path)
    assert result.delimiter == ";" and result.errors == []
    (contact,) = result.contacts
    assert (contact.row, contact.organisation, contact.email) == (
        5,
        "Tageblatt",
        "redaktion@tageblatt.example",
    )


@pytest.mark.parametrize(
    ("cell", "address"),
    [
        ("Jane Roe <Jane@Example.org>", "Jane@example.org"),
        ("mailto:info@example.org?subject=Hallo", "info@example.org"),
        ("in\u200bfo@example.org\u200b", "info@example.org"),
        ("\u00a0info@example.org\u00a0", "info@example.org"),
    ],
)
def test_pasted_addresses_are_cleaned(tmp_path: Path, cell: str, address: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f'organisation,email\nOrg,"{cell}"\n', encoding="utf-8")
    (contact,) = read_contacts(path).contacts
    assert contact.email == address


def test_two_addresses_in_one_cell_are_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('organisation,email\nOrg,"a@example.org; b@example.org"\n', encoding="utf-8")
    result = read_contacts(path)
    assert result.contacts == []
    (error,) = result.errors
    assert (error.row, error.field) == (2, "email") and "one per row" in error.reason


def test_first_and_last_name_columns_make_the_contact_name(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(
        "Anrede;Titel;Vorname;Nachname;E-Mail;Firma\n"
        "Frau;Dr.;Käthe;Schäfer;k.schaefer@example.org;Tageblatt\n"
        ";;;;info@example.net;Verband\n",
        encoding="utf-8",
    )
    first, second = read_contacts(path).contacts
    assert (first.contact_name, first.salutation, first.title) == ("Käthe Schäfer", "Frau", "Dr.")
    assert second.contact_name == "" and second.organisation == "Verband"
