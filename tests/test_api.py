"""The library as a script uses it: the README's example, run as it is written."""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT
from mailserver import Certificates
from sendkit import Server, serve


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve("starttls", Certificates.make(tmp_path_factory.mktemp("certs")))


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Using it from Python") :]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, "the README has no Python example"
    return found.group(1)


def test_the_readme_example_drafts_approves_and_sends(
    tmp_path: Path,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = readme_example()
    assert len(code.strip().splitlines()) <= 12
    (tmp_path / "contacts").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "contacts" / "example.csv")
    for key in [key for key in os.environ if key.startswith("OUTREACH_")]:
        monkeypatch.delenv(key)
    for key, value in server.env(tmp_path / "outreach.db").items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["22 drafted, 0 rows skipped", "5 sent"]
    assert len(server.handler.deliveries) == 5


def test_draft_batch_takes_any_iterable_of_contacts(tmp_path: Path) -> None:
    from outreach import Contact, draft_batch, load_settings

    settings = load_settings(ROOT / ".env.example", environ={})
    rows = (
        Contact.from_row(
            row, {"email": f"info{row}@example.org", "organisation": f"Verein {row}"}, {}
        )
        for row in (2, 3)
    )
    report = draft_batch(rows, tmp_path, "generated", settings)
    assert (report.drafted, report.errors) == (2, [])
    assert sorted(p.name for p in (report.folder / "drafts").iterdir()) == [
        "00002-verein-2.eml", "00003-verein-3.eml"
    ]  # fmt: skip


def test_the_package_loads_the_stages_only_when_asked() -> None:
    import subprocess
    import sys

    probe = (
        "import outreach, sys; outreach.OutreachError; "
        "print('pandas' in sys.modules, 'jinja2' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
