"""Calls in flight for the benchmark workloads: one PyNvGopDecoder(parallel_calls=N) fed by
Prefetcher(workers=N), each call's own duration recorded (bench/suite.py's random_x4, the
tensor and dataloader workloads)."""

from __future__ import annotations

import threading
import time
from typing import Any, Iterable, Optional, Sequence

import on_demand_video_decoder as nvc


class TimedDecoder:
    """Forwards DecodeN12ToRGB to `call` (default: the decoder's own) and records each call's
    duration (calls in flight on several threads)."""

    def __init__(self, decoder: Any, call: Optional[Any] = None):
        self.decoder = decoder
        self.call = call if call is not None else decoder.DecodeN12ToRGB
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    def DecodeN12ToRGB(self, *args: Any) -> Any:  # noqa: N802 - the decoder's API name
        t = time.perf_counter()
        out = self.call(*args)
        with self._lock:
            self.seconds.append(time.perf_counter() - t)
        return out


def run_in_flight(decoder: TimedDecoder, paths: Sequence[str], calls: Iterable[Sequence[int]], inflight: int,
                  deadline: Optional[float] = None) -> int:
    """Sends `calls` (frame ids over `paths`), `inflight` at a time, until they or the deadline
    end; returns the entries returned."""

    def requests():
        for ids in calls:
            if deadline is not None and time.perf_counter() > deadline:
                return
            yield paths, ids

    frames = 0
    with nvc.Prefetcher(decoder, requests(), depth=2 * inflight, workers=inflight) as p:
        for out in p:
            frames += len(out)
    return frames


def steady_rate(deliveries: Sequence[tuple[float, int]]) -> Optional[float]:
    """Frames a second from the first delivery to the last, (time, frames) each: a loader's
    fill before its first batch and the batches still decoding when the window ends are left
    out, which a rate over the whole window counts against loaders that decode ahead."""
    if len(deliveries) < 2 or deliveries[-1][0] <= deliveries[0][0]:
        return None
    return sum(n for _, n in deliveries[1:]) / (deliveries[-1][0] - deliveries[0][0])
