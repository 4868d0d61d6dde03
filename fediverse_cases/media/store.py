"""Local-folder media stores.

``LocalMediaStore`` holds shareable, de-identified images: ``save`` takes a ``CleanImage`` and
nothing else, so an un-scrubbed upload cannot reach a public URL by mistake. Each image is saved
under one random key as three variants (full, display, thumb) named ``<key>-<variant><ext>``.

``LocalPrivateStore`` holds what must never be served publicly: uploaded originals and consent
form scans. It lives in ``settings.private_dir``, outside the media folder.

Keys are 32 random hex characters (128 bits): unguessable, and safe as file names.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from fediverse_cases.deidentify import CleanImage

MEDIA_VARIANTS: tuple[str, ...] = ("full", "display", "thumb")
_KEY_RE = re.compile(r"^[0-9a-f]{32}$")
_NAME_RE = re.compile(r"^(?P<key>[0-9a-f]{32})-(?P<variant>full|display|thumb)(?P<ext>\.(?:jpg|png))$")
_EXTENSION_TYPES = {".jpg": "image/jpeg", ".png": "image/png"}


def new_key() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class MediaName:
    key: str
    variant: str
    extension: str

    @property
    def media_type(self) -> str:
        return _EXTENSION_TYPES[self.extension]


def parse_media_name(name: str) -> MediaName | None:
    """``<key>-<variant><ext>`` from a URL, or None when it is not one of ours."""
    match = _NAME_RE.match(name)
    if match is None:
        return None
    return MediaName(match["key"], match["variant"], match["ext"])


@dataclass(frozen=True)
class StoredImage:
    key: str
    extension: str
    media_type: str


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class LocalMediaStore:
    """De-identified derivatives in ``media_dir``, sharded by the key's first two characters."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str, variant: str, extension: str) -> Path:
        if not _KEY_RE.match(key) or variant not in MEDIA_VARIANTS or extension not in _EXTENSION_TYPES:
            raise ValueError("not a media file name")
        return self.root / key[:2] / f"{key}-{variant}{extension}"

    def save(self, image: CleanImage, key: str | None = None) -> StoredImage:
        """Every variant under ``key`` (a new random key by default; a job passes the key it
        recorded beforehand, so a crash mid-write leaves files it can find and remove)."""
        if not isinstance(image, CleanImage):  # the type is the guarantee; refuse anything else
            raise TypeError("the media store accepts only de-identified CleanImage values")
        extension = ".jpg" if image.media_type == "image/jpeg" else ".png"
        key = key or new_key()
        for variant, data in (("full", image.data), ("display", image.display), ("thumb", image.thumbnail)):
            _write_atomically(self._path(key, variant, extension), data)
        return StoredImage(key, extension, image.media_type)

    def read(self, name: MediaName) -> bytes | None:
        try:
            return self._path(name.key, name.variant, name.extension).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def path_of(self, name: MediaName) -> Path | None:
        """The stored file for ``name``, or None; the front proxy sends it (X-Accel-Redirect)."""
        path = self._path(name.key, name.variant, name.extension)
        return path if path.is_file() else None

    def delete(self, key: str) -> None:
        """Every variant of ``key``, and what a write killed halfway left (its temporary files);
        missing files are fine (deleting twice is harmless)."""
        if not _KEY_RE.match(key):
            return
        for extension in _EXTENSION_TYPES:
            for variant in MEDIA_VARIANTS:
                self._path(key, variant, extension).unlink(missing_ok=True)
        for partial in (self.root / key[:2]).glob(f".{key}-*.tmp"):
            partial.unlink(missing_ok=True)

    def has_any(self, key: str) -> bool:
        """Some file of ``key`` exists, complete or half-written."""
        if not _KEY_RE.match(key):
            return False
        return bool(self.files(key)) or any((self.root / key[:2]).glob(f".{key}-*.tmp"))

    def files(self, key: str) -> list[Path]:
        """The files stored under ``key`` (tests and withdrawal checks use this)."""
        if not _KEY_RE.match(key):
            return []
        return sorted((self.root / key[:2]).glob(f"{key}-*"))


class LocalPrivateStore:
    """Originals and consent scans in ``private_dir``; never reachable from a URL."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY_RE.match(key):
            raise ValueError("not a private store key")
        return self.root / key[:2] / key

    def put(self, data: bytes, key: str | None = None) -> str:
        """Store ``data`` under ``key`` (a new random key by default; a job passes the key it
        derived from its recorded seed, see ``media.attempt_keys``)."""
        key = key or new_key()
        _write_atomically(self._path(key), data)
        return key

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except ValueError:
            return False

    def delete(self, key: str) -> None:
        if _KEY_RE.match(key):
            self._path(key).unlink(missing_ok=True)
            for partial in (self.root / key[:2]).glob(f".{key}.*.tmp"):
                partial.unlink(missing_ok=True)

    def has_any(self, key: str) -> bool:
        """``key`` is stored, or a write of it was killed halfway."""
        if not _KEY_RE.match(key):
            return False
        return self.exists(key) or any((self.root / key[:2]).glob(f".{key}.*.tmp"))
