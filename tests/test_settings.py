"""Settings from .env and the environment."""

from pathlib import Path

import pytest

from outreach.errors import SettingsError
from outreach.settings import load_settings


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        'OUTREACH_FROM="Anna <anna@example.org>"\nOUTREACH_RATE=10\n'
        'OUTREACH_SIGNATURE="Anna Beispiel\\nPauseAI"\nOUTREACH_SMTP_PASSWORD=geheim\n',
        encoding="utf-8",
    )
    settings = load_settings(env, environ={"OUTREACH_RATE": "30"})
    assert settings.from_address == "anna@example.org"
    assert settings.rate == 30
    assert settings.signature_lines("de") == ["Anna Beispiel", "PauseAI"]
    assert "geheim" not in repr(settings)
    assert settings.smtp_password.get_secret_value() == "geheim"


def test_missing_sender_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"OUTREACH_FROM is not set: copy \.env\.example"):
        load_settings(environ={}, env_file=_empty(tmp_path))


def test_bad_values_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="OUTREACH_FROM: 'not an address'"):
        load_settings(_empty(tmp_path), environ={"OUTREACH_FROM": "not an address"})
    with pytest.raises(SettingsError, match="OUTREACH_SMTP_SECURITY"):
        load_settings(
            _empty(tmp_path),
            environ={"OUTREACH_FROM": "a@example.org", "OUTREACH_SMTP_SECURITY": "tls-maybe"},
        )


def test_missing_env_file_named_explicitly(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.env", environ={})


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings(_empty(tmp_path), environ={"OUTREACH_FROM": "Anna <a@example.org>"})
    assert settings.reply_to_or_from == "Anna <a@example.org>"
    assert settings.unsubscribe_address == "a@example.org"
    assert settings.signature_lines("en") == ["Anna", "PauseAI"]
    assert settings.smtp_security == "starttls"


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.env"
    path.write_text("", encoding="utf-8")
    return path


def test_signature_per_language(tmp_path: Path) -> None:
    settings = load_settings(
        _empty(tmp_path),
        environ={
            "OUTREACH_FROM": "Anna <a@example.org>",
            "OUTREACH_SIGNATURE": "Anna\\nPauseAI",
            "OUTREACH_SIGNATURE_DE": "Anna\\nPartnerschaften, PauseAI Deutschland",
        },
    )
    assert settings.signature_lines("de") == ["Anna", "Partnerschaften, PauseAI Deutschland"]
    assert settings.signature_lines("en") == ["Anna", "PauseAI"]
