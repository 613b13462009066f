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

import datetime as dt
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from typing_extensions import override

from tap_litmos.client import LitmosPaginator, LitmosStream
from tap_litmos.dates import (
    UnparseableDateError,
    format_rfc3339,
    parse_litmos_date,
    parse_setting_date,
)
from tap_litmos.errors import LitmosError, LitmosRequestRefusedError
from tap_litmos.ledger import KeyLedger
from tap_litmos.shapes import MissingKeyError, RecordShape
from tap_litmos.windows import MIN_WINDOW_LENGTH, OVERLAP, Window, bookmark_after

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import requests
    from singer_sdk.helpers.types import Context, Record

    from tap_litmos.connection import ServerClock

# The stream-state entry holding when an unfinished full read began.
_FULL_READ_STARTED = "full_read_started"


class ReadStart:
    """When a read began, on the server's clock.

    The tap learns the server's clock from responses, so before the first one
    it only has its own, which may run ahead of the server's: a bookmark taken
    from it could pass changes not made yet. Once the read has had responses,
    its start is also worked out as the server's time less the local time
    elapsed since; the earlier of the two estimates is the one kept.
    """

    def __init__(self, clock: ServerClock) -> None:
        """Note the start of a read now."""
        self._clock = clock
        self._noted = clock.now()
        self._started = time.monotonic()

    def value(self) -> dt.datetime:
        """Return the start of the read, never later than it was on the server."""
        elapsed = dt.timedelta(seconds=time.monotonic() - self._started)
        return min(self._noted, self._clock.now() - elapsed)


class OverlappingPaginator(LitmosPaginator):
    """Paging through a date-range list that starts each page a little early.

    A row that leaves the list between two pages (updated again, so now outside
    a past window, or its user deleted) moves every later row one offset down:
    advancing by the whole page would skip one of them for good, since the
    bookmark then moves past the window. Re-reading the end of each page
    absorbs such shifts; the rows read twice are dropped by key.
    """

    @override
    def get_next(self, response: requests.Response) -> int | None:
        reread = min(self.page_size - 1, max(1, self.page_size // 20))
        return self.current_value + self._count_items(response) - reread


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
        # Set while reading changes: when that read began, and the earliest
        # change seen again after its key was emitted, which may be unemitted.
        self._change_read: ReadStart | None = None
        self._unemitted_since: dt.datetime | None = None

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
                yield from self._read_everything_then_catch_up()
        finally:
            self._change_read = None
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
            elif self._change_read is not None:
                self._note_repeated_change(record)

    @override
    def get_new_paginator(self) -> LitmosPaginator:
        if self._change_read is None:
            return super().get_new_paginator()
        return OverlappingPaginator(int(self.config["page_size"]), self._count_items)

    def _note_repeated_change(self, record: Record) -> None:
        # A key met again in the same change read may carry a change made after
        # the key was emitted. It is not emitted twice; instead the bookmark
        # stays before that change, so that the next run emits it.
        change_read = self._change_read
        updated = record.get(self.replication_key)
        instant = parse_litmos_date(updated) if isinstance(updated, str) else None
        if change_read is None or instant is None:
            return
        if instant < change_read.value() - OVERLAP:
            return
        if self._unemitted_since is None or instant < self._unemitted_since:
            self._unemitted_since = instant

    def _read_everything_then_catch_up(self) -> Iterator[Record]:
        # A full read stopped part-way may have emitted records that change
        # before the full read replacing it, and some changes are not in a
        # full read at all (a removed membership is just missing). The start
        # of the first unfinished full read stays in the state, and the full
        # read that replaces it is followed by a read of the changes since.
        read_started = ReadStart(self.connection.clock)
        unfinished = self._unfinished_full_read()
        state = self.stream_state
        started = read_started.value() if unfinished is None else unfinished
        state[_FULL_READ_STARTED] = format_rfc3339(started)
        self.state_manager.is_flushed = False
        self._write_state_message()
        yield from self.read_everything()
        if unfinished is None:
            self._save_bookmark(read_started.value() - OVERLAP)
        else:
            yield from self._read_changes(
                unfinished - OVERLAP, first_run=False, began=read_started
            )

    def _unfinished_full_read(self) -> dt.datetime | None:
        value = self.stream_state.get(_FULL_READ_STARTED)
        try:
            return parse_setting_date(str(value)) if value else None
        except UnparseableDateError:
            return None

    def _read_changes(
        self,
        since: dt.datetime,
        *,
        first_run: bool,
        began: ReadStart | None = None,
    ) -> Iterator[Record]:
        clock = self.connection.clock
        # Records this stream emitted since ``began`` may be older than changes
        # read from here on; see _note_repeated_change.
        self._change_read = began or ReadStart(clock)
        self._unemitted_since = None
        bookmark = since
        if first_run:
            # Saved before any record: a run stopped in the first window goes
            # on as a later run, which also emits removed memberships, since
            # the target may already hold what this one emitted.
            self._save_bookmark(since)
        start = since.replace(microsecond=0)
        while True:
            window = Window(start, start + self.connection.window_length)
            self.logger.info(
                "Reading changes to '%s' from %s to %s.",
                self.name,
                format_rfc3339(window.since),
                format_rfc3339(window.to),
            )
            read_started = ReadStart(clock)
            try:
                yield from self._read_window(window, first_run=first_run)
            except LitmosRequestRefusedError as refusal:
                if not self._shorten_windows_after(refusal):
                    raise
                continue
            bookmark = bookmark_after(window, self._unread_from(read_started), bookmark)
            self._save_bookmark(bookmark)
            # The clock is read again after each window: until the first
            # response it was only the tap's own, which may lag the server's.
            if window.to > clock.now():
                break
            start = window.to

    def _unread_from(self, read_started: ReadStart) -> dt.datetime:
        # Changes from here on may not have been emitted: those made since the
        # window's read began, and any seen again after their key was emitted.
        unread = read_started.value()
        if self._unemitted_since is not None:
            unread = min(unread, self._unemitted_since)
        return unread

    def _read_window(self, window: Window, *, first_run: bool) -> Iterator[Record]:
        rows = self.request_records(
            {"endpoint": self.change_endpoint, **window.query()}
        )
        for record in self.emit(rows, self.change_shape):
            if self.keep_change(record, first_run=first_run):
                yield record

    def _shorten_windows_after(self, refusal: LitmosRequestRefusedError) -> bool:
        # Litmos documents windows of "at most 7 days"; a site that reads that
        # more strictly answers 406. Halving the window (records already
        # emitted from it are not emitted twice) keeps the sync going.
        length = self.connection.window_length
        refused_window = refusal.status == HTTPStatus.NOT_ACCEPTABLE
        if not refused_window or length <= MIN_WINDOW_LENGTH:
            return False
        self.connection.window_length = max(MIN_WINDOW_LENGTH, length / 2)
        self.logger.warning(
            "Litmos refused a %s date window on %s (%s); using windows of %s.",
            length,
            self.change_endpoint,
            refusal,
            self.connection.window_length,
        )
        return True

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
        state.pop(_FULL_READ_STARTED, None)
        self.state_manager.is_flushed = False
        self._write_state_message()
