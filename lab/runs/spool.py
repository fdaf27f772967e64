"""A run's events on their way to the store while it does not answer: in order, bounded in memory, then on disk.

The trainer's writer (lab.runs.execute) adds every event here and takes them out once the store has
them. Up to MEMORY_EVENTS wait in memory; past that they go to an anonymous temporary file
($RELULAB_SPOOL_DIR, else the system's temp folder) that the operating system deletes with the process,
so an outage never fills the memory and never leaves files behind. Only the latest checkpoint is kept.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections import deque

from lab.engine.events import Event
from lab.runs.records import event_from_row, event_to_row

MEMORY_EVENTS = int(os.environ.get("RELULAB_SPOOL_EVENTS", "2000"))  # a few MB; a fast GPU run logs ~20/s


def spool_dir() -> str:
    """Where spilled events go: $RELULAB_SPOOL_DIR, else the system's temp folder."""
    return os.environ.get("RELULAB_SPOOL_DIR") or tempfile.gettempdir()


class Spool:
    """Events not yet in the store, oldest first (the file holds the older ones, memory the newer)."""

    def __init__(self, first_seq: int, limit: int = MEMORY_EVENTS):
        self.first_seq = first_seq  # the writer's number of the oldest event here (of the next one, if empty)
        self.limit = limit
        self.spilled = 0  # events that went through the file, all told
        self.checkpoint: tuple[bytes, int] | None = None  # (weights_blob, step): the latest only
        self._memory: deque[Event] = deque()
        self._file = None
        self._in_file = 0  # events in the file not yet stored
        self._read_at = 0  # the byte where the oldest of them starts
        self._end = 0  # the file's length (what was written whole)

    def __len__(self) -> int:
        """Events waiting."""
        return self._in_file + len(self._memory)

    def add(self, event: Event) -> None:
        """One more event, after the others; past the memory bound they all go to the file."""
        self._memory.append(event)
        if len(self._memory) > self.limit:
            try:
                self._spill()
            except OSError:  # the temp folder is full too: keep them in memory, try again at twice the bound
                self.limit *= 2

    def head(self, n: int) -> list[Event]:
        """Up to n of the oldest events, in order (from the file while it has any)."""
        if not self._in_file:
            return list(itertools.islice(self._memory, n))
        return [event_from_row(*line.decode().split("\t", 1)) for line in self._lines(min(n, self._in_file))]

    def done(self, count: int) -> None:
        """The count oldest events are in the store: forget them."""
        self.first_seq += count
        if not self._in_file:
            for _ in range(count):
                self._memory.popleft()
            return
        self._read_at += sum(len(line) + 1 for line in self._lines(count))
        self._in_file -= count
        if not self._in_file:  # all caught up: the file starts again empty
            os.ftruncate(self._file.fileno(), 0)
            self._read_at = self._end = 0

    def _lines(self, n: int) -> list[bytes]:
        """The next n lines of the file from the oldest unstored one, without their newlines."""
        lines: list[bytes] = []
        at, rest = self._read_at, b""
        while len(lines) < n and at < self._end:
            chunk = os.pread(self._file.fileno(), 1 << 20, at)
            at += len(chunk)
            *whole, rest = (rest + chunk).split(b"\n")
            lines += whole
        return lines[:n]

    def _spill(self) -> None:
        """Move the events held in memory to the end of the file (one line each: kind, tab, JSON payload)."""
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="relulab-spool-", dir=spool_dir(), buffering=0)
        fd, end = self._file.fileno(), self._end
        data = memoryview(b"".join(("\t".join(event_to_row(e)) + "\n").encode() for e in self._memory))
        try:
            while data:  # a write may take only part
                written = os.pwrite(fd, data, self._end)
                data, self._end = data[written:], self._end + written
        except OSError:
            os.ftruncate(fd, end)  # no half-written line is ever read back
            self._end = end
            raise
        self._in_file += len(self._memory)
        self.spilled += len(self._memory)
        self._memory.clear()

    def close(self) -> None:
        """Drop the file (the OS deletes it)."""
        if self._file is not None:
            self._file.close()
            self._file = None
