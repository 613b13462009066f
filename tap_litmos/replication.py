"""Full reads, change reads and bookmarks, common to every Litmos stream.

A stream reads in one of two ways:

- everything, through the plain list endpoints, which carry no modified
  timestamps. Once a full read ends, the bookmark is the moment it began, less
  an overlap: whatever changed after that is left to the next run.
- changes only, through the date-range endpoints, window by window from the
  bookmark up to now, the bookmark moving after each window read in full.

State holds one bookmark per stream, however many teams or courses there are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from typing_extensions import override

from tap_litmos.client import LitmosStream
from tap_litmos.dates import UnparseableDateError, format_rfc3339, parse_setting_date
from tap_litmos.errors import LitmosError
from tap_litmos.ledger import KeyLedger
from tap_litmos.shapes import MissingKeyError, RecordShape
from tap_litmos.windows import OVERLAP, bookmark_after, plan_windows

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Iterator

    from singer_sdk.helpers.types import Context, Record


class ReplicatedStream(LitmosStream):
    """A stream that reads everything on its first run and changes after that."""

    replication_key = "updated_date"
    is_sorted = False

    #: The date-range endpoint listing what changed, and the shape of its rows.
    change_endpoint: ClassVar[str]
    change_shape: ClassVar[RecordShape]

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        """Create the stream with an empty ledger of emitted keys."""
        super().__init__(*args, **kwargs)
        self._emitted = KeyLedger()
        self._keyless_rows = 0

    @override
    def get_records(self, context: Context | None) -> Iterator[Record]:
        self._emitted = KeyLedger()
        self._keyless_rows = 0
        bookmark = self._bookmark()
        try:
            if self.replication_method == REPLICATION_FULL_TABLE:
                yield from self.read_everything()
            elif bookmark is not None:
                yield from self._read_changes(bookmark, first_run=False)
            elif (start := self._start_date()) and self.changes_cost_less(start):
                yield from self._read_changes(start, first_run=True)
            else:
                read_started = self.connection.clock.now()
                yield from self.read_everything()
                self._save_bookmark(read_started - OVERLAP)
        finally:
            if self._keyless_rows:
                self.logger.warning(
                    "Stream '%s': skipped %d rows without %s.",
                    self.name,
                    self._keyless_rows,
                    " and ".join(self.primary_keys),
                )

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        # Rows of a date-range window come in no order, so the SDK's bookmark
        # (the greatest replication value seen so far) could pass rows not yet
        # read. Bookmarks move in _save_bookmark, once a window is complete.
        return

    def read_everything(self) -> Iterator[Record]:
        """Yield the complete current snapshot from the plain list endpoints."""
        raise NotImplementedError

    def changes_cost_less(self, start: dt.datetime) -> bool:  # noqa: ARG002
        """Tell whether a first run should read changes since ``start`` instead.

        Args:
            start: The ``start_date`` setting.

        Returns:
            True when the date-range endpoints need fewer calls than a full read.
        """
        # A list page holds up to 1000 records, while every date window costs at
        # least one call: for plain lists a full read is never dearer.
        return False

    def keep_change(self, record: Record, *, first_run: bool) -> bool:  # noqa: ARG002
        """Tell whether a record read from a date-range endpoint is emitted."""
        return True

    def emit(
        self,
        rows: Iterable[dict[str, Any]],
        shape: RecordShape,
        **fixed: Any,  # noqa: ANN401
    ) -> Iterator[Record]:
        """Build records from rows, skipping rows without a key and repeats.

        Args:
            rows: Raw rows of one endpoint.
            shape: How those rows become records.
            **fixed: Properties to set on every record, such as the parent id.

        Yields:
            Each record whose key was not emitted before in this run.
        """
        keys = self.primary_keys
        emitted = self._emitted
        for row in rows:
            try:
                record = shape.build(row, **fixed)
            except MissingKeyError:
                self._keyless_rows += 1
                continue
            if emitted.add(tuple(record[key] for key in keys)):
                yield record

    def _read_changes(self, since: dt.datetime, *, first_run: bool) -> Iterator[Record]:
        bookmark = None if first_run else since
        now = self.connection.clock.now()
        for window in plan_windows(since, now):
            self.logger.info(
                "Reading changes to '%s' from %s to %s.",
                self.name,
                format_rfc3339(window.since),
                format_rfc3339(window.to),
            )
            read_started = self.connection.clock.now()
            rows = self.request_records(
                {"endpoint": self.change_endpoint, **window.query()}
            )
            for record in self.emit(rows, self.change_shape):
                if self.keep_change(record, first_run=first_run):
                    yield record
            bookmark = bookmark_after(window, read_started, bookmark)
            self._save_bookmark(bookmark)

    def _bookmark(self) -> dt.datetime | None:
        value = self.stream_state.get("replication_key_value")
        if value is None:
            return None
        try:
            bookmark = parse_setting_date(str(value))
        except UnparseableDateError:
            msg = (
                f"The state's bookmark for stream '{self.name}' is not a date "
                f"({value!r}); correct it or run without state for a full refresh."
            )
            raise LitmosError(msg) from None
        start = self._start_date()
        return bookmark if start is None else max(bookmark, start)

    def _start_date(self) -> dt.datetime | None:
        value = self.config.get("start_date")
        return parse_setting_date(value) if value else None

    def _save_bookmark(self, bookmark: dt.datetime) -> None:
        state = self.stream_state
        state["replication_key"] = self.replication_key
        state["replication_key_value"] = format_rfc3339(bookmark)
        self.state_manager.is_flushed = False
        self._write_state_message()
