"""Scripts that build the labelled corpus and train the type model (development only)."""
