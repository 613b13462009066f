"""Hashing helpers and the time index behind the date-range endpoints."""

from __future__ import annotations

import hashlib
import struct
from array import array
from bisect import bisect_left
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

_MASK = (1 << 64) - 1


def mix(*parts: int) -> int:
    """Hash integers to 64 well-spread bits (a splitmix64 chain).

    Python's own `hash` is salted per process; this one is stable, so generated
    data and fault decisions are the same in every run.
    """
    state = 0x9E3779B97F4A7C15
    for part in parts:
        state = (state ^ (part & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        state ^= state >> 29
        state = state * 0x94D049BB133111EB & _MASK
        state ^= state >> 32
    return state


def unit(*parts: int) -> float:
    """Map integers to a stable pseudo-random float in [0, 1)."""
    return (mix(*parts) >> 11) / float(1 << 53)


def order_key(seed: int, table: int, key: Hashable) -> int:
    """Return a seeded, stable sort key that scrambles rows of one table.

    The date-range endpoints do not return rows by date, so a client must not
    rely on any order; sorting by this key gives an order that is stable across
    pages and runs yet unrelated to time or insertion.
    """
    if isinstance(key, tuple):
        return mix(seed, table, *key)
    if isinstance(key, int):
        return mix(seed, table, key)
    msg = f"unsupported key {key!r}"
    raise TypeError(msg)


class TimeIndex:
    """Rows sorted by created and by updated instant, for window queries."""

    def __init__(self, created: array[int], updated: array[int]) -> None:
        """Sort row positions by each instant once, so a window is two bisects.

        Args:
            created: Creation instant (epoch ms) of each row position.
            updated: Last update instant (epoch ms) of each row position.
        """
        self._by_created = array(
            "l", sorted(range(len(created)), key=created.__getitem__)
        )
        self._created_sorted = array("q", (created[i] for i in self._by_created))
        self._by_updated = array(
            "l", sorted(range(len(updated)), key=updated.__getitem__)
        )
        self._updated_sorted = array("q", (updated[i] for i in self._by_updated))

    def window(self, since_ms: int, to_ms: int) -> set[int]:
        """Return row positions created or updated in [since_ms, to_ms)."""
        found: set[int] = set()
        for positions, instants in (
            (self._by_created, self._created_sorted),
            (self._by_updated, self._updated_sorted),
        ):
            low = bisect_left(instants, since_ms)
            high = bisect_left(instants, to_ms)
            found.update(positions[low:high])
        return found


def in_window(instants: Iterable[int], since_ms: int, to_ms: int) -> bool:
    """Tell whether any of the instants lies in [since_ms, to_ms)."""
    return any(since_ms <= moment < to_ms for moment in instants)


_KEY = struct.Struct("<QQQQ")


def digest(seed: int, table: int, a: int, b: int = 0) -> bytes:
    """Return 64 stable pseudo-random bytes for one record.

    Each field of a generated record reads its own byte(s), which is much
    cheaper than seeding a `random.Random` per record and keeps fields
    independent of each other.
    """
    key = _KEY.pack(seed & _MASK, table, a & _MASK, b & _MASK)
    return hashlib.blake2b(key, digest_size=64).digest()
