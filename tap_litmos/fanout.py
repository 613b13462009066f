"""Reading many parents' children at once with a small, bounded pool of threads.

Every team's members and every course's users take at least one call of their
own. With a second of latency per call, one request at a time reaches only 60
calls a minute; a few requests in flight keep the rate limit, not the latency,
the bound. Records are handed back to the calling thread, which alone writes
Singer messages, through a bounded queue, so memory stays flat however large a
parent is.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    Chunk = tuple[str, list[dict[str, Any]]]

# Records travel between threads in chunks: one queue hand-off per record would
# cost more than building the record.
CHUNK_SIZE = 500
_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class _Failure:
    error: BaseException


_WORKER_DONE = object()


class _FanOut:
    """The shared queues of one fan-out and the loop each worker runs."""

    def __init__(
        self,
        parent_ids: Iterable[str],
        read_parent: Callable[[str], Iterable[dict[str, Any]]],
        workers: int,
    ) -> None:
        self.pending: queue.SimpleQueue[str] = queue.SimpleQueue()
        for parent_id in parent_ids:
            self.pending.put(parent_id)
        self.results: queue.Queue[object] = queue.Queue(maxsize=2 * workers)
        self.stop = threading.Event()
        self.read_parent = read_parent

    def work(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    parent_id = self.pending.get_nowait()
                except queue.Empty:
                    break
                if not self._read_one(parent_id):
                    return
        except BaseException as error:  # noqa: BLE001 - re-raised by the caller
            self._hand_over(_Failure(error))
        self._hand_over(_WORKER_DONE)

    def _read_one(self, parent_id: str) -> bool:
        chunk: list[dict[str, Any]] = []
        for row in self.read_parent(parent_id):
            chunk.append(row)
            if len(chunk) >= CHUNK_SIZE:
                if not self._hand_over((parent_id, chunk)):
                    return False
                chunk = []
        return not chunk or self._hand_over((parent_id, chunk))

    def _hand_over(self, item: object) -> bool:
        # A bounded put that gives up once the caller has stopped listening.
        while not self.stop.is_set():
            try:
                self.results.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False


def fan_out(
    parent_ids: Iterable[str],
    read_parent: Callable[[str], Iterable[dict[str, Any]]],
    *,
    workers: int,
) -> Iterator[Chunk]:
    """Read every parent's records with up to ``workers`` threads.

    Args:
        parent_ids: The parents to read, each once.
        read_parent: Yields the raw rows of one parent; runs in a worker thread.
        workers: How many parents may be read at the same time.

    Yields:
        ``(parent_id, rows)`` chunks, in the order they arrive.

    Raises:
        BaseException: The first error a worker met, once the caller reaches it.
    """
    workers = max(1, workers)
    shared = _FanOut(parent_ids, read_parent, workers)
    # Daemon threads: a worker stuck in a slow request must not keep a stopped
    # tap (SIGTERM, a failed stream) from exiting.
    for number in range(workers):
        name = f"litmos-worker-{number}"
        threading.Thread(target=shared.work, name=name, daemon=True).start()

    running = workers
    try:
        while running:
            try:
                item = shared.results.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if item is _WORKER_DONE:
                running -= 1
            elif isinstance(item, _Failure):
                raise item.error
            else:
                yield item  # type: ignore[misc]
    finally:
        shared.stop.set()
