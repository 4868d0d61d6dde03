"""activitypub."""
