"""GopCache: the GOP cache behind :class:`CachedGopDecoder` (SPEC §2).

Each cached item is one GOP of one file, stored as a one-record bundle (the bytes
``GetGOPList`` returns for it). An entry (path, frame id) *hits* when a cached GOP of
the same file holds that frame. Files are identified by their real path; an item is
valid only while the file's size and modification time are unchanged, so a rewritten
file is demuxed again.

The cache is bounded by item count and by bytes, least recently used first out. An item
larger than the whole byte budget is returned but not kept. Thread-safe (one lock).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

DEFAULT_MAX_ENTRIES = 1024
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB


@dataclass(frozen=True)
class _Key:
    path: str  # real path
    size: int
    mtime_ns: int
    first_frame_id: int


@dataclass
class _Item:
    bundle: np.ndarray  # a one-record bundle
    frame_count: int


def file_identity(path: str) -> Tuple[str, int, int]:
    """(real path, size, mtime_ns) of ``path``; raises OSError when it is missing."""
    real = os.path.realpath(os.fspath(path))
    st = os.stat(real)
    return real, st.st_size, st.st_mtime_ns


class GopCache:
    """GOP bundles of recently demuxed GOPs, keyed by file identity and frame range;
    least recently used first out, bounded by entry count and by bytes. Thread-safe."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES):
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("the GOP cache needs max_entries >= 1 and max_bytes >= 1")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items: "OrderedDict[_Key, _Item]" = OrderedDict()  # least recently used first
        self._bytes = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        with self._lock:
            return (f"<GopCache {len(self._items)}/{self.max_entries} GOPs, {self._bytes}/{self.max_bytes} bytes, "
                    f"{self._hits} hits, {self._misses} misses>")

    def lookup(self, identity: Tuple[str, int, int], frame_id: int) -> Optional[Tuple[np.ndarray, int, int]]:
        """(bundle, first_frame_id, frame_count) of a cached GOP of the file holding
        ``frame_id``, or None. Counts a hit or a miss."""
        real, size, mtime = identity
        with self._lock:
            for key, item in reversed(self._items.items()):
                if (key.path, key.size, key.mtime_ns) != (real, size, mtime):
                    continue
                if key.first_frame_id <= frame_id < key.first_frame_id + item.frame_count:
                    self._items.move_to_end(key)
                    self._hits += 1
                    return item.bundle, key.first_frame_id, item.frame_count
            self._misses += 1
            return None

    def insert(self, identity: Tuple[str, int, int], bundle: np.ndarray, first_frame_id: int,
               frame_count: int) -> None:
        real, size, mtime = identity
        key = _Key(real, size, mtime, first_frame_id)
        nbytes = int(bundle.nbytes)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= int(old.bundle.nbytes)
            if nbytes > self.max_bytes:
                return
            self._items[key] = _Item(bundle, frame_count)
            self._bytes += nbytes
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= int(evicted.bundle.nbytes)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def info(self) -> Dict[str, Any]:
        with self._lock:
            files: Dict[str, List[Dict[str, int]]] = {}
            for key, item in self._items.items():
                files.setdefault(key.path, []).append(
                    {"first_frame_id": key.first_frame_id, "gop_len": item.frame_count,
                     "bytes": int(item.bundle.nbytes)})
            for gops in files.values():
                gops.sort(key=lambda g: g["first_frame_id"])
            return {"entries": len(self._items), "bytes": self._bytes, "max_entries": self.max_entries,
                    "max_bytes": self.max_bytes, "hits": self._hits, "misses": self._misses, "files": files}
