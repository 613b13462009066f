"""A compact record of the keys a stream has emitted in this run.

Litmos pages have been seen to hold more items than asked for, and offset paging
over changing data can repeat rows, so a stream drops a key it already emitted.
A set of key strings would grow by about a hundred bytes per record; this table
keeps one 64-bit fingerprint per key, so memory stays nearly flat as sites grow
into hundreds of thousands of users.
"""

from __future__ import annotations

import hashlib

_FINGERPRINT_SIZE = 8
_BUCKET_COUNT = 1 << 12


def _fingerprint(key: tuple[str, ...]) -> bytes:
    # A 64-bit digest, the same in every process (unlike hash() of a str).
    return hashlib.blake2b(
        "\x1f".join(key).encode(), digest_size=_FINGERPRINT_SIZE
    ).digest()


def _bucket_of(fingerprint: bytes) -> int:
    return (fingerprint[0] | fingerprint[1] << 8) & (_BUCKET_COUNT - 1)


def _holds(bucket: bytearray, fingerprint: bytes) -> bool:
    position = bucket.find(fingerprint)
    while position >= 0:
        # A match straddling two stored fingerprints is not one of them.
        if position % _FINGERPRINT_SIZE == 0:
            return True
        position = bucket.find(fingerprint, position + 1)
    return False


class KeyLedger:
    """An insert-only set of record keys, stored as 64-bit fingerprints.

    Two different keys share a fingerprint with a probability of about 1 in
    10^8 for a million keys; such a pair would make the later record look like
    a repeat.
    """

    def __init__(self) -> None:
        """Create an empty ledger."""
        # Fingerprints are packed into byte strings, one per bucket, searched in
        # C. Unlike an open-addressing table, which must stay half empty and is
        # copied whole to grow, they hold 8 bytes a key plus a little slack, and
        # grow a bucket at a time with no moment when two copies are alive.
        self._buckets: list[bytearray | None] = [None] * _BUCKET_COUNT
        self._count = 0

    def __len__(self) -> int:
        """Return how many keys the ledger holds."""
        return self._count

    def __contains__(self, key: tuple[str, ...]) -> bool:
        """Tell whether a key was recorded."""
        fingerprint = _fingerprint(key)
        bucket = self._buckets[_bucket_of(fingerprint)]
        return bucket is not None and _holds(bucket, fingerprint)

    def add(self, key: tuple[str, ...]) -> bool:
        """Record a key.

        Args:
            key: The primary key values of a record.

        Returns:
            True when the key is new, False when it was recorded before.
        """
        fingerprint = _fingerprint(key)
        index = _bucket_of(fingerprint)
        bucket = self._buckets[index]
        if bucket is None:
            self._buckets[index] = bytearray(fingerprint)
        elif _holds(bucket, fingerprint):
            return False
        else:
            bucket += fingerprint
        self._count += 1
        return True
