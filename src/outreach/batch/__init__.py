"""The batch folder: written by `draft`, read by approve, send and status."""
