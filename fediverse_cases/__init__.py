"""fediverse-cases: a federated ActivityPub server for sharing de-identified clinical cases."""

__version__ = "0.1.0"
