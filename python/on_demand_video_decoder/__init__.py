"""on_demand_video_decoder: decode exactly the video frames a training job asks for.

Random access to any frame of any file, in batches across many files, on NVIDIA's
hardware decoders (NVDEC, ``iGpu>=0``) or on the CPU (libavcodec, ``iGpu=-1``).
Frames own their memory and convert to PyTorch (GPU) or numpy (CPU) without a copy.

Typical use::

    import on_demand_video_decoder as nvc
    dec = nvc.PyNvGopDecoder(maxfiles=6, iGpu=-1)
    frames = dec.DecodeN12ToRGB(["cam0.mp4", "cam1.mp4"], [117, 117])
    images = [np.asarray(f) for f in frames]          # (H, W, 3) uint8, zero-copy

    gpu = nvc.PyNvGopDecoder(maxfiles=6, iGpu=0)       # NVDEC on CUDA device 0
    tensors = [torch.as_tensor(f, device="cuda") for f in gpu.DecodeN12ToRGB(paths, ids)]

A frame id is the 0-based rank of a frame in presentation order (the order and count
of ``ffmpeg -f framemd5``); see the README.
"""

from ._odvd import (  # noqa: F401  (re-exported API)
    CAIMemoryView,
    ColorRange,
    DecodedFrameExt,
    FastStreamInfo,
    GetBundleInfo,
    GetFastInitInfo,
    GetVideoStreams,
    PixelFormat,
    PyNvGopDecoder,
    PyNvSampleReader,
    RGBFrame,
    SavePacketsToFile,
    __version__,
    content_digest,
    cuda_device_count,
)
from ._api import (  # noqa: F401
    CachedGopDecoder,
    Codec,
    CreateGopDecoder,
    CreateSampleReader,
    DropCacheStatus,
    build_info,
    content_digests,
    drop_videos_cache,
)
from ._gop_store import GopStore, extract_gops  # noqa: F401
from ._prefetch import Prefetcher  # noqa: F401

__all__ = [
    "CAIMemoryView",
    "CachedGopDecoder",
    "Codec",
    "ColorRange",
    "CreateGopDecoder",
    "CreateSampleReader",
    "DecodedFrameExt",
    "DropCacheStatus",
    "FastStreamInfo",
    "GetBundleInfo",
    "GetFastInitInfo",
    "GetVideoStreams",
    "GopStore",
    "PixelFormat",
    "Prefetcher",
    "PyNvGopDecoder",
    "PyNvSampleReader",
    "RGBFrame",
    "SavePacketsToFile",
    "build_info",
    "content_digest",
    "content_digests",
    "cuda_device_count",
    "drop_videos_cache",
    "extract_gops",
]
