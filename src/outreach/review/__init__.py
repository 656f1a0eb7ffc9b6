"""What volunteers look at before a draft is approved."""
