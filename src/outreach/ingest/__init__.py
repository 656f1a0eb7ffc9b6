"""Reading contacts files: encodings, columns, cells and addresses."""
