"""The kind of partner an organisation is, and the language to write to it in."""
