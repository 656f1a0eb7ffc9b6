"""Approved drafts out through SMTP, every step recorded in the ledger."""
