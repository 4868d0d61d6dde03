"""Geometry value types shared by the engine, its reports and its callers: ``Box``.

Owns rectangles in upright-original pixel coordinates and nothing else; imports only the standard
library, so every other module of the package (model, report, detectors) can depend on it without
depending on each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in pixel coordinates of the upright original image."""

    x: int
    y: int
    w: int
    h: int

    def __post_init__(self) -> None:
        for name in ("x", "y", "w", "h"):
            if not isinstance(getattr(self, name), int):
                raise TypeError(f"Box.{name} must be an int")
        if self.w <= 0 or self.h <= 0:
            raise ValueError("Box width and height must be positive")

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def area(self) -> int:
        return self.w * self.h

    def clip(self, width: int, height: int) -> Box | None:
        """This box intersected with an image of the given size, or None if they do not meet."""
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(width, self.right), min(height, self.bottom)
        if x1 <= x0 or y1 <= y0:
            return None
        return Box(x0, y0, x1 - x0, y1 - y0)

    def grow(self, margin_x: int, margin_y: int) -> Box:
        return Box(self.x - margin_x, self.y - margin_y, self.w + 2 * margin_x, self.h + 2 * margin_y)

    def shift(self, dx: int, dy: int) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)

    def to_json(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}
