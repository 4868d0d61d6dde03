"""Where image bytes live: the public store of de-identified derivatives (accepts only the
de-identification engine's ``CleanImage``) and the private store of originals and consent forms.

Imports the deidentify value types and the standard library only.
"""

from __future__ import annotations

from fediverse_cases.media.store import (
    MEDIA_VARIANTS,
    LocalMediaStore,
    LocalPrivateStore,
    MediaName,
    StoredImage,
    parse_media_name,
)

__all__ = [
    "MEDIA_VARIANTS",
    "LocalMediaStore",
    "LocalPrivateStore",
    "MediaName",
    "StoredImage",
    "parse_media_name",
]
