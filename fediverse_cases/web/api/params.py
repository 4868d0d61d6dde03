"""Reading API parameters the way Mastodon does: query string, form or JSON body, and
``name[]`` array parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quart import request

from fediverse_cases.web.api.errors import ApiError

TRUE_WORDS = frozenset({"1", "true", "t", "on", "yes"})


@dataclass
class Params:
    values: dict[str, list[Any]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        items = self.values.get(name) or self.values.get(f"{name}[]")
        if not items:
            return default
        value = items[0]
        return (
            value
            if isinstance(value, str)
            else str(value)
            if not isinstance(value, (list, dict))
            else default
        )

    def get_list(self, name: str) -> list[str]:
        items = self.values.get(f"{name}[]") or self.values.get(name) or []
        flat: list[str] = []
        for item in items:
            flat.extend(str(v) for v in item) if isinstance(item, list) else flat.append(str(item))
        return flat

    def get_bool(self, name: str, default: bool = False) -> bool:
        raw = self.values.get(name)
        if not raw:
            return default
        value = raw[0]
        return value if isinstance(value, bool) else str(value).strip().lower() in TRUE_WORDS

    def get_int(self, name: str, default: int, *, low: int, high: int) -> int:
        text = self.get(name)
        if not text:
            return default
        try:
            return max(low, min(high, int(text)))
        except ValueError:
            raise ApiError(422, f"Validation failed: {name} must be a number") from None

    def has(self, name: str) -> bool:
        return name in self.values or f"{name}[]" in self.values


async def read_params() -> Params:
    values: dict[str, list[Any]] = {}
    for key in request.args:
        values.setdefault(key, []).extend(request.args.getlist(key))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            body = await request.get_json(silent=True)
            if body is not None and not isinstance(body, dict):
                raise ApiError(422, "Validation failed: the JSON body must be an object")
            for key, value in (body or {}).items():
                values[key] = [value]
        else:
            form = await request.form
            for key in form:
                values[key] = form.getlist(key)
    return Params(values)
