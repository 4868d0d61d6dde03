"""Builds the per-process media services from the settings: the public and private stores and
the one de-identification engine (its models load on the first image, so building is cheap).
The state object (``federation.state``) builds them once and keeps them in typed fields.
"""

from __future__ import annotations

from fediverse_cases.deidentify import Deidentifier, DeidentifyPolicy
from fediverse_cases.settings import Settings


def build_deidentifier(settings: Settings) -> Deidentifier:
    """One engine per process, built from the instance's upload and de-identification settings."""
    allowlist = () if settings.deidentify.text_policy == "cover_all" else settings.deidentify.text_allowlist
    return Deidentifier(
        DeidentifyPolicy(max_bytes=settings.uploads.max_image_bytes, text_allowlist=tuple(allowlist))
    )
