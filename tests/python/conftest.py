"""Shared fixtures: the generated test videos and their oracles (tests/videos), the
decoding back ends ({cpu, nvdec}) and reading pixels from frames of either."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import on_demand_video_decoder as nvc

VIDEOS_DIR = Path(__file__).resolve().parents[1] / "videos"
sys.path.insert(0, str(VIDEOS_DIR))

import generate  # noqa: E402
import watermark  # noqa: E402


# ----------------------------------------------------------------------------- tools

def ffmpeg_available() -> bool:
    return shutil.which(os.environ.get("FFMPEG", "ffmpeg")) is not None


# For tests that run the ffmpeg CLI themselves (the GPU test machine has none).
needs_ffmpeg = pytest.mark.skipif(not ffmpeg_available(),
                                  reason="the ffmpeg CLI is not installed: tests using it skipped")


def cuda_device_count() -> int:
    """CUDA devices the library sees; 0 where the build has no cuda_device_count()."""
    count = getattr(nvc, "cuda_device_count", None)
    if count is None:
        return 0
    try:
        return int(count())
    except Exception:  # noqa: BLE001 - the function must never raise; treat as no GPU
        return 0


NO_CUDA_REASON = "no CUDA device: NVDEC tests skipped"
NO_TORCH_REASON = "PyTorch is not installed: GPU frames cannot be read back, NVDEC tests skipped"


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def require_nvdec() -> None:
    """Skip the calling test unless NVDEC tests can run here (a CUDA device and torch)."""
    if cuda_device_count() == 0:
        pytest.skip(NO_CUDA_REASON)
    torch = torch_or_none()
    if torch is None:
        pytest.skip(NO_TORCH_REASON)
    if not torch.cuda.is_available():
        pytest.skip("PyTorch sees no CUDA device (CPU-only build?): NVDEC tests skipped")


# ----------------------------------------------------------------------------- back ends

BACKENDS = {"cpu": -1, "nvdec": 0}  # backend name -> iGpu


@pytest.fixture(scope="module", params=list(BACKENDS))
def backend(request) -> str:
    """Each decode test runs once per back end: "cpu" (iGpu=-1) and "nvdec" (iGpu=0)."""
    if request.param == "nvdec":
        require_nvdec()
    return request.param


@pytest.fixture(scope="module")
def igpu(backend) -> int:
    return BACKENDS[backend]


def nvdec_supports(entry: dict, gpu: int = 0) -> bool:
    """Whether NVDEC on this GPU decodes a test video (NVIDIA's NVDEC support table:
    every GPU since Pascal does H.264 8-bit, HEVC Main/Main 10, VP9 profile 0 and MPEG-2;
    AV1 needs GA10x/Ada (sm_86/87/89) or Blackwell; H.264 High 10 needs Blackwell).
    On Turing, GA100 and Hopper (H100/H200): no AV1, no H.264 10-bit. Never: 4:2:2,
    MPEG-4 Part 2, MJPEG, HEVC below 144x144."""
    codec, bit_depth = entry["codec"], entry["bit_depth"]
    if "422" in entry["pix_fmt"]:
        return False  # no 4:2:2 output on the NVDEC of the GPUs we run on (Turing to Hopper)
    if "444" in entry["pix_fmt"]:
        return False  # the library's NVDEC path puts out 4:2:0 only (and no NVDEC has H.264 4:4:4)
    torch = torch_or_none()
    major, minor = torch.cuda.get_device_capability(gpu) if torch is not None else (9, 0)
    if codec == "av1":
        return (major, minor) in {(8, 6), (8, 7), (8, 9)} or major >= 10
    if codec == "h264":
        return bit_depth == 8 or major >= 10
    # Minimum sizes (cuvidGetDecoderCaps): 144x144 for HEVC, 128x128 for VP9 (and AV1).
    smallest = {"hevc": 144, "vp9": 128}.get(codec, 0)
    if min(entry["width"], entry["height"]) < smallest:
        return False
    return codec in ("hevc", "vp9", "mpeg2video")


# Codecs whose standard leaves the inverse transform's rounding open (MPEG-2's IDCT needs
# only IEEE 1180 accuracy): NVDEC returns the right frames, but samples may differ from
# libavcodec's by a level or two. Codec -> the largest difference allowed.
NVDEC_NOT_BIT_EXACT = {"mpeg2video": 3}


def nvdec_bit_exact(entry: dict) -> bool:
    return entry["codec"] not in NVDEC_NOT_BIT_EXACT


def bit_exact_video(backend: str, manifest: dict, name: str) -> tuple[dict, str, list[str]]:
    """(manifest entry, path, framemd5 lines) of a test video whose frames are compared
    bit-exactly on `backend`; skips where NVDEC does not decode it, or not bit-exactly."""
    entry = manifest["videos"][name]
    if backend == "nvdec" and not nvdec_supports(entry):
        pytest.skip("NVDEC on this GPU does not decode this video")
    skip_unless_bit_exact(backend, entry)
    return entry, video_path(manifest, name), read_framemd5(generate.DEFAULT_OUT / entry["framemd5"])


def skip_unless_bit_exact(backend: str, entry: dict) -> None:
    """Tests of bit-exact output skip on NVDEC for codecs it decodes, but not bit-exactly."""
    if backend == "nvdec" and nvdec_supports(entry) and not nvdec_bit_exact(entry):
        pytest.skip(f"NVDEC's {entry['codec']} is not bit-exact with libavcodec (IDCT rounding): "
                    f"test_gpu.py compares it within {NVDEC_NOT_BIT_EXACT[entry['codec']]} levels")


def assert_nvdec_refuses(call, path: str) -> None:
    """``call()`` must raise RuntimeError naming the file and NVDEC (no silent CPU fallback)."""
    with pytest.raises(RuntimeError) as info:
        call()
    message = str(info.value)
    assert path in message, message
    assert "NVDEC" in message, message


# ----------------------------------------------------------------------------- videos

@pytest.fixture(scope="session")
def manifest() -> dict:
    try:
        return generate.ensure_generated(generate.DEFAULT_OUT)
    except generate.GenerationUnavailable as e:
        pytest.skip(f"test videos unavailable: {e}")


@pytest.fixture(scope="session")
def video_dir(manifest) -> Path:
    return generate.DEFAULT_OUT


def frame_size(entry: dict, frame_id: int) -> tuple[int, int]:
    """(width, height) of one frame of a test video (raw streams may change size)."""
    sizes = entry.get("frame_sizes")
    return tuple(sizes[frame_id]) if sizes else (entry["width"], entry["height"])


def video_path(manifest: dict, name: str) -> str:
    return str(generate.DEFAULT_OUT / manifest["videos"][name]["file"])


def bad_path(manifest: dict, name: str) -> str:
    return str(generate.DEFAULT_OUT / manifest["bad"][name]["file"])


def read_framemd5(path: Path) -> list[str]:
    """MD5 per frame, in frame order, from an `ffmpeg -f framemd5` file."""
    out = []
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            out.append(line.split(",")[-1].strip())
    return out


# ----------------------------------------------------------------------------- pixels

def dlpack_device(obj) -> tuple[int, int]:
    """(device type, index) of a frame or plane: (1, 0) host, (2, n) CUDA device n,
    (2, -1) a CUDA object that does not say which device."""
    try:
        return tuple(obj.__dlpack_device__())
    except Exception:  # noqa: BLE001 - planes may only have the array interfaces
        pass
    try:
        obj.__cuda_array_interface__
    except Exception:  # noqa: BLE001 - host objects raise AttributeError (or lack it)
        return (1, 0)
    return (2, -1)


def is_gpu(obj) -> bool:
    return dlpack_device(obj)[0] == 2


def gpu_tensor(obj):
    """Zero-copy torch tensor of a GPU frame or plane: DLPack where the object has it
    (the __cuda_array_interface__ path is tested on its own in test_gpu.py)."""
    torch = torch_or_none()
    if torch is None:
        pytest.skip(NO_TORCH_REASON)
    if hasattr(obj, "__dlpack__"):
        return torch.from_dlpack(obj)
    return torch.as_tensor(obj, device="cuda")


def to_numpy(obj) -> np.ndarray:
    """Pixels of a frame, plane or torch tensor as a host numpy array.

    CPU frames: ``np.asarray`` (a zero-copy view). GPU frames (no buffer protocol):
    a zero-copy torch tensor on the frame's device, copied to the host."""
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):  # a torch tensor
        return obj.detach().cpu().numpy()
    if dlpack_device(obj)[0] != 2:
        return np.asarray(obj)
    return gpu_tensor(obj).cpu().numpy()


def planar_yuv_bytes(frame) -> bytes:
    """The frame as FFmpeg's planar yuv420p / yuv422p (/ 10-bit) bytes (what framemd5
    hashes): NV12/P016/NV16/P216 de-interleaved."""
    a = to_numpy(frame)
    h, w = frame.height, frame.width
    if a.dtype == np.uint16:
        a = a >> (16 - frame.bit_depth)
    dtype = "<u2" if a.dtype == np.uint16 else np.uint8
    if frame.format in (nvc.PixelFormat.YUV444, nvc.PixelFormat.YUV444_16Bit):  # three full planes
        return b"".join(np.ascontiguousarray(a[i * h:(i + 1) * h, :w]).astype(dtype).tobytes() for i in range(3))
    cw = (w + 1) // 2
    ch = h if frame.format in (nvc.PixelFormat.NV16, nvc.PixelFormat.P216) else (h + 1) // 2
    y, uv = a[:h, :w], a[h:h + ch, : 2 * cw]
    planes = (y, uv[:, 0::2], uv[:, 1::2])
    return b"".join(np.ascontiguousarray(p).astype(dtype).tobytes() for p in planes)


def luma(frame) -> np.ndarray:
    return to_numpy(frame)[: frame.height, : frame.width]


def frame_watermark(frame) -> int:
    """The frame number drawn into a decoded YUV frame."""
    a = luma(frame)
    if a.dtype == np.uint16:
        a = a >> (16 - frame.bit_depth)
    return watermark.read_watermark(a, bit_depth=frame.bit_depth)


def data_pointer(obj) -> int:
    """Address of the first element: __cuda_array_interface__ for GPU objects,
    __array_interface__ (via numpy) for host ones."""
    if is_gpu(obj):
        return obj.__cuda_array_interface__["data"][0]
    return np.asarray(obj).ctypes.data


def zero_copy_view(frame):
    """A consumer's zero-copy view of a frame: a numpy array (CPU) or a torch tensor on
    the frame's device (GPU). It keeps the frame's memory alive on its own."""
    if dlpack_device(frame)[0] != 2:
        return np.asarray(frame)
    return gpu_tensor(frame)


def fill_zero(frame) -> None:
    """Overwrite a frame's pixels with zeros through a zero-copy view."""
    view = zero_copy_view(frame)
    if isinstance(view, np.ndarray):
        view[...] = 0
    else:
        view.zero_()
        torch_or_none().cuda.synchronize(view.device)


# ----------------------------------------------------------------------------- CPU codecs

def pytest_configure(config):
    config.addinivalue_line("markers", "cpu_free: the test needs no CPU decoder for its video")


_cpu_decoder_missing: dict[str, str] = {}


def cpu_decoder_missing(manifest: dict, name: str) -> str:
    """Why the CPU back end of this build cannot decode video `name` ("" if it can).

    A build's FFmpeg may lack a software decoder (an AV1 build without dav1d, say;
    tools/device/build_static_ffmpeg.sh and Debian's FFmpeg have every codec the test videos
    use). Decided once per codec by decoding the video's first frame.
    """
    codec = manifest["videos"][name]["codec"]
    if codec not in _cpu_decoder_missing:
        reason = ""
        try:
            nvc.PyNvGopDecoder(1, -1, True).Decode([video_path(manifest, name)], [0])
        except RuntimeError as e:
            if "no software decoder" in str(e):
                reason = f"this build's FFmpeg has no software {codec} decoder: CPU decoding of {name} skipped"
        _cpu_decoder_missing[codec] = reason
    return _cpu_decoder_missing[codec]


@pytest.fixture(autouse=True)
def _skip_videos_the_cpu_build_cannot_decode(request):
    """Tests parametrised by video `name` skip when the CPU back end lacks its decoder.

    Tests on the nvdec back end, and tests marked `cpu_free` (NVDEC refusal checks),
    do not need the CPU decoder and still run.
    """
    callspec = getattr(request.node, "callspec", None)
    name = callspec.params.get("name") if callspec else None
    if name is None or request.node.get_closest_marker("cpu_free"):
        return
    manifest = request.getfixturevalue("manifest")
    if name not in manifest["videos"]:
        return
    reason = cpu_decoder_missing(manifest, name)
    backend = callspec.params.get("backend")
    if reason and (backend == "cpu" or (backend is None and not request.node.get_closest_marker("cpu_free"))):
        pytest.skip(reason)
