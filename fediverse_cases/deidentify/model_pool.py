"""A small pool of detector model instances shared by the engine's worker threads.

Detector sessions are not safe to share between threads, and loading one is slow, so each
detector keeps up to ``size`` instances: a caller borrows one, uses it alone, and returns it.
Instances are created on first need (or all at once by ``fill``); a failed creation frees its
slot so a later call can try again.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class ModelPool(Generic[T]):
    def __init__(self, factory: Callable[[], T], size: int = 1) -> None:
        self._factory = factory
        self._size = max(1, size)
        self._lock = threading.Lock()
        self._created = 0
        self._idle: queue.SimpleQueue[T] = queue.SimpleQueue()

    @property
    def size(self) -> int:
        return self._size

    def fill(self) -> None:
        """Create every instance now (start-up warm-up)."""
        models = [self._checkout() for _ in range(self._size)]
        for model in models:
            self._idle.put(model)

    @contextmanager
    def borrow(self) -> Iterator[T]:
        model = self._checkout()
        try:
            yield model
        finally:
            self._idle.put(model)

    def _checkout(self) -> T:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            create = self._created < self._size
            if create:
                self._created += 1
        if create:
            try:
                return self._factory()
            except Exception:
                with self._lock:
                    self._created -= 1
                raise
        return self._idle.get()
