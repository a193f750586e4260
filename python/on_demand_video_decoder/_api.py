"""The pure-Python part of the public API: enums, page-cache control and factories."""

from __future__ import annotations

import enum
import os
import sys
from typing import Any, Iterable, List

from ._odvd import PyNvGopDecoder, PyNvSampleReader


class Codec(enum.Enum):
    """Video codecs, numbered as NVIDIA's cudaVideoCodec (also used in GOP bundles)."""

    h264 = 4
    hevc = 8
    av1 = 11


class DropCacheStatus(enum.Enum):
    """Outcome of :func:`drop_videos_cache`."""

    SUCCESS = 0
    PLATFORM_ERROR = 1
    FILE_OPEN_FAILED = 2
    FADVISE_FAILED = 3
    UNKNOWN_ERROR = 4


def drop_videos_cache(filepaths: Iterable[Any]) -> DropCacheStatus:
    """Ask the kernel to evict the files' pages from the page cache.

    Uses ``posix_fadvise(POSIX_FADV_DONTNEED)`` on each file in turn and stops at the
    first failure. Advisory only: the kernel may keep pages. Never raises.
    """
    if not sys.platform.startswith("linux") or not hasattr(os, "posix_fadvise"):
        return DropCacheStatus.PLATFORM_ERROR
    try:
        for path in filepaths:
            try:
                fd = os.open(os.fspath(path), os.O_RDONLY)
            except (OSError, TypeError, ValueError):
                return DropCacheStatus.FILE_OPEN_FAILED
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            except OSError:
                return DropCacheStatus.FADVISE_FAILED
            finally:
                os.close(fd)
    except Exception:  # noqa: BLE001 - the contract is "never raises"
        return DropCacheStatus.UNKNOWN_ERROR
    return DropCacheStatus.SUCCESS


_FACTORY_KEY = object()


class CachedGopDecoder:
    """A :class:`PyNvGopDecoder` with a GOP cache for ``GetGOP``/``GetGOPList``.

    Create it with :func:`CreateGopDecoder`. Every method of the wrapped decoder is
    available. The GOP cache itself arrives with GOP bundles (issue #4); until then
    ``GetGOP``/``GetGOPList`` raise ``NotImplementedError`` like the decoder's.
    """

    def __init__(self, decoder: PyNvGopDecoder, *, _key: object = None):
        if _key is not _FACTORY_KEY:
            raise RuntimeError("CachedGopDecoder is created with CreateGopDecoder(), not directly")
        self._decoder = decoder
        self._last_hits: List[bool] = []

    def isCacheHit(self) -> List[bool]:  # noqa: N802 - public API name
        """Per-entry cache hits of the last GetGOP/GetGOPList call."""
        return list(self._last_hits)

    def clear_cache(self) -> None:
        """Drop every cached GOP."""
        self._last_hits = []

    def get_cache_info(self) -> dict:
        """Cache statistics (empty until the GOP cache exists)."""
        return {"entries": 0, "bytes": 0, "files": {}}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._decoder, name)


def CreateGopDecoder(maxfiles: int, iGpu: int = 0, suppressNoColorRangeWarning: bool = False) -> CachedGopDecoder:  # noqa: N802,N803
    """Create a :class:`CachedGopDecoder` (see :class:`PyNvGopDecoder` for arguments)."""
    return CachedGopDecoder(PyNvGopDecoder(maxfiles, iGpu, suppressNoColorRangeWarning), _key=_FACTORY_KEY)


def CreateSampleReader(num_of_set: int, num_of_file: int, iGpu: int = 0,  # noqa: N802,N803
                       suppressNoColorRangeWarning: bool = False) -> PyNvSampleReader:  # noqa: N803
    """Create a :class:`PyNvSampleReader` (stream access; arrives with issue #5)."""
    return PyNvSampleReader(num_of_set, num_of_file, iGpu, suppressNoColorRangeWarning)
