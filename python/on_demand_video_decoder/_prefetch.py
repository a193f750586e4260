"""Prefetch: keep the next requests of a training loop decoding while it works on the
current one.

``Prefetcher(reader, requests, depth=2)`` iterates over the results of ``requests`` (an
iterable of ``(filepaths, frame_ids)``) in order. A background thread runs up to
``depth`` requests ahead on ``reader`` — a :class:`PyNvSampleReader` (its ``DecodeBatchRGB``
when the ``frame_ids`` of a request are lists, one per file, else ``DecodeN12ToRGB``) or
anything with those methods. The reader keeps reading forward, so sequential clips stay
cheap, and every frame handed out owns its memory: batches never change after they are
returned.

An error while decoding request k is raised when the loop reaches request k (earlier
results are still delivered). ``close()`` (or leaving a ``with`` block, or dropping the
prefetcher) stops the thread after the request in progress; it never hangs.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Iterable, Iterator, Optional, Sequence, Tuple

_DONE = object()


class Prefetcher:
    def __init__(self, reader: Any, requests: Iterable[Tuple[Sequence, Sequence]], depth: int = 2,
                 as_bgr: bool = False):
        if depth < 1:
            raise ValueError(f"depth must be at least 1 (got {depth})")
        self._reader = reader
        self._requests = iter(requests)
        self._as_bgr = as_bgr
        self._results: "queue.Queue[Any]" = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, name="odvd-prefetch", daemon=True)
        self._thread.start()

    def _decode(self, paths: Sequence, ids: Sequence) -> list:
        if ids and isinstance(ids[0], (list, tuple)):
            return self._reader.DecodeBatchRGB(list(paths), [list(i) for i in ids], self._as_bgr)
        return self._reader.DecodeN12ToRGB(list(paths), list(ids), self._as_bgr)

    def _put(self, item: Any) -> bool:
        """Queues an item, giving up when the prefetcher is closed."""
        while not self._stop.is_set():
            try:
                self._results.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for paths, ids in self._requests:
                if self._stop.is_set():
                    return
                try:
                    item: Any = (True, self._decode(paths, ids))
                except BaseException as e:  # noqa: BLE001 - delivered to the consumer in order
                    item = (False, e)
                if not self._put(item):
                    return
        except BaseException as e:  # noqa: BLE001 - the request iterable itself failed
            self._put((False, e))
            return
        self._put(_DONE)

    def __iter__(self) -> Iterator[list]:
        return self

    def __next__(self) -> list:
        if self._finished:
            raise StopIteration
        while True:
            try:
                item = self._results.get(timeout=0.1)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._results.empty():
                    self._finished = True
                    raise StopIteration from None
        if item is _DONE:
            self._finished = True
            raise StopIteration
        ok, value = item
        if not ok:
            raise value
        return value

    def close(self, timeout: Optional[float] = 30.0) -> None:
        """Stops prefetching; waits for the request being decoded (at most ``timeout`` s)."""
        self._stop.set()
        self._finished = True
        self._thread.join(timeout)

    def __enter__(self) -> "Prefetcher":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        stop = getattr(self, "_stop", None)  # absent when __init__ raised
        if stop is not None:
            stop.set()
