"""The command line as users and cron run it: exit codes, one-line errors, output formats."""

import csv
import io
import json
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT, TEST_ENV, Ran, run_cli, run_process

HEADER = "organisation,email,description\n"


def test_draft_writes_the_batch_and_says_where_the_review_page_is(tmp_path: Path) -> None:
    result = run_cli("draft", str(EXAMPLE), "--out", str(tmp_path), "--batch", "b1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Review page: {tmp_path / 'b1' / 'index.html'}" in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert len(list((tmp_path / "b1" / "drafts").glob("*.eml"))) == 22


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    result = run_cli("draft", str(EXAMPLE), "--out", str(tmp_path), "--quiet", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert (tmp_path / "example" / "index.html").is_file()  # batch name from the file name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("", "is empty"),
        ("name,phone\nAcme,123\n", "has no email column"),
    ],
)
def test_unusable_file_is_one_line_and_exit_2(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "contacts.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_cli("draft", str(path), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_sender_setting_is_exit_2(tmp_path: Path) -> None:
    result = run_cli("draft", str(EXAMPLE), cwd=tmp_path, env={})
    assert result.returncode == 2
    assert (
        result.stderr
        == "Error: OUTREACH_FROM is not set: copy .env.example to .env and fill in the sender\n"
    )


def test_bad_rows_are_reported_and_strict_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(HEADER + "Good,good@example.org,\nBad,not-an-address,\n", encoding="utf-8")
    relaxed = run_cli("draft", str(path), "--out", str(tmp_path), cwd=tmp_path)
    assert relaxed.returncode == 0 and "1 row problem(s) reported" in relaxed.stdout
    strict = run_cli("draft", str(path), "--out", str(tmp_path), "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert len(list((tmp_path / "c" / "drafts").glob("*.eml"))) == 1


def test_bad_batch_name_is_refused(tmp_path: Path) -> None:
    result = run_cli("draft", str(EXAMPLE), "--batch", "../escape", cwd=tmp_path)
    assert result.returncode == 2 and "batch name '../escape' is not usable" in result.stderr


def test_classify_formats(tmp_path: Path) -> None:
    as_csv = run_cli("classify", str(EXAMPLE), "--format", "csv", cwd=tmp_path)
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert list(rows[0]) == ["row", "email", "organisation", "type", "confidence", "evidence"]
    assert len(rows) == 22
    as_json = json.loads(run_cli("classify", str(EXAMPLE), "--format", "json", cwd=tmp_path).stdout)
    assert [r["type"] for r in as_json] == [r["type"] for r in rows]
    table = run_cli("classify", str(EXAMPLE), cwd=tmp_path)
    assert table.returncode == 0 and "policymaker" in table.stdout
    assert run_cli("classify", str(EXAMPLE), "--format", "xml", cwd=tmp_path).returncode == 2


def test_classify_needs_no_settings(tmp_path: Path) -> None:
    assert (
        run_cli("classify", str(EXAMPLE), "--format", "csv", cwd=tmp_path, env={}).returncode == 0
    )


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    from outreach.cli import cli

    for name in cli.commands:
        assert f"outreach {name}" in readme


def test_rules_file_in_the_working_directory_teaches_the_classifier(tmp_path: Path) -> None:
    contacts = tmp_path / "c.csv"
    contacts.write_text(
        HEADER + "Kulturzentrum Alte Mühle,programm@alte-muehle.example,\n", encoding="utf-8"
    )
    before = run_cli("classify", str(contacts), "--format", "json", cwd=tmp_path)
    assert json.loads(before.stdout)[0]["type"] == "general"
    (tmp_path / "outreach-rules.toml").write_text(
        '[advocacy_org]\nterms = ["Kulturzentrum"]\n', encoding="utf-8"
    )
    after = json.loads(run_cli("classify", str(contacts), "--format", "json", cwd=tmp_path).stdout)
    assert after[0]["type"] == "advocacy_org"
    assert "Kulturzentrum" in after[0]["evidence"]
    drafted = run_cli("draft", str(contacts), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert drafted.returncode == 0, drafted.stderr
    manifest = (tmp_path / "out" / "c" / "manifest.csv").read_text(encoding="utf-8-sig")
    assert ",advocacy_org," in manifest
    (tmp_path / "outreach-rules.toml").write_text(
        "[advocacy_org]\nterms = [42]\n", encoding="utf-8"
    )
    broken = run_cli("classify", str(contacts), cwd=tmp_path)
    assert broken.returncode == 2
    assert broken.stderr.startswith("Error: outreach-rules.toml: [advocacy_org] terms[0]")


def one_line_error(result: Ran, code: int) -> str:
    """The error line of a failed command, checked to be one line with the given exit code."""
    assert (result.returncode, result.stdout) == (code, ""), result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    return result.stderr


def test_a_batch_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    result = run_cli("draft", str(EXAMPLE), "--out", "/dev/null/x", "--quiet", cwd=tmp_path)
    assert "cannot write the batch in '/dev/null/x/example'" in one_line_error(result, 2)


def test_a_full_disk_while_drafting_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    real_write = os.write

    def full_after_a_while(fd: int, data: bytes) -> int:
        if len(list((tmp_path / "out" / "example" / "drafts").glob("*.eml"))) >= 5:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr("outreach.files.os.write", full_after_a_while)
    result = run_cli("draft", str(EXAMPLE), "--out", "out", "--quiet", cwd=tmp_path)
    assert "No space left on device" in one_line_error(result, 2)
    assert not (tmp_path / "out" / "example" / "manifest.csv").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("suppress", "add", "x@example.org"),
        ("suppress", "import", "x.txt"),
        ("resolve", "<a@b>", "--sent"),
    ],
)
def test_a_ledger_path_that_cannot_be_used_is_one_line(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    env = {**TEST_ENV, "OUTREACH_DB": "/dev/null/ledger.db"}
    error = one_line_error(run_cli(*args, cwd=tmp_path, env=env), 2)
    assert "/dev/null/ledger.db" in error


def test_the_installed_command_prints_one_line_and_exits_with_the_code(tmp_path: Path) -> None:
    # The real entry point in its own process, as cron runs it.
    result = run_process("draft", str(tmp_path / "missing.csv"), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"Error: contacts file '{tmp_path / 'missing.csv'}' not found\n"
    ok = run_process("draft", str(EXAMPLE), "--out", str(tmp_path), "--quiet", cwd=tmp_path)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
