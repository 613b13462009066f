"""A compact record of the keys a stream has emitted in this run.

Litmos pages have been seen to hold more items than asked for, and offset paging
over changing data can repeat rows, so a stream drops a key it already emitted.
A set of key strings would grow by about a hundred bytes per record; this table
keeps one 64-bit fingerprint per key, so memory stays nearly flat as sites grow
into hundreds of thousands of users.
"""

from __future__ import annotations

import hashlib
from array import array

_EMPTY = 0
_INITIAL_SLOTS = 1 << 12


def _fingerprint(key: tuple[str, ...]) -> int:
    # A keyed-free, stable 64-bit digest; 0 marks an empty slot, so it is remapped.
    digest = hashlib.blake2b("\x1f".join(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


class KeyLedger:
    """An insert-only set of record keys, stored as 64-bit fingerprints.

    Two different keys share a fingerprint with a probability of about 1 in
    10^8 for a million keys; such a pair would make the later record look like
    a repeat.
    """

    def __init__(self) -> None:
        """Create an empty ledger."""
        self._slots = array("Q", bytes(8 * _INITIAL_SLOTS))
        self._mask = _INITIAL_SLOTS - 1
        self._count = 0

    def __len__(self) -> int:
        """Return how many keys the ledger holds."""
        return self._count

    def __contains__(self, key: tuple[str, ...]) -> bool:
        """Tell whether a key was recorded."""
        fingerprint = _fingerprint(key)
        slots, mask = self._slots, self._mask
        index = fingerprint & mask
        while (held := slots[index]) != _EMPTY:
            if held == fingerprint:
                return True
            index = (index + 1) & mask
        return False

    def add(self, key: tuple[str, ...]) -> bool:
        """Record a key.

        Args:
            key: The primary key values of a record.

        Returns:
            True when the key is new, False when it was recorded before.
        """
        fingerprint = _fingerprint(key)
        slots, mask = self._slots, self._mask
        index = fingerprint & mask
        while True:
            held = slots[index]
            if held == _EMPTY:
                break
            if held == fingerprint:
                return False
            index = (index + 1) & mask

        slots[index] = fingerprint
        self._count += 1
        # Linear probing stays fast while the table is at most half full.
        if 2 * self._count > len(slots):
            self._grow()
        return True

    def _grow(self) -> None:
        old_slots = self._slots
        size = 2 * len(old_slots)
        self._slots = array("Q", bytes(8 * size))
        self._mask = size - 1
        slots, mask = self._slots, self._mask
        for fingerprint in old_slots:
            if fingerprint == _EMPTY:
                continue
            index = fingerprint & mask
            while slots[index] != _EMPTY:
                index = (index + 1) & mask
            slots[index] = fingerprint
