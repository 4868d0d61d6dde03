"""storage/models."""
