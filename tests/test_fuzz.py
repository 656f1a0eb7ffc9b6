"""Mutated and re-encoded contacts files: `draft` answers with an exit code, never a traceback."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, run_cli
from outreach.errors import OutreachError
from outreach.ingest.contacts import read_contacts

BASE = "\n".join(EXAMPLE.read_text(encoding="utf-8").splitlines()[:6]) + "\n"
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1")
NASTY = ['"', "\n", "\r", ";", ",", "\t", "\x00", "\ufeff", "=", "@", "ü", "\u2028", "<", "{{"]

edits = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1),
        st.sampled_from(["insert", "delete", "replace"]),
        st.one_of(st.sampled_from(NASTY), st.text(max_size=3), st.binary(max_size=3)),
    ),
    max_size=8,
)


def mutated(changes: list[tuple[float, str, str | bytes]], encoding: str) -> bytes:
    data = BASE.encode(encoding, errors="replace")
    for where, how, piece in changes:
        at = int(where * len(data))
        chunk = piece if isinstance(piece, bytes) else piece.encode(encoding, errors="replace")
        if how == "insert":
            data = data[:at] + chunk + data[at:]
        elif how == "delete":
            data = data[:at] + data[at + len(chunk) + 1 :]
        else:
            data = data[:at] + chunk + data[at + len(chunk) :]
    return data


def fuzzed(examples: int):  # type: ignore[no-untyped-def]
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # the same cases every run: a failure can be run again
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


@fuzzed(200)
@given(changes=edits, encoding=st.sampled_from(ENCODINGS))
def test_reading_a_mutated_file_gives_rows_and_row_errors_or_one_clear_error(
    tmp_path: Path, changes: list[tuple[float, str, str | bytes]], encoding: str
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(mutated(changes, encoding))
    try:
        contacts = read_contacts(path)
        rows = list(contacts)
    except OutreachError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert all(error.reason for error in contacts.errors)
    assert len({contact.email_ascii.casefold() for contact in rows}) == len(rows)


@fuzzed(30)
@given(changes=edits, encoding=st.sampled_from(ENCODINGS), strict=st.booleans())
def test_a_mutated_file_never_causes_a_traceback(
    tmp_path: Path, changes: list[tuple[float, str, str | bytes]], encoding: str, strict: bool
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(mutated(changes, encoding))
    args = ["draft", str(path), "--out", str(tmp_path / "out"), "--batch", "fuzz", "--quiet"]
    result = run_cli(*args, *(["--strict"] if strict else []), cwd=tmp_path)  # raises on a bug
    assert result.returncode in (0, 1, 2), result
    assert result.returncode != 1 or strict
    if result.returncode == 2:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
