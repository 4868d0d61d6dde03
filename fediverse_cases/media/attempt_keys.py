"""Store keys one attempt of a many-file job writes under, derived from one recorded seed.

A stack job writes hundreds of files (every frame at every window preset, every instance's
PS3.15 copy). It records a fresh random seed on its job row (``DeidJob.output_key``) *before* it
writes anything, and names the n-th shared file ``media_key(seed, n)`` and the n-th private file
``private_key(seed, n)``. A worker killed mid-stack leaves files only under those names, in order,
so the next attempt (``purge``) finds and removes every one of them before it starts: a retry never
leaves the half-done attempt's files behind. The keys are as unguessable as the seed (HMAC-SHA256
of a 128-bit secret), and look like any other store key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from fediverse_cases.media.store import new_key

# Files of one attempt are written in order, so the first missing index ends them; a few more
# are checked in case a file in the middle was removed by hand.
_GAP = 4


class _Store(Protocol):
    def has_any(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def new_seed() -> str:
    return new_key()


def _derive(seed: str, namespace: str, index: int) -> str:
    return hmac.new(seed.encode(), f"{namespace}:{index}".encode(), hashlib.sha256).hexdigest()[:32]


def media_key(seed: str, index: int) -> str:
    return _derive(seed, "media", index)


def private_key(seed: str, index: int) -> str:
    return _derive(seed, "private", index)


@dataclass
class KeySequence:
    """The next key of one attempt, for one store."""

    seed: str
    namespace: str
    index: int = 0

    def next(self) -> str:
        key = _derive(self.seed, self.namespace, self.index)
        self.index += 1
        return key


def _purge_one(store: _Store, seed: str, namespace: str) -> int:
    removed, index, misses = 0, 0, 0
    while misses <= _GAP:
        key = _derive(seed, namespace, index)
        if store.has_any(key):
            store.delete(key)
            removed, misses = removed + 1, 0
        else:
            misses += 1
        index += 1
    return removed


def purge(media_store: _Store, private_store: _Store, seed: str) -> int:
    """Delete every file an attempt with ``seed`` wrote (complete or half-written); how many keys."""
    if not seed:
        return 0
    return _purge_one(media_store, seed, "media") + _purge_one(private_store, seed, "private")
