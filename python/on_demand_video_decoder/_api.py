"""The pure-Python part of the public API: enums, page-cache control and factories."""

from __future__ import annotations

import enum
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ._gop_cache import DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, GopCache, file_identity
from . import _odvd
from ._odvd import PyNvGopDecoder, PyNvSampleReader


# Video codecs, numbered as NVIDIA's cudaVideoCodec (also used in GOP bundles): the
# library's codec table (odvd/codecs.hpp), so the two never disagree.
Codec = enum.Enum("Codec", {e["name"]: e["codec"] for e in _odvd.codec_table()}, module=__name__)  # type: ignore[misc]
Codec.__doc__ = "Video codecs, numbered as NVIDIA's cudaVideoCodec (also used in GOP bundles)."


def build_info() -> Dict[str, Any]:
    """What this installation is: the package version, the FFmpeg it decodes with (version,
    ``./configure`` line, licence, library versions), whether it has the NVDEC back end, the
    vector units the CPU colour converter uses on this machine, and whether the benchmark
    helpers are linked in (source builds)."""
    info: Dict[str, Any] = {"version": _odvd.__version__}
    info.update(_odvd.build_info())
    info["benchmark_helpers"] = hasattr(_odvd, "_decode_throughput")
    return info


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
    available. With ``useGOPCache=True``, an entry whose frame lies in a GOP already
    cached for the same (unchanged) file is served from the cache; only the misses are
    demuxed, in one call. The cache is bounded by GOP count and by bytes (LRU); see
    :meth:`get_cache_info`.
    """

    def __repr__(self) -> str:
        return f"<CachedGopDecoder {self._decoder!r} cache={self._cache!r}>"

    def __init__(self, decoder: PyNvGopDecoder, *, _key: object = None,
                 cache_max_entries: int = DEFAULT_MAX_ENTRIES, cache_max_bytes: int = DEFAULT_MAX_BYTES):
        if _key is not _FACTORY_KEY:
            raise RuntimeError("CachedGopDecoder is created with CreateGopDecoder(), not directly")
        self._decoder = decoder
        self._cache = GopCache(cache_max_entries, cache_max_bytes)
        self._last_hits: List[bool] = []

    def _gops(self, filepaths: Sequence[Any], frame_ids: Sequence[int], fastStreamInfos: Sequence[Any],  # noqa: N803
              use_cache: bool) -> List[Tuple[Any, int, int]]:
        """One (one-record bundle, first_frame_id, gop_len) per entry, in entry order."""
        paths = [os.fspath(p) for p in filepaths]
        ids = list(frame_ids)
        if len(paths) != len(ids):
            raise ValueError(f"filepaths has {len(paths)} entries but frame_ids has {len(ids)}")
        if not use_cache:
            self._last_hits = [False] * len(paths)
            return [(b, f[0], n[0]) for b, f, n in self._decoder.GetGOPList(paths, ids, list(fastStreamInfos))]
        identities: List[Optional[Tuple[str, int, int]]] = []
        found: List[Optional[Tuple[Any, int, int]]] = []
        for path, fid in zip(paths, ids):
            try:
                identity = file_identity(path)
            except OSError:
                identity = None  # the decoder raises the proper error for it below
            identities.append(identity)
            found.append(self._cache.lookup(identity, fid) if identity is not None else None)
        misses = [i for i, f in enumerate(found) if f is None]
        if misses:
            infos = [fastStreamInfos[i] for i in misses] if fastStreamInfos else []
            demuxed = self._decoder.GetGOPList([paths[i] for i in misses], [ids[i] for i in misses], infos)
            for i, (bundle, firsts, lens) in zip(misses, demuxed):
                found[i] = (bundle, firsts[0], lens[0])
                identity = identities[i]
                if identity is not None:
                    self._cache.insert(identity, bundle, firsts[0], lens[0])
        self._last_hits = [i not in set(misses) for i in range(len(paths))]
        return [f for f in found if f is not None]

    def GetGOP(self, filepaths: Sequence[Any], frame_ids: Sequence[int],  # noqa: N802,N803
               fastStreamInfos: Sequence[Any] = (), useGOPCache: bool = False) -> Tuple[Any, List[int], List[int]]:  # noqa: N803
        """Like :meth:`PyNvGopDecoder.GetGOP`; ``useGOPCache=True`` serves hits from the cache."""
        if not useGOPCache:
            self._last_hits = [False] * len(filepaths)
            return self._decoder.GetGOP(filepaths, frame_ids, list(fastStreamInfos))
        gops = self._gops(filepaths, frame_ids, fastStreamInfos, True)
        if not gops:
            return self._decoder.GetGOP([], [], [])
        bundle = self._decoder.MergePacketDataToOne([g[0] for g in gops])
        return bundle, [g[1] for g in gops], [g[2] for g in gops]

    def GetGOPList(self, filepaths: Sequence[Any], frame_ids: Sequence[int],  # noqa: N802,N803
                   fastStreamInfos: Sequence[Any] = (),  # noqa: N803
                   useGOPCache: bool = False) -> List[Tuple[Any, List[int], List[int]]]:  # noqa: N803
        """Like :meth:`PyNvGopDecoder.GetGOPList`; ``useGOPCache=True`` serves hits from the cache."""
        gops = self._gops(filepaths, frame_ids, fastStreamInfos, useGOPCache)
        return [(b, [first], [n]) for b, first, n in gops]

    def isCacheHit(self) -> List[bool]:  # noqa: N802 - public API name
        """Per-entry cache hits of the last GetGOP/GetGOPList call ([] before the first)."""
        return list(self._last_hits)

    def clear_cache(self) -> None:
        """Drop every cached GOP."""
        self._cache.clear()

    def get_cache_info(self) -> Dict[str, Any]:
        """Cache state: entries, bytes, limits, hit/miss counts, and per file the cached
        GOPs (first_frame_id, gop_len, bytes)."""
        return self._cache.info()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._decoder, name)


def CreateGopDecoder(maxfiles: int, iGpu: int = 0, suppressNoColorRangeWarning: bool = False,  # noqa: N802,N803
                     *, cache_max_entries: int = DEFAULT_MAX_ENTRIES, cache_max_bytes: int = DEFAULT_MAX_BYTES,
                     **decoder_options: Any) -> CachedGopDecoder:
    """Create a :class:`CachedGopDecoder` (see :class:`PyNvGopDecoder` for arguments, and its
    keyword-only ``worker_threads``, ``decoder_threads``, ``parallel_calls``,
    ``session_cache_mib``, ``on_error``;
    ``cache_max_entries`` / ``cache_max_bytes`` bound the GOP cache)."""
    decoder = PyNvGopDecoder(maxfiles, iGpu, suppressNoColorRangeWarning, **decoder_options)
    return CachedGopDecoder(decoder, _key=_FACTORY_KEY, cache_max_entries=cache_max_entries,
                            cache_max_bytes=cache_max_bytes)


def CreateSampleReader(num_of_set: int, num_of_file: int, iGpu: int = 0,  # noqa: N802,N803
                       suppressNoColorRangeWarning: bool = False,  # noqa: N803
                       **reader_options: Any) -> PyNvSampleReader:
    """Create a :class:`PyNvSampleReader` (stream access: ``num_of_file`` slots, each keeping up
    to ``num_of_set`` files open and reading them forward; keyword-only ``worker_threads``,
    ``decoder_threads``, ``decode_ahead_mib``, ``on_error``)."""
    return PyNvSampleReader(num_of_set, num_of_file, iGpu, suppressNoColorRangeWarning, **reader_options)


def content_digests(filepaths: Iterable[Any], workers: int = 8) -> Dict[str, str]:
    """``{path: content_digest(path)}`` for every file, ``workers`` files read at once.

    Record it when a dataset is built (e.g. next to its index, as JSON) and give it back to
    the decoders as ``content_digests=``: each file is then checked the first time a decoder
    opens it (and again after it changes), and one whose bytes differ, or that has no
    digest, fails its entries with a ``RuntimeError`` naming it. The check reads every file
    once per decoder, so it costs a full read of the dataset per decoder object.
    """
    if isinstance(filepaths, (str, bytes, os.PathLike)):
        raise TypeError("filepaths must be a list of paths, got a single path (wrap it in a list)")
    paths = [os.fspath(p) for p in filepaths]
    if not 1 <= workers <= 256:
        raise ValueError(f"workers must be 1..256 (got {workers})")
    with ThreadPoolExecutor(max_workers=workers) as pool:  # content_digest releases the GIL
        return dict(zip(paths, pool.map(_odvd.content_digest, paths)))
