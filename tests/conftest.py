"""Shared fixtures: settings, a contacts file writer and ways to run the command line."""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

if TYPE_CHECKING:
    from mailserver import Certificates
    from sendkit import Server

from outreach.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
EXAMPLE = ROOT / "contacts" / "example.csv"

TEST_ENV = {
    "OUTREACH_FROM": "Anna Beispiel (PauseAI) <partnerships@example.org>",
    "OUTREACH_REPLY_TO": "PauseAI Partnerships <partnerships@example.org>",
    "OUTREACH_SIGNATURE": "Anna Beispiel\\nPauseAI",
    "OUTREACH_UNSUBSCRIBE": "unsubscribe@example.org",
}


def make_settings() -> Settings:
    """Settings as a campaign lead would write them, independent of the machine's environment."""
    return Settings.model_validate(
        {
            "from_": TEST_ENV["OUTREACH_FROM"],
            "reply_to": TEST_ENV["OUTREACH_REPLY_TO"],
            "signature": TEST_ENV["OUTREACH_SIGNATURE"],
            "unsubscribe": TEST_ENV["OUTREACH_UNSUBSCRIBE"],
        }
    )


@pytest.fixture
def settings() -> Settings:
    """The test settings (see make_settings)."""
    return make_settings()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write a contacts file in a given encoding and return its path."""

    def write(text: str, name: str = "contacts.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@dataclass(frozen=True)
class Ran:
    """What a command printed and its exit code."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Ran:
    """Run `outreach` in this process (click's runner), in `cwd`, with only `env` for settings."""
    from outreach.cli import cli

    environ: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OUTREACH_")}
    environ.update(TEST_ENV if env is None else env)
    before = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, list(args), env=environ, catch_exceptions=False)
    finally:
        os.chdir(before)
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `outreach` command in a subprocess, as a user or cron would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OUTREACH_")}
    full_env.update(TEST_ENV if env is None else env)
    return subprocess.run(
        [sys.executable, "-m", "outreach", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> "Certificates":
    """A CA and a server certificate for 127.0.0.1, made once."""
    from mailserver import Certificates

    return Certificates.make(tmp_path_factory.mktemp("certs"))


@pytest.fixture(params=[False, True], ids=["one-by-one", "pipelining"])
def server(certs: "Certificates", request: pytest.FixtureRequest) -> "Iterator[Server]":
    """A STARTTLS server with AUTH, once without PIPELINING and once offering it."""
    from sendkit import serve_in_mode

    yield from serve_in_mode(certs, request.param)
