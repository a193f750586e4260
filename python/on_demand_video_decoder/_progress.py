"""A small text progress bar for the command-line tool.

tqdm is not a dependency, and the tool only needs a bar for a handful of long
loops. The bar redraws one stderr line with ``\\r`` and only when stderr is a
terminal (or when forced), so logs and pipes get no control characters.
"""

from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, Optional, TextIO, TypeVar

T = TypeVar("T")


class Progress:
    """Counts finished steps and draws ``desc [####....] 12/50 24% 3.1 it/s``.

    Use as a context manager (``with Progress(50, "decode") as bar: bar.update()``)
    or wrap an iterable (``for x in Progress(50).wrap(items)``). ``enabled=None``
    means "draw only if the stream is a TTY"; True/False force it on or off.
    Redraws are throttled so that a fast loop is not slowed down by terminal I/O.
    """

    def __init__(self, total: Optional[int], desc: str = "", *, stream: Optional[TextIO] = None,
                 enabled: Optional[bool] = None, unit: str = "it", width: int = 30,
                 min_interval: float = 0.1):
        self.total = total
        self.desc = desc
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_tty(self.stream) if enabled is None else enabled
        self.unit = unit
        self.width = width
        self.min_interval = min_interval
        self.count = 0
        self._start = time.perf_counter()
        self._last_draw = float("-inf")
        self._closed = False

    def update(self, n: int = 1) -> None:
        """Record ``n`` more finished steps and redraw if enough time has passed."""
        self.count += n
        now = time.perf_counter()
        if now - self._last_draw >= self.min_interval:
            self._draw(now)

    def close(self) -> None:
        """Draw the final state and end the line (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self.enabled:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()

    def wrap(self, iterable: Iterable[T]) -> Iterator[T]:
        """Yield the items of ``iterable``, counting one step per item, then close."""
        try:
            for item in iterable:
                yield item
                self.update()
        finally:
            self.close()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def render(self, now: Optional[float] = None) -> str:
        """The bar's text for the current count (no ``\\r``); separate for testing."""
        elapsed = (time.perf_counter() if now is None else now) - self._start
        rate = self.count / elapsed if elapsed > 0 else 0.0
        prefix = f"{self.desc} " if self.desc else ""
        if not self.total:
            return f"{prefix}{self.count} {rate:.1f} {self.unit}/s"
        fraction = min(1.0, self.count / self.total)
        filled = int(round(fraction * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        return f"{prefix}[{bar}] {self.count}/{self.total} {fraction:4.0%} {rate:.1f} {self.unit}/s"

    def _draw(self, now: float) -> None:
        self._last_draw = now
        if self.enabled:
            self.stream.write("\r" + self.render(now))
            self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or fake streams
        return False
