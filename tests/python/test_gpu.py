"""The NVDEC back end and GPU frames (SPEC §2, §3, §5).

Oracle: the CPU back end (libavcodec), itself checked bit-exact against ffmpeg's framemd5
in test_decode.py. NVDEC's YUV must equal it bit for bit; GPU RGB must equal CPU RGB bit
for bit (one shared pixel-math header). GPU frames are read through PyTorch (they have
no buffer protocol), so these tests need a CUDA device and torch; they skip, saying so,
where either is missing. The tests about invalid device ordinals and about machines
without a GPU run everywhere.
"""

from __future__ import annotations

import gc
import random
import re
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import (NVDEC_NOT_BIT_EXACT, assert_nvdec_refuses, cpu_decoder_missing, cuda_device_count, dlpack_device,
                      frame_size, frame_watermark, nvdec_supports, require_nvdec, to_numpy, video_path)
import generate
import watermark

CPU = -1
GPU = 0
ALL_VIDEOS = [c.file for c in generate.CASES]
UNSUPPORTED_ON_HOPPER = ["av1_gop8.mp4", "h264_10bit.mp4", "h264_444.mp4", "hevc_tiny.mp4"]
RGB_VIDEOS = ["h264_gop30.mp4", "h264_odd_size.mov", "hevc_10bit.mkv", "hevc_bframes.mkv",
              "hevc_hev1_open_gop.mp4", "h264_edit_list.mp4", "vp9_gop8.webm",
              # the others are grey (red = blue): only these test chroma and as_bgr
              "h264_colour.mp4", "hevc_colour_10bit.mkv"]
MIB = 1 << 20


@pytest.fixture(scope="module")
def torch():
    require_nvdec()
    import torch
    return torch


@pytest.fixture(scope="module")
def gpu_dec(torch):
    # fallback="raise": NVDEC alone (test_fallback.py tests the CPU fallback).
    return nvc.PyNvGopDecoder(maxfiles=8, iGpu=GPU, suppressNoColorRangeWarning=True, fallback="raise")


@pytest.fixture(scope="module")
def cpu_dec():
    return nvc.PyNvGopDecoder(maxfiles=8, iGpu=CPU, suppressNoColorRangeWarning=True)


def shuffled_batches(n: int, size: int, seed: int) -> list[list[int]]:
    ids = list(range(n))
    random.Random(seed).shuffle(ids)
    return [ids[i:i + size] for i in range(0, n, size)]


def layout(shape, strides, typestr: str, itemsize: int) -> tuple:
    """(shape, byte strides, typestr) with C-contiguous strides filled in where None."""
    shape = tuple(shape)
    if strides is None:
        strides, step = [], itemsize
        for extent in reversed(shape):
            strides.insert(0, step)
            step *= extent
    return shape, tuple(strides), typestr


def gpu_layout(obj) -> tuple:
    cai = obj.__cuda_array_interface__
    return layout(cai["shape"], cai.get("strides"), cai["typestr"], np.dtype(cai["typestr"]).itemsize)


def cpu_layout(obj) -> tuple:
    a = np.asarray(obj)
    return layout(a.shape, a.strides, a.dtype.str, a.dtype.itemsize)


def cai_pointer(obj) -> int:
    return obj.__cuda_array_interface__["data"][0]


def assert_same_frame(gpu_frame, cpu_frame, what: str) -> None:
    """Same metadata and the same bytes (read through DLPack; the layout exported by
    __cuda_array_interface__ is checked in the interface tests below)."""
    for attr in ("width", "height", "bit_depth", "timestamp", "shape", "dtype", "format", "color_range",
                 "strides", "stride", "isBGR"):
        if hasattr(cpu_frame, attr):
            assert getattr(gpu_frame, attr) == getattr(cpu_frame, attr), f"{what}: {attr}"
    a, b = to_numpy(gpu_frame), to_numpy(cpu_frame)
    assert a.dtype == b.dtype and a.shape == b.shape, what
    if not np.array_equal(a, b):
        diff = np.argwhere(a != b)
        raise AssertionError(f"{what}: {len(diff)} samples differ, first at {tuple(diff[0])}: "
                             f"NVDEC {a[tuple(diff[0])]} vs CPU {b[tuple(diff[0])]}")


# ----------------------------------------------------------------------------- bit-exactness

@pytest.mark.cpu_free  # refusals need no CPU decoder; supported videos do (and have one)
@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_nvdec_yuv_equals_cpu_yuv(gpu_dec, cpu_dec, manifest, name):
    """Every frame, in random-access order: NVDEC's YUV == libavcodec's, bit for bit
    (videos this GPU's NVDEC cannot decode must be refused instead)."""
    entry = manifest["videos"][name]
    path = video_path(manifest, name)
    if not nvdec_supports(entry):
        assert_nvdec_refuses(lambda: gpu_dec.Decode([path], [0]), path)
        return
    tolerance = NVDEC_NOT_BIT_EXACT.get(entry["codec"], 0)
    for batch in shuffled_batches(entry["frame_count"], 8, seed=len(name)):
        gpu = gpu_dec.Decode([path] * len(batch), batch)
        cpu = cpu_dec.Decode([path] * len(batch), batch)
        for fid, g, c in zip(batch, gpu, cpu):
            assert dlpack_device(g) == (2, GPU)
            if tolerance:  # the right frame, samples within the codec's rounding freedom
                assert frame_watermark(g) == frame_watermark(c) == entry["watermarks"][fid], f"{name} frame {fid}"
                diff = np.abs(to_numpy(g).astype(np.int32) - to_numpy(c).astype(np.int32))
                assert diff.max() <= tolerance, f"{name} frame {fid}: NVDEC differs by {diff.max()}"
            else:
                assert_same_frame(g, c, f"{name} frame {fid}")


@pytest.mark.parametrize("as_bgr", [False, True], ids=["rgb", "bgr"])
@pytest.mark.parametrize("name", RGB_VIDEOS)
def test_gpu_rgb_equals_cpu_rgb(gpu_dec, cpu_dec, manifest, name, as_bgr):
    entry = manifest["videos"][name]
    path = video_path(manifest, name)
    for batch in shuffled_batches(entry["frame_count"], 8, seed=3 + as_bgr):
        gpu = gpu_dec.DecodeN12ToRGB([path] * len(batch), batch, as_bgr=as_bgr)
        cpu = cpu_dec.DecodeN12ToRGB([path] * len(batch), batch, as_bgr=as_bgr)
        for fid, g, c in zip(batch, gpu, cpu):
            assert g.isBGR == as_bgr and g.shape == frame_size(entry, fid)[::-1] + (3,)
            assert dlpack_device(g) == (2, GPU)
            assert_same_frame(g, c, f"{name} frame {fid} ({'BGR' if as_bgr else 'RGB'})")
        rgb = to_numpy(gpu[0])
        assert watermark.read_watermark_rgb(rgb) == entry["watermarks"][batch[0]]


# ----------------------------------------------------------------------------- frame interfaces

@pytest.fixture(scope="module")
def frame_pairs(gpu_dec, cpu_dec, manifest):
    """(GPU, CPU) pairs: RGB, BGR, NV12 (odd size) and P016 frames."""
    odd = video_path(manifest, "h264_odd_size.mov")
    ten = video_path(manifest, "hevc_10bit.mkv")
    pairs = {}
    for dec, side in ((gpu_dec, 0), (cpu_dec, 1)):
        got = {"rgb": dec.DecodeN12ToRGB([odd], [10])[0],
               "bgr": dec.DecodeN12ToRGB([ten], [11], as_bgr=True)[0],
               "nv12": dec.Decode([odd], [10])[0],
               "p016": dec.Decode([ten], [10])[0]}
        for key, frame in got.items():
            pairs.setdefault(key, [None, None])[side] = frame
    return pairs


def test_gpu_frames_export_cuda_array_interface_like_cpu_frames(frame_pairs):
    for key, (g, c) in frame_pairs.items():
        cai = g.__cuda_array_interface__
        assert cai["version"] == 3, key
        assert cai["data"][1] is False, key  # writable: PyTorch refuses read-only exports
        assert gpu_layout(g) == cpu_layout(c), key
        assert g.__dlpack_device__() == (2, GPU), key
        with pytest.raises((TypeError, BufferError, ValueError, RuntimeError)):
            memoryview(g)  # no buffer protocol for device memory
        with pytest.raises((AttributeError, TypeError, RuntimeError, ValueError)):
            g.__array_interface__  # numpy must never see a device pointer as host memory
    rgb, cpu_rgb = frame_pairs["rgb"]
    assert rgb.dataptr == cai_pointer(rgb)
    assert rgb.stride == cpu_rgb.stride == (642 * 3, 3, 1)
    assert frame_pairs["bgr"][0].isBGR and not rgb.isBGR


def test_gpu_yuv_frame_geometry_and_planes(frame_pairs):
    for key in ("nv12", "p016"):
        g, c = frame_pairs[key]
        assert (g.shape, g.strides, g.dtype, g.format) == (c.shape, c.strides, c.dtype, c.format), key
        assert g.framesize() == c.framesize(), key
        assert g.GetPtrToPlane(0) == cai_pointer(g), key
        planes, cpu_planes = g.cuda(), c.cuda()
        assert len(planes) == len(cpu_planes) == 2, key
        for i, (p, q) in enumerate(zip(planes, cpu_planes)):
            assert gpu_layout(p) == cpu_layout(q), f"{key} plane {i}"
            assert cai_pointer(p) == g.GetPtrToPlane(i), f"{key} plane {i}"
            assert np.array_equal(to_numpy(p), np.asarray(q)), f"{key} plane {i}"
        with pytest.raises(ValueError, match="plane index 2"):
            g.GetPtrToPlane(2)
    p016 = frame_pairs["p016"][0]
    assert gpu_layout(p016.cuda()[1])[1] == (2 * p016.width, 4, 2)  # interleaved 16-bit U, V


# ----------------------------------------------------------------------------- torch interop

def torch_dtype(torch, array: np.ndarray):
    return {np.dtype(np.uint8): torch.uint8, np.dtype(np.uint16): torch.uint16}[array.dtype]


def test_torch_as_tensor_and_from_dlpack_are_zero_copy(torch, frame_pairs):
    for key, (g, c) in frame_pairs.items():
        expected = to_numpy(c)
        ptr = cai_pointer(g)
        made = {"as_tensor": torch.as_tensor(g, device="cuda"),
                "from_dlpack": torch.from_dlpack(g)}
        default = torch.cuda.current_stream()
        # What torch.from_dlpack passes for the legacy default stream is 1 (0 is ambiguous).
        stream = 1 if default.cuda_stream == 0 else default.cuda_stream
        made["__dlpack__(current stream)"] = torch.from_dlpack(g.__dlpack__(stream=stream))
        made["__dlpack__()"] = torch.from_dlpack(g.__dlpack__())
        for how, t in made.items():
            what = f"{key} via {how}"
            assert t.data_ptr() == ptr, what
            assert t.device == torch.device("cuda", GPU), what
            assert tuple(t.shape) == tuple(g.shape) and t.dtype == torch_dtype(torch, expected), what
            assert t.stride() == tuple(s // t.element_size() for s in gpu_layout(g)[1]), what
            assert np.array_equal(t.cpu().numpy(), expected), what


def test_unconsumed_gpu_dlpack_capsule_is_freed(frame_pairs):
    capsule = frame_pairs["rgb"][0].__dlpack__()
    assert type(capsule).__name__ == "PyCapsule"
    del capsule
    gc.collect()


def test_consuming_on_a_non_default_stream(torch, gpu_dec, cpu_dec, manifest):
    """Frames are complete when the call returns, or ordered on the stream the consumer
    names in __dlpack__(stream=...): reading them on another (non-blocking) stream,
    without any synchronisation, gives the right values."""
    path = video_path(manifest, "hevc_bframes.mkv")
    ids = [74, 3, 40, 41, 17, 0]
    expected_rgb = [to_numpy(f).copy() for f in cpu_dec.DecodeN12ToRGB([path] * 6, ids)]
    expected_yuv = [to_numpy(f).copy() for f in cpu_dec.Decode([path] * 6, ids)]
    s = torch.cuda.Stream(device=GPU)
    with torch.cuda.stream(s):
        rgb = gpu_dec.DecodeN12ToRGB([path] * 6, ids)
        yuv = gpu_dec.Decode([path] * 6, ids)
        clones = [torch.from_dlpack(f.__dlpack__(stream=s.cuda_stream)).clone() for f in rgb[:3]]
        clones += [torch.from_dlpack(f).clone() for f in rgb[3:]]  # torch passes s itself
        yuv_clones = [torch.as_tensor(f, device="cuda").clone() for f in yuv]
        sums = [t.to(torch.int64).sum() for t in clones]
    s.synchronize()
    for i, fid in enumerate(ids):
        assert np.array_equal(clones[i].cpu().numpy(), expected_rgb[i]), f"RGB frame {fid}"
        assert sums[i].item() == int(expected_rgb[i].astype(np.int64).sum()), f"RGB frame {fid}"
        assert np.array_equal(yuv_clones[i].cpu().numpy(), expected_yuv[i]), f"YUV frame {fid}"


# ----------------------------------------------------------------------------- lifetime

def test_gpu_frames_outlive_decoder_and_later_calls(torch, cpu_dec, manifest):
    path = video_path(manifest, "h264_gop30.mp4")
    dec = nvc.PyNvGopDecoder(2, GPU, True)
    rgb = dec.DecodeN12ToRGB([path, path], [3, 40])
    yuv = dec.Decode([path], [41])
    expected = [to_numpy(f).copy() for f in (*rgb, *yuv)]
    for i in range(20):  # later calls must not reuse memory of live frames
        dec.DecodeN12ToRGB([path, path], [i, 89 - i])
        dec.Decode([path], [60 + i])
    assert all(np.array_equal(to_numpy(f), e) for f, e in zip((*rgb, *yuv), expected))
    del dec
    gc.collect()
    assert all(np.array_equal(to_numpy(f), e) for f, e in zip((*rgb, *yuv), expected))
    assert expected[0].tobytes() == to_numpy(cpu_dec.DecodeN12ToRGB([path], [3])[0]).tobytes()


def test_tensors_keep_memory_alive_after_frames_and_decoder_are_gone(torch, manifest):
    """A tensor made from a frame stays valid after the frame is deleted, the decoder
    released and its pool trimmed: release_device_memory() frees only what nothing uses."""
    path = video_path(manifest, "hevc_bframes.ts")
    dec = nvc.PyNvGopDecoder(2, GPU, True)
    rgb = dec.DecodeN12ToRGB([path, path], [5, 60])
    yuv = dec.Decode([path], [61])
    tensors = [torch.as_tensor(rgb[0], device="cuda"), torch.from_dlpack(rgb[1]), torch.from_dlpack(yuv[0])]
    expected = [t.cpu().numpy().copy() for t in tensors]
    pointers = [t.data_ptr() for t in tensors]
    del rgb, yuv
    gc.collect()
    dec.release_decoder()
    dec.release_device_memory()
    for i in range(30):  # fresh allocations would land on freed memory
        dec.DecodeN12ToRGB([path, path], [i, 74 - i])
        dec.Decode([path, path], [i + 1, 70 - i])
        if i % 10 == 9:
            dec.release_device_memory()
    torch.cuda.synchronize()
    for t, e, p in zip(tensors, expected, pointers):
        assert t.data_ptr() == p
        assert np.array_equal(t.cpu().numpy(), e)
    del dec
    gc.collect()
    other = nvc.PyNvGopDecoder(2, GPU, True)
    for i in range(10):
        other.DecodeN12ToRGB([path, path], [i, 70 - i])
    other.release_device_memory()
    for t, e in zip(tensors, expected):
        assert np.array_equal(t.cpu().numpy(), e)
    assert watermark.read_watermark_rgb(expected[0]) == 5


def test_device_pool_frees_blocks_no_request_took_for_a_while(manifest):
    """The pool's cache ages (Note [Device memory pool]): a block of a size nobody asks for
    again is freed after 4096 allocations, so a long run over files of many sizes does not
    keep a block of every size it ever saw (the GPU soak's cache grew in steps without this)."""
    require_nvdec()
    big, small = video_path(manifest, "h264_odd_size.mov"), video_path(manifest, "h264_gop30.mp4")
    dec = nvc.PyNvGopDecoder(1, GPU, True)
    dec.release_device_memory()
    dec.DecodeN12ToRGB([big], [0])  # dropped at once; 642x362: its NV12 and RGB blocks go to the cache
    gc.collect()
    big_rgb = 642 * 362 * 3
    assert dec._stats()["device_cached_bytes"] >= big_rgb
    for i in range(3000):  # one 192x108 frame at a time: >= 2 allocations a call, none of them big
        dec.DecodeN12ToRGB([small], [i % 90])
    cached = dec._stats()["device_cached_bytes"]
    assert 0 < cached < big_rgb, f"{cached} bytes still cached after 3,000 calls of small frames"


# ----------------------------------------------------------------------------- CUDA context safety

def check_torch_still_works(torch) -> None:
    torch.cuda.synchronize()
    x = torch.arange(10, device="cuda")
    assert (x * 2).sum().item() == 90
    assert torch.cuda.current_device() == GPU


def test_decoder_created_on_one_thread_destroyed_on_another(torch, manifest):
    path = video_path(manifest, "h264_bframes_gop24.mp4")
    box, errors = {}, []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - reported by the main thread
                errors.append(e)
        return run

    def create():
        box["dec"] = nvc.PyNvGopDecoder(2, GPU, True)
        box["frames"] = box["dec"].DecodeN12ToRGB([path, path], [7, 70])

    def destroy():
        dec = box.pop("dec")
        dec.Decode([path], [8])
        del dec  # the last reference: destroyed on this thread

    for fn in (create, destroy):
        t = threading.Thread(target=guarded(fn))
        t.start()
        t.join(120)
        assert not t.is_alive()
    assert not errors, errors
    gc.collect()
    assert [watermark.read_watermark_rgb(to_numpy(f)) for f in box["frames"]] == [7, 70]
    check_torch_still_works(torch)


def test_decoder_destroyed_by_the_garbage_collector(torch, manifest):
    path = video_path(manifest, "hevc_hvc1_bframes_gop24.mp4")
    dec = nvc.PyNvGopDecoder(2, GPU, True)
    frames = dec.Decode([path, path], [30, 31])
    cycle = [dec]
    cycle.append(cycle)  # only the cycle collector can free it
    del dec, cycle
    gc.collect()
    assert [frame_watermark(f) for f in frames] == [30, 31]
    for _ in range(3):  # and again, with calls in between
        dec = nvc.CreateGopDecoder(2, iGpu=GPU, suppressNoColorRangeWarning=True)
        assert frame_watermark(dec.Decode([path], [50])[0]) == 50
        loop = {"dec": dec}
        loop["self"] = loop
        del dec, loop
        gc.collect()
    check_torch_still_works(torch)


def test_decoding_while_torch_computes_on_the_same_device(torch, cpu_dec, manifest):
    names = ["h264_gop30.mp4", "hevc_10bit.mkv", "hevc_bframes.mkv", "vp9_gop8.webm"]
    paths = [video_path(manifest, n) for n in names]
    rng = random.Random(5)
    calls = []
    for _ in range(24):
        picks = [rng.randrange(len(names)) for _ in range(4)]
        calls.append(([paths[p] for p in picks],
                      [rng.randrange(manifest["videos"][names[p]]["frame_count"]) for p in picks]))
    expected = [[to_numpy(f).copy() for f in cpu_dec.DecodeN12ToRGB(p, i)] for p, i in calls]

    # Integer-valued float64 matrices: the product is exact, so it can be checked.
    gen = torch.Generator().manual_seed(0)
    a = torch.randint(-4, 5, (768, 768), generator=gen, dtype=torch.float64)
    b = torch.randint(-4, 5, (768, 768), generator=gen, dtype=torch.float64)
    want = a @ b
    a, b = a.cuda(), b.cuda()
    stop, results, errors = threading.Event(), [], []

    def matmuls():
        try:
            while not stop.is_set():
                c = a @ b
                results.append(torch.equal(c.cpu(), want))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    worker = threading.Thread(target=matmuls)
    worker.start()
    try:
        dec = nvc.PyNvGopDecoder(4, GPU, True)
        for n, ((p, ids), exp) in enumerate(zip(calls, expected)):
            frames = dec.DecodeN12ToRGB(p, ids)
            if n % 3 == 0:  # interleave torch work on this thread too
                assert torch.equal((a[:64] @ b[:, :64]).cpu(), want[:64, :64])
            for k, (f, e) in enumerate(zip(frames, exp)):
                assert np.array_equal(to_numpy(f), e), f"call {n} entry {k}"
    finally:
        stop.set()
        worker.join(120)
    assert not errors, errors
    assert results and all(results)
    del dec
    gc.collect()
    check_torch_still_works(torch)


# ----------------------------------------------------------------------------- devices

def test_invalid_device_ordinal_raises_and_the_process_survives(manifest):
    """The driver is first touched by the first decoding call (issue #16 §7: a GPU decoder made
    before a fork still demuxes in the child), so a bad ordinal is reported there."""
    clip = video_path(manifest, "h264_gop30.mp4")
    count = cuda_device_count()
    bad = count + 5
    for make in (lambda: nvc.PyNvGopDecoder(1, bad), lambda: nvc.CreateGopDecoder(1, iGpu=bad)):
        try:
            dec = make()
        except RuntimeError as e:  # a machine without the driver's libraries is refused at once
            assert count == 0 and "could not be loaded" in str(e), e
            continue
        assert dec.GetGOP([clip], [3])[1] == [0]  # demux only: no CUDA needed
        with pytest.raises(RuntimeError) as info:
            dec.Decode([clip], [3])
        if count > 0:  # (without a driver the message is about the driver)
            message = str(info.value)
            assert re.search(rf"\b{bad}\b", message) or "ordinal" in message, message
    with pytest.raises(RuntimeError, match="iGpu=-2"):
        nvc.PyNvGopDecoder(1, -2)
    script = textwrap.dedent(f"""
        import on_demand_video_decoder as nvc
        for gpu in ({bad}, -2, {bad + 1000}):
            try:
                nvc.PyNvGopDecoder(1, gpu).Decode([{clip!r}], [0])
            except RuntimeError:
                pass
            else:
                raise SystemExit("iGpu=%d did not raise" % gpu)
        print("survived")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "survived" in done.stdout


def test_gpu_request_without_a_gpu_is_a_clear_error():
    if cuda_device_count() > 0:
        pytest.skip("a CUDA device is present (this test is for machines without one)")
    for make in (lambda: nvc.PyNvGopDecoder(1, 0), lambda: nvc.CreateGopDecoder(1)):  # iGpu=0 default
        with pytest.raises(RuntimeError) as info:
            make()
        message = str(info.value)
        if hasattr(nvc, "cuda_device_count"):
            assert "CUDA" in message, message
        else:  # a build from before the NVDEC back end
            assert "iGpu=-1" in message, message
    if hasattr(nvc, "cuda_device_count"):
        assert nvc.cuda_device_count() == 0
    nvc.PyNvGopDecoder(1, CPU, True)  # the CPU back end needs no GPU


def test_second_gpu(torch, cpu_dec, manifest):
    if cuda_device_count() < 2:
        pytest.skip("fewer than 2 CUDA devices: multi-GPU test skipped")
    path = video_path(manifest, "hevc_10bit.mkv")
    dec1 = nvc.PyNvGopDecoder(2, 1, True)
    rgb = dec1.DecodeN12ToRGB([path, path], [4, 50])
    yuv = dec1.Decode([path], [20])
    assert torch.cuda.current_device() == 0  # no context left current on the caller
    cpu = [*cpu_dec.DecodeN12ToRGB([path, path], [4, 50]), *cpu_dec.Decode([path], [20])]
    for f, c in zip((*rgb, *yuv), cpu):
        assert f.__dlpack_device__() == (2, 1)
        t = torch.from_dlpack(f)
        assert t.device == torch.device("cuda", 1) and t.data_ptr() == cai_pointer(f)
        u = torch.as_tensor(f, device="cuda:1")
        assert u.device == torch.device("cuda", 1) and u.data_ptr() == cai_pointer(f)
        assert np.array_equal(t.cpu().numpy(), to_numpy(c))
    dec0 = nvc.PyNvGopDecoder(2, 0, True)  # both devices in turn from one thread
    for i in range(3):
        assert frame_watermark(dec0.Decode([path], [i])[0]) == i
        assert frame_watermark(dec1.Decode([path], [59 - i])[0]) == 59 - i
    assert torch.cuda.current_device() == 0


def test_two_gpus_decode_at_once_from_threads(torch, cpu_dec, manifest):
    """Issue #22: one process driving two GPUs at once (a thread per device, multi-frame calls
    spread over GOP lanes, RGB and batched tensors): every frame on its decoder's device,
    equal to the CPU back end's, and no context left current on the calling threads."""
    if cuda_device_count() < 2:
        pytest.skip("fewer than 2 CUDA devices: multi-GPU test skipped")
    path = video_path(manifest, "h264_gop30.mp4")
    ids = [[(7 * k + 13 * i) % 90 for i in range(4)] for k in range(20)]
    expected = {tuple(i): [to_numpy(f) for f in cpu_dec.DecodeN12ToRGB([path] * 4, i)] for i in ids}
    failures = []

    def drive(gpu):
        try:
            dec = nvc.PyNvGopDecoder(4, gpu, True)
            for i in ids:
                rgb = dec.DecodeN12ToRGB([path] * 4, i)
                for f, want in zip(rgb, expected[tuple(i)]):
                    assert f.__dlpack_device__() == (2, gpu)
                    assert np.array_equal(torch.from_dlpack(f).cpu().numpy(), want)
                batch = torch.from_dlpack(dec.DecodeToTensor([path] * 4, i, layout="NHWC"))
                assert batch.device == torch.device("cuda", gpu)
                assert np.array_equal(batch.cpu().numpy(), np.stack(expected[tuple(i)]))
        except Exception as e:  # noqa: BLE001 - reported on the main thread
            failures.append(f"iGpu={gpu}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=drive, args=(g,)) for g in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    assert torch.cuda.current_device() == 0


# ----------------------------------------------------------------------------- unsupported streams

@pytest.mark.cpu_free
@pytest.mark.parametrize("name", UNSUPPORTED_ON_HOPPER)
def test_unsupported_codec_is_refused_with_fallback_raise(gpu_dec, cpu_dec, manifest, name):
    entry = manifest["videos"][name]
    path = video_path(manifest, name)
    good = video_path(manifest, "h264_gop30.mp4")
    if nvdec_supports(entry):  # e.g. AV1 on Ada or Blackwell: then it must be exact
        for g, c in zip(gpu_dec.Decode([path] * 3, [0, 9, 23]), cpu_dec.Decode([path] * 3, [0, 9, 23])):
            assert_same_frame(g, c, name)
        return
    for call in (lambda: gpu_dec.Decode([path], [1]),
                 lambda: gpu_dec.DecodeN12ToRGB([path], [entry["frame_count"] - 1]),
                 lambda: gpu_dec.DecodeN12ToRGB([good, path], [5, 5], as_bgr=True),
                 lambda: nvc.CreateGopDecoder(2, iGpu=GPU, suppressNoColorRangeWarning=True,
                                              fallback="raise").Decode([path], [0])):
        assert_nvdec_refuses(call, path)
    # The decoder is still usable, and the CPU back end decodes the file.
    assert frame_watermark(gpu_dec.Decode([good], [12])[0]) == 12
    if not cpu_decoder_missing(manifest, name):
        assert frame_watermark(cpu_dec.Decode([path], [5])[0]) == entry["watermarks"][5]


# ----------------------------------------------------------------------------- memory

def test_gpu_memory_does_not_grow_over_1500_calls(torch, manifest):
    """No leak of frames, pool slabs, decoder sessions or mapped surfaces over 1,500 calls
    (results dropped). Device memory in use moves while decoder sessions come and go (the
    driver's, tens of MiB on an H100), so one reading after a warm-up against one at the
    end can differ either way; a leak instead raises the level steadily. So the test
    compares the most memory in use over the last 500 calls with the most over the first
    500: a leak of 16 MiB per 1,000 calls raises it by 16 MiB."""
    names = ["h264_gop30.mp4", "h264_intra.mp4", "hevc_bframes.ts", "vp9_gop8.webm"]
    names = [n for n in names if nvdec_supports(manifest["videos"][n])]
    paths = [video_path(manifest, n) for n in names]
    counts = [manifest["videos"][n]["frame_count"] for n in names]
    dec = nvc.PyNvGopDecoder(4, GPU, True)
    rng = random.Random(11)

    def one_call(i: int) -> None:
        picks = [i % len(paths)] + [rng.randrange(len(paths)) for _ in range(rng.randrange(3))]
        ps, ids = [paths[p] for p in picks], [rng.randrange(counts[p]) for p in picks]
        if i % 3 == 0:
            dec.Decode(ps, ids)
        else:
            dec.DecodeN12ToRGB(ps, ids, as_bgr=i % 3 == 2)

    def used_bytes() -> int:
        gc.collect()
        torch.cuda.synchronize()
        free, total = torch.cuda.mem_get_info(GPU)
        return total - free

    for i in range(50):
        one_call(i)
    used = []  # (call, bytes in use), every 25 calls
    start = time.monotonic()
    for i in range(1500):
        one_call(i)
        if i % 25 == 24:
            used.append((i + 1, used_bytes()))
    elapsed = time.monotonic() - start
    first = max(u for c, u in used if c <= 500)
    last = max(u for c, u in used if c > 1000)
    trace = ", ".join(f"{c}: {u / MIB:.0f}" for c, u in used[::4])
    assert last - first <= 16 * MIB, (f"the most device memory in use rose by {(last - first) / MIB:.1f} MiB from "
                                      f"calls 1-500 to calls 1001-1500 ({elapsed:.1f} s); MiB in use by call: {trace}")
