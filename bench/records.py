"""Order-free fingerprints of record sets, to tell whether two taps agree.

A tap's output is compared with another tap's, or with what the fake site says
a full sync must hold, without keeping either in memory: each record is written
canonically (keys sorted, null properties left out, whole floats as integers)
and hashed, and a stream's fingerprint is the count and the sum of the hashes.
The order records arrive in therefore does not matter, but their multiplicity
does: a record emitted twice changes the fingerprint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

STREAMS = ("users", "teams", "team_members", "courses", "course_users")

_MASK = (1 << 64) - 1
_encoder = msgspec.json.Encoder(order="sorted")
_decoder = msgspec.json.Decoder()


def canonical(record: dict[str, Any]) -> bytes:
    """Write a record so that equal records give equal bytes.

    A property that is null and one that is missing mean the same to a target,
    and so do ``100`` and ``100.0``.
    """
    kept = {
        name: _canonical_value(value)
        for name, value in record.items()
        if value is not None
    }
    return _encoder.encode(kept)


def _canonical_value(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class Fingerprint:
    """The count of a set of records and the sum of their hashes."""

    count: int = 0
    total: int = 0

    def add(self, record: dict[str, Any]) -> None:
        """Count one record."""
        digest = hashlib.blake2b(canonical(record), digest_size=8).digest()
        self.total = (self.total + int.from_bytes(digest, "little")) & _MASK
        self.count += 1

    def as_dict(self) -> dict[str, int]:
        """Return the fingerprint as plain data, to send between processes."""
        return {"count": self.count, "total": self.total}

    @classmethod
    def of(cls, records: Iterable[dict[str, Any]]) -> Fingerprint:
        """Return the fingerprint of some records."""
        fingerprint = cls()
        for record in records:
            fingerprint.add(record)
        return fingerprint

    @classmethod
    def from_dict(cls, data: dict[str, int]) -> Fingerprint:
        """Read a fingerprint written by `as_dict`."""
        return cls(count=int(data["count"]), total=int(data["total"]))


@dataclass
class SingerOutput:
    """What a tap wrote: a fingerprint per stream and its last state."""

    streams: dict[str, Fingerprint] = field(default_factory=dict)
    last_state: dict[str, Any] | None = None

    @property
    def records(self) -> int:
        """Return how many records the tap wrote, over every stream."""
        return sum(fingerprint.count for fingerprint in self.streams.values())

    def count(self, stream: str) -> int:
        """Return how many records the tap wrote for one stream."""
        found = self.streams.get(stream)
        return 0 if found is None else found.count


def read_singer_output(path: Path) -> SingerOutput:
    """Fingerprint the RECORD messages of a Singer output file, line by line."""
    output = SingerOutput()
    with path.open("rb") as lines:
        for line in lines:
            if not line.strip():
                continue
            message = _decoder.decode(line)
            kind = message.get("type")
            if kind == "RECORD":
                stream = message["stream"]
                found = output.streams.get(stream)
                if found is None:
                    found = output.streams[stream] = Fingerprint()
                found.add(message["record"])
            elif kind == "STATE":
                output.last_state = message["value"]
    return output
