"""One email from a classified contact: content, greeting, rendering, MIME bytes."""
