"""The documented example configuration files, shipped as package data (see cli.example_config)."""
