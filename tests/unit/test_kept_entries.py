"""The per-process maps (kept values and documents, the fast path's requests, template URLs,
verified cookies) stay within their bound, dropping the least recently stored first."""

from __future__ import annotations

from dataclasses import dataclass

from fediverse_cases.storage.change_signal import ChangeSignal, Versions
from fediverse_cases.web.kept_entries import KeptEntries, keep_bounded


@dataclass(frozen=True)
class Entry:
    name: str
    versions: Versions = ()
    expires_at: float | None = None


def test_the_oldest_stored_goes_first_and_storing_again_makes_an_entry_new() -> None:
    entries: dict[str, int] = {}
    for key in "abc":
        keep_bounded(entries, key, ord(key), 3)
    keep_bounded(entries, "a", 1, 3)  # stored again: now the newest
    keep_bounded(entries, "d", 4, 3)
    assert entries == {"c": ord("c"), "a": 1, "d": 4}


def test_kept_entries_hold_at_most_their_bound_and_none_when_off() -> None:
    signal = ChangeSignal(None)
    try:
        kept: KeptEntries[Entry] = KeptEntries(signal, 2)
        for name in ("one", "two", "three"):
            kept.store(name, Entry(name))
        assert [kept.lookup(name) for name in ("one", "two", "three")] == [None, Entry("two"), Entry("three")]
        off: KeptEntries[Entry] = KeptEntries(signal, 0)
        off.store("one", Entry("one"))
        assert off.lookup("one") is None
    finally:
        signal.close()
