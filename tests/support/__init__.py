"""Helpers shared by the test suite (databases, instances, forms)."""
