"""Prefetch: keep the next requests of a training loop decoding while it works on the
current one.

``Prefetcher(decoder, requests, depth=2, workers=1)`` iterates over the results of
``requests`` (an iterable of ``(filepaths, frame_ids)``) in order, keeping up to ``depth``
requests submitted ahead. ``decoder`` is a :class:`PyNvSampleReader` or a
:class:`PyNvGopDecoder` (anything with ``DecodeN12ToRGB``, and ``DecodeBatchRGB`` for
requests whose ``frame_ids`` are lists, one per file).

``workers`` threads run the requests. Keep 1 for a sample reader: it reads forward, and
requests must reach it in order to continue each file. A GOP decoder created with
``parallel_calls=N`` decodes N calls at once on separate sessions, so ``workers=N`` keeps
more NVDEC engines busy (random access is latency-bound per call; bench/RESULTS.md §5).
Every frame handed out owns its memory: batches never change after they are returned.

An error while decoding request k is raised when the loop reaches request k (earlier
results are still delivered). ``close()`` (or leaving a ``with`` block) cancels what has
not started and waits for the requests in progress; it never hangs on the request source.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Deque, Iterable, Iterator, List, Sequence, Tuple


class Prefetcher:
    """Iterates over the decoded results of ``requests`` in order, decoding up to ``depth``
    requests ahead on ``workers`` threads while the caller works on the current one.

    ``requests``: an iterable of ``(filepaths, frame_ids)``; ``frame_ids`` holds one id
    per file (``DecodeN12ToRGB``) or one list of ids per file (``DecodeBatchRGB``).
    ``decoder``: a :class:`PyNvSampleReader` (keep ``workers=1``: it reads forward) or a
    :class:`PyNvGopDecoder` (``workers`` up to its ``parallel_calls``). ``as_bgr``: BGR
    instead of RGB. An error of request k is raised when the loop reaches k. Use as a
    context manager, or call :meth:`close`, to stop early. See the module doc for more.
    """

    def __init__(self, decoder: Any, requests: Iterable[Tuple[Sequence[Any], Sequence[Any]]], depth: int = 2,
                 as_bgr: bool = False, workers: int = 1):
        if depth < 1:
            raise ValueError(f"depth must be at least 1 (got {depth})")
        if workers < 1:
            raise ValueError(f"workers must be at least 1 (got {workers})")
        self._decoder = decoder
        self._requests = iter(requests)
        self._as_bgr = as_bgr
        self._depth = depth
        self._pending: Deque["Future[List[Any]]"] = deque()
        self._exhausted = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="odvd-prefetch")
        self._fill()

    def _decode(self, paths: Sequence[Any], ids: Sequence[Any]) -> List[Any]:
        out: List[Any]
        if ids and isinstance(ids[0], (list, tuple)):
            out = self._decoder.DecodeBatchRGB(list(paths), [list(i) for i in ids], self._as_bgr)
        else:
            out = self._decoder.DecodeN12ToRGB(list(paths), list(ids), self._as_bgr)
        return out

    def _fill(self) -> None:
        """Submits requests until `depth` are pending or the source is exhausted."""
        while not self._exhausted and len(self._pending) < self._depth:
            try:
                paths, ids = next(self._requests)
            except StopIteration:
                self._exhausted = True
                return
            except BaseException as e:  # noqa: BLE001 - the request source failed: deliver in order
                failed: "Future[List[Any]]" = Future()
                failed.set_exception(e)
                self._pending.append(failed)
                self._exhausted = True
                return
            self._pending.append(self._pool.submit(self._decode, paths, ids))

    def __repr__(self) -> str:
        return (f"<Prefetcher depth={self._depth} pending={len(self._pending)} "
                f"{'exhausted' if self._exhausted else 'more to come'} decoder={self._decoder!r}>")

    def __iter__(self) -> Iterator[List[Any]]:
        return self

    def __next__(self) -> List[Any]:
        if not self._pending:
            raise StopIteration
        future = self._pending.popleft()
        try:
            return future.result()
        finally:
            self._fill()

    def close(self) -> None:
        """Cancels requests not started and waits for those in progress."""
        self._exhausted = True
        while self._pending:
            self._pending.popleft().cancel()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> "Prefetcher":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)  # absent when __init__ raised
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
