"""outreach: personal, reviewed partnership emails from a spreadsheet of organisations."""

__version__ = "0.1.0"
