"""web/blueprints."""
