"""The names people see for form fields in an error summary ("Caption: Write a caption.")."""

from __future__ import annotations

FIELD_LABELS: dict[str, str] = {
    "caption": "Caption",
    "title": "Title",
    "images": "Images",
    "consent": "Consent",
    "content_warning": "Content warning",
    "visibility": "Who may see it",
    "specialties": "Specialties",
    "free_tags": "Tags",
    "username": "Username",
    "password": "Password",
    "email": "E-mail",
}


def field_label(name: str) -> str:
    if name.startswith("alt_"):
        return "Image description"
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
