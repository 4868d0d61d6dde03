"""storage/repositories."""
