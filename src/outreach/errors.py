"""Typed errors that the CLI turns into one line and an exit code."""


class OutreachError(Exception):
    """Base for every error a user can cause; its text is the one line shown."""

    exit_code = 1


class InputError(OutreachError):
    """An input file that cannot be used at all (missing, empty, no email column)."""

    exit_code = 2


class ContentError(OutreachError):
    """Email content or templates that are missing or malformed."""

    exit_code = 2


class SettingsError(OutreachError):
    """A setting from the environment or `.env` that is missing or malformed."""

    exit_code = 2
