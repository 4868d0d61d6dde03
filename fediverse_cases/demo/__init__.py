"""The demo hospital: its three accounts and generated sample cases (``fediverse-cases demo``).

Sits beside the CLI, above the services it drives; nothing but the CLI imports it.
"""
