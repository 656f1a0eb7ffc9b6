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


class HeaderInjectionError(ContentError):
    """A header value that contains a line break or control character."""


class OutputError(OutreachError):
    """A folder or file that cannot be written (no such folder, no permission, disk full)."""

    exit_code = 2


class SettingsError(OutreachError):
    """A setting from the environment or `.env` that is missing or malformed."""

    exit_code = 2


class LedgerError(OutreachError):
    """A ledger file that cannot be used, or a state change the ledger does not allow."""

    exit_code = 2


class SmtpConfigError(OutreachError):
    """An SMTP set-up that must be fixed by a person: no STARTTLS, untrusted certificate, login."""

    exit_code = 2


class LockedError(OutreachError):
    """Another `send` run holds the ledger's lock."""

    exit_code = 3


class SmtpUnavailableError(OutreachError):
    """The SMTP server could not be reached or went away; a later run can try again."""

    exit_code = 4
