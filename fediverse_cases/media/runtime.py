"""The per-process media services an instance shares: the public and private stores and the one
de-identification engine (its models load once), built lazily from the settings and kept in
the state's ``extras``. Used by the case services and by the federation layer alike.
"""

from __future__ import annotations

from typing import Any, Protocol

from fediverse_cases.deidentify import Deidentifier, DeidentifyPolicy
from fediverse_cases.media.store import LocalMediaStore, LocalPrivateStore


class HasMediaSettings(Protocol):
    settings: Any
    extras: dict[str, Any]


def media_store(state: HasMediaSettings) -> LocalMediaStore:
    store = state.extras.get("media_store")
    if store is None:
        store = state.extras["media_store"] = LocalMediaStore(state.settings.media_dir)
    return store


def private_store(state: HasMediaSettings) -> LocalPrivateStore:
    store = state.extras.get("private_store")
    if store is None:
        store = state.extras["private_store"] = LocalPrivateStore(state.settings.private_dir)
    return store


def deidentifier(state: HasMediaSettings) -> Deidentifier:
    """One engine per process, built from the instance's upload and de-identification settings."""
    engine = state.extras.get("deidentifier")
    if engine is None:
        settings = state.settings
        allowlist = (
            () if settings.deidentify.text_policy == "cover_all" else settings.deidentify.text_allowlist
        )
        engine = state.extras["deidentifier"] = Deidentifier(
            DeidentifyPolicy(max_bytes=settings.uploads.max_image_bytes, text_allowlist=tuple(allowlist))
        )
    return engine
