"""Training-ready batches (issue #19): DecodeToTensor, DecodeFromGOPToTensor and
DecodeBatchToTensor against a float64 reference written here from the documented
definitions (Note [Tensor values], Note [Resize filters]): the colour matrix per source
pixel, then the separable resize filter, then normalisation, then the cast.

Bounds: uint8 within 1 level of the reference (and equal to DecodeN12ToRGB without a
resize); float32 within 1e-3 (relative, 1e-3 absolute near 0); float16 / bfloat16
within one unit in the last place of the reference's own rounding; CPU and GPU within
the same bounds of each other. The bilinear / nearest / area filters are also checked
against PyTorch's interpolate where torch is installed.
"""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from on_demand_video_decoder import _odvd
from conftest import require_nvdec, to_numpy, torch_or_none, video_path

# name -> (frame ids used); sizes, depths and chroma layouts differ.
VIDEOS = {
    "h264_gop30.mp4": [0, 7, 41],            # 192x108 4:2:0 8-bit
    "hevc_10bit.mkv": [0, 13],               # 10-bit (P016)
    "h264_odd_size.mov": [0, 5],             # odd width and height
    "h264_444.mp4": [0, 3],                  # 4:4:4 planar
    "h264_422.mp4": [1],                     # 4:2:2 (NV16)
    "mjpeg_422.avi": [0],                    # full range
    "h264_colour.mp4": [0, 17],              # red differs from blue: channel order shows
    "hevc_colour_10bit.mkv": [0, 9],         # the same in 10-bit
    "h264_colour_444.mp4": [5],              # and with full-resolution chroma
}

# ---------------------------------------------------------------------------- reference


def taps(n_in: int, n_out: int, mode: str, antialias: bool) -> np.ndarray:
    """(n_out, n_in) weights of one axis, from Note [Resize filters]."""
    s = n_in / n_out
    w = np.zeros((n_out, n_in))
    for o in range(n_out):
        c = (o + 0.5) * s
        if mode == "nearest":
            w[o, min(int(np.floor(c)), n_in - 1)] = 1.0
        elif mode == "area":
            lo, hi = o * s, min((o + 1) * s, n_in)
            for j in range(int(np.floor(lo)), n_in):
                if j >= hi:
                    break
                w[o, j] = min(hi, j + 1) - max(lo, j)
        else:
            r = s if (antialias and s > 1) else 1.0
            lo, hi = max(int(c - r + 0.5), 0), min(int(c + r + 0.5), n_in)
            for j in range(lo, hi):
                w[o, j] = max(0.0, 1.0 - abs(j + 0.5 - c) / r)
        w[o] /= w[o].sum()
    return w


def yuv_planes(frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y, U, V at full resolution (chroma nearest-sample), native depth, float64."""
    raw = to_numpy(frame)
    a = raw.astype(np.int64)
    h, w = frame.height, frame.width
    if raw.dtype == np.uint16:  # high-aligned 16-bit words -> native-depth samples
        a = a >> (16 - frame.bit_depth)
    fmt = frame.format
    if fmt in (nvc.PixelFormat.YUV444, nvc.PixelFormat.YUV444_16Bit):
        y, u, v = (a[i * h:(i + 1) * h, :w] for i in range(3))
    else:
        ch = h if fmt in (nvc.PixelFormat.NV16, nvc.PixelFormat.P216) else (h + 1) // 2
        uv = a[h:h + ch]
        rows = np.arange(h) >> (0 if ch == h else 1)
        cols = 2 * (np.arange(w) >> 1)
        y, u, v = a[:h, :w], uv[rows][:, cols], uv[rows][:, cols + 1]
    return y.astype(np.float64), u.astype(np.float64), v.astype(np.float64)


def float_rgb(frame, matrix: int, full: bool) -> np.ndarray:
    """HWC RGB in 0..1 from the samples, float64, clamped."""
    kr, kb = {1: (0.2126, 0.0722), 4: (0.30, 0.11), 7: (0.212, 0.087), 9: (0.2627, 0.0593),
              10: (0.2627, 0.0593)}.get(matrix, (0.299, 0.114))
    kg = 1 - kr - kb
    d = frame.bit_depth
    scale = 1 << (d - 8)
    y_range = (1 << d) - 1 if full else 219.0 * scale
    c_range = (1 << d) - 1 if full else 224.0 * scale
    y, u, v = yuv_planes(frame)
    yy = (y - (0 if full else 16 * scale)) / y_range
    u = (u - (1 << (d - 1))) * 2 / c_range
    v = (v - (1 << (d - 1))) * 2 / c_range
    r = yy + (1 - kr) * v
    g = yy - (kb * (1 - kb) / kg) * u - (kr * (1 - kr) / kg) * v
    b = yy + (1 - kb) * u
    return np.clip(np.stack([r, g, b], axis=-1), 0.0, 1.0)


def reference(path: str, frame_id: int, *, size=None, crop=None, dtype="uint8", mean=None, std=None,
              as_bgr=False, interpolation="bilinear", antialias=True) -> np.ndarray:
    """One entry's expected (H, W, 3) values in float64, before the cast."""
    cpu = nvc.PyNvGopDecoder(1, -1, True)
    if dtype == "uint8":
        img = np.asarray(cpu.DecodeN12ToRGB([path], [frame_id])[0]).astype(np.float64)
    else:
        info = _odvd.GetIndexInfo(path)
        img = float_rgb(cpu.Decode([path], [frame_id])[0], info["color_matrix"], info["color_range"] == 2)
    if crop is not None:
        x, y, w, h = crop
        img = img[y:y + h, x:x + w]
    if size is not None:
        wy = taps(img.shape[0], size[0], interpolation, antialias)
        wx = taps(img.shape[1], size[1], interpolation, antialias)
        img = np.einsum("oy,yxc->oxc", wy, img)
        img = np.einsum("px,oxc->opc", wx, img)
    if as_bgr:
        img = img[..., ::-1]
    if mean is not None or std is not None:
        m = np.broadcast_to(np.asarray(0.0 if mean is None else mean, np.float64), (3,))
        s = np.broadcast_to(np.asarray(1.0 if std is None else std, np.float64), (3,))
        if (m > 1).any() or (s > 1).any():
            m, s = m / 255, s / 255
        img = (img - m) / s
    return img


def host_values(batch) -> np.ndarray:
    """A host DecodedBatch (or GPU one via torch) as float64, bfloat16 included."""
    if batch.device != "cpu":
        torch = torch_or_none()
        return torch.from_dlpack(batch).float().cpu().numpy().astype(np.float64)
    if batch.dtype == "bfloat16":
        raw = np.frombuffer(ctypes.string_at(batch.data, batch.nbytes), dtype=np.uint16).reshape(batch.shape)
        return (raw.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return np.asarray(batch).astype(np.float64)


def ulp(values: np.ndarray, dtype: str) -> np.ndarray:
    mantissa = {"float16": 10, "bfloat16": 7}[dtype]
    smallest = {"float16": 2.0 ** -24, "bfloat16": 2.0 ** -133}[dtype]
    exponent = np.floor(np.log2(np.maximum(np.abs(values), 1e-30)))
    return np.maximum(2.0 ** (exponent - mantissa), smallest)


def check_against(got: np.ndarray, want: np.ndarray, dtype: str) -> None:
    """`got` (as float64) against the float64 reference `want`, within the dtype's bound."""
    if dtype == "uint8":
        expected = np.clip(np.floor(want + 0.5), 0, 255)
        assert np.abs(got - expected).max() <= 1, np.abs(got - expected).max()
    elif dtype == "float32":
        assert np.all(np.abs(got - want) <= 1e-3 * np.maximum(1.0, np.abs(want))), np.abs(got - want).max()
    else:
        assert np.all(np.abs(got - want) <= ulp(want, dtype) * 1.01 + 1e-6), np.abs(got - want).max()


def as_hwc(batch_values: np.ndarray, layout: str) -> np.ndarray:
    """(N, 3, H, W) or (N, H, W, 3) -> (N, H, W, 3)."""
    return batch_values.transpose(0, 2, 3, 1) if layout == "NCHW" else batch_values


@pytest.fixture(scope="module")
def cpu_decoder():
    return nvc.PyNvGopDecoder(8, -1, True)


# ---------------------------------------------------------------------------- identity


@pytest.mark.parametrize("name", list(VIDEOS))
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_uint8_without_resize_is_decode_n12_to_rgb(manifest, cpu_decoder, name, layout):
    path = video_path(manifest, name)
    ids = VIDEOS[name]
    for bgr in (False, True):
        batch = cpu_decoder.DecodeToTensor([path] * len(ids), ids, layout=layout, as_bgr=bgr)
        rgb = np.stack([np.asarray(f) for f in cpu_decoder.DecodeN12ToRGB([path] * len(ids), ids, as_bgr=bgr)])
        assert batch.dtype == "uint8" and batch.layout == layout and batch.device == "cpu"
        got = np.asarray(batch)
        assert got.shape == ((len(ids), 3) + rgb.shape[1:3] if layout == "NCHW" else rgb.shape)
        assert np.array_equal(as_hwc(got, layout), rgb)
        if "colour" in name:  # the as_bgr comparison means something: red != blue
            assert (rgb[..., 0] != rgb[..., 2]).all()


# ---------------------------------------------------------------------------- resize, crop, cast

CASES = [
    # (video, frame, kwargs)
    ("h264_gop30.mp4", 7, dict(size=(54, 96))),                                   # 2x down, antialias
    ("h264_gop30.mp4", 41, dict(size=(37, 61), antialias=False)),                 # odd factors, no AA
    ("h264_gop30.mp4", 0, dict(size=(217, 301))),                                 # upscale
    ("h264_odd_size.mov", 5, dict(size=(20, 33), interpolation="area")),
    ("h264_odd_size.mov", 0, dict(size=(50, 50), interpolation="nearest")),
    ("h264_gop30.mp4", 7, dict(crop=(0, 0, 64, 48))),                             # crop only, top-left
    ("h264_gop30.mp4", 7, dict(crop=(128, 60, 64, 48), size=(24, 24))),           # touches right/bottom
    ("h264_odd_size.mov", 5, dict(crop=(1, 3, 11, 7), size=(29, 17))),            # odd crop, upscale
    ("hevc_10bit.mkv", 13, dict(size=(60, 100))),
    ("h264_444.mp4", 3, dict(size=(40, 70), as_bgr=True)),
    ("h264_422.mp4", 1, dict(size=(30, 50))),
    ("mjpeg_422.avi", 0, dict(crop=(10, 10, 100, 60), size=(31, 47))),
]


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_matches_the_float64_reference(manifest, cpu_decoder, case, layout, dtype):
    name, frame_id, kwargs = CASES[case]
    path = video_path(manifest, name)
    batch = cpu_decoder.DecodeToTensor([path, path], [frame_id, frame_id], layout=layout, dtype=dtype, **kwargs)
    want = reference(path, frame_id, dtype=dtype, **kwargs)
    got = as_hwc(host_values(batch), layout)
    assert got.shape[1:] == want.shape and batch.dtype == dtype
    for entry in got:
        check_against(entry, want, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_normalisation_on_both_scales(manifest, cpu_decoder, dtype):
    path = video_path(manifest, "h264_gop30.mp4")
    unit = dict(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    byte = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
    a = host_values(cpu_decoder.DecodeToTensor([path], [7], size=(54, 96), dtype=dtype, **unit))
    b = host_values(cpu_decoder.DecodeToTensor([path], [7], size=(54, 96), dtype=dtype, **byte))
    want = reference(path, 7, size=(54, 96), dtype=dtype, **unit)
    for got in (a, b):
        check_against(got[0].transpose(1, 2, 0), want, dtype)
    assert want.min() < -1.5 and want.max() > 1.5  # really normalised, not 0..1
    # One number for all channels, and std alone.
    c = host_values(cpu_decoder.DecodeToTensor([path], [7], dtype=dtype, mean=0.5, std=0.25))
    check_against(c[0].transpose(1, 2, 0), reference(path, 7, dtype=dtype, mean=0.5, std=0.25), dtype)


def test_ten_bit_sources_keep_their_precision(manifest, cpu_decoder):
    path = video_path(manifest, "hevc_10bit.mkv")
    got = host_values(cpu_decoder.DecodeToTensor([path], [13], dtype="float32"))[0].transpose(1, 2, 0)
    want = reference(path, 13, dtype="float32")
    assert np.abs(got - want).max() <= 1e-4
    # An 8-bit step in between would be caught: rounding the reference to 8 bits moves it
    # by far more than the bound.
    assert np.abs(np.round(want * 255) / 255 - want).max() > 1e-3


def test_filters_match_torch_interpolate(manifest, cpu_decoder):
    torch = torch_or_none()
    if torch is None:
        pytest.skip("PyTorch is not installed: the torch oracle of the resize filters is skipped")
    F = torch.nn.functional
    path = video_path(manifest, "h264_gop30.mp4")
    rgb = torch.from_numpy(np.asarray(cpu_decoder.DecodeN12ToRGB([path], [7])[0])).permute(2, 0, 1)[None].double()
    for size, mode, torch_kwargs, ours in [
        ((54, 96), "bilinear", dict(align_corners=False, antialias=True), dict()),
        ((37, 61), "bilinear", dict(align_corners=False, antialias=True), dict()),
        ((37, 61), "bilinear", dict(align_corners=False, antialias=False), dict(antialias=False)),
        ((250, 333), "bilinear", dict(align_corners=False), dict()),
        ((50, 77), "nearest-exact", dict(), dict(interpolation="nearest")),
        ((27, 48), "area", dict(), dict(interpolation="area")),  # integer factors: the same filter
    ]:
        want = F.interpolate(rgb, size=size, mode=mode, **torch_kwargs)[0].numpy()
        got = np.asarray(cpu_decoder.DecodeToTensor([path], [7], size=size, **ours))[0].astype(np.float64)
        assert np.abs(got - np.clip(np.floor(want + 0.5), 0, 255)).max() <= 1, (size, mode)


# ---------------------------------------------------------------------------- the three methods


def test_bundle_and_sample_reader_give_the_same_batches(manifest, cpu_decoder):
    a = video_path(manifest, "h264_gop30.mp4")
    b = video_path(manifest, "hevc_10bit.mkv")
    kwargs = dict(size=(48, 64), dtype="float16", mean=0.5, std=0.5)
    direct = host_values(cpu_decoder.DecodeToTensor([a, b, a], [3, 4, 33], **kwargs))
    bundle, _, _ = cpu_decoder.GetGOP([a, b, a], [3, 4, 33])
    from_gop = host_values(cpu_decoder.DecodeFromGOPToTensor(bundle, [a, b, a], [3, 4, 33], **kwargs))
    assert np.array_equal(direct, from_gop)
    reader = nvc.PyNvSampleReader(1, 2, -1, True)
    batch = reader.DecodeBatchToTensor([a, b], [[3, 33], [4, 5]], **kwargs)
    assert batch.shape == (2, 2, 3, 48, 64)
    got = host_values(batch)
    assert np.array_equal(got[0, 0], direct[0]) and np.array_equal(got[0, 1], direct[2])
    assert np.array_equal(got[1, 0], direct[1])
    nhwc = reader.DecodeBatchToTensor([a, b], [[3, 33], [4, 5]], layout="NHWC", **kwargs)
    assert nhwc.shape == (2, 2, 48, 64, 3)


def test_mixed_sizes_need_a_size(manifest, cpu_decoder):
    a = video_path(manifest, "h264_gop30.mp4")
    b = video_path(manifest, "h264_odd_size.mov")
    with pytest.raises(ValueError, match=r"size=None needs every frame .* pass size="):
        cpu_decoder.DecodeToTensor([a, b], [0, 0])
    batch = cpu_decoder.DecodeToTensor([a, b], [0, 0], size=(32, 32))
    assert batch.shape == (2, 3, 32, 32)
    check_against(np.asarray(batch)[1].transpose(1, 2, 0).astype(np.float64),
                  reference(b, 0, size=(32, 32)), "uint8")


def test_decoded_batch_exports(manifest, cpu_decoder):
    path = video_path(manifest, "h264_gop30.mp4")
    batch = cpu_decoder.DecodeToTensor([path] * 2, [0, 1], size=(10, 20), dtype="float32")
    assert batch.shape == (2, 3, 10, 20) and batch.strides == (2400, 800, 80, 4) and batch.nbytes == 4800
    assert batch.__dlpack_device__() == (1, 0)
    array = np.asarray(batch)
    assert array.dtype == np.float32 and array.ctypes.data == batch.data  # no copy
    assert repr(batch) == "<DecodedBatch (2, 3, 10, 20) float32 NCHW on cpu>"
    assert np.array_equal(np.from_dlpack(batch), array)
    half = cpu_decoder.DecodeToTensor([path], [0], size=(10, 20), dtype="float16")
    assert np.asarray(half).dtype == np.float16
    bf = cpu_decoder.DecodeToTensor([path], [0], size=(10, 20), dtype="bfloat16")
    with pytest.raises(AttributeError, match="bfloat16"):
        bf.__array_interface__
    torch = torch_or_none()
    if torch is not None:
        t = torch.from_dlpack(bf)
        assert t.dtype == torch.bfloat16 and t.data_ptr() == bf.data
        assert np.array_equal(t.float().numpy(), host_values(bf).astype(np.float32))
    del batch  # the array keeps the memory alive
    assert array.sum() > 0


# ---------------------------------------------------------------------------- out=


def test_out_numpy_and_a_slice_of_a_larger_batch(manifest, cpu_decoder):
    path = video_path(manifest, "h264_gop30.mp4")
    big = np.full((5, 3, 24, 32), 7, dtype=np.float32)
    result = cpu_decoder.DecodeToTensor([path, path], [2, 9], dtype="float32", out=big[1:3])
    assert isinstance(result, np.ndarray) and np.shares_memory(result, big)
    want = np.asarray(cpu_decoder.DecodeToTensor([path, path], [2, 9], size=(24, 32), dtype="float32"))
    assert np.array_equal(big[1:3], want)
    assert (big[0] == 7).all() and (big[3:] == 7).all()  # nothing else touched
    nhwc = np.zeros((2, 24, 32, 3), np.uint8)
    cpu_decoder.DecodeToTensor([path, path], [2, 9], layout="NHWC", out=nhwc)
    assert np.array_equal(nhwc, np.asarray(cpu_decoder.DecodeToTensor([path] * 2, [2, 9], size=(24, 32), layout="NHWC")))


class InterfaceOnly:
    """An array exposing only __array_interface__ (no DLPack), as older libraries do."""

    def __init__(self, array, interface=None):
        self.array = array
        self.__array_interface__ = interface if interface is not None else array.__array_interface__


def test_out_through_the_array_interface(manifest, cpu_decoder):
    path = video_path(manifest, "h264_gop30.mp4")
    target = np.zeros((2, 3, 12, 16), np.float32)
    result = cpu_decoder.DecodeToTensor([path, path], [2, 9], dtype="float32", out=InterfaceOnly(target))
    assert isinstance(result, InterfaceOnly)
    want = np.asarray(cpu_decoder.DecodeToTensor([path, path], [2, 9], size=(12, 16), dtype="float32"))
    assert np.array_equal(target, want)
    bad = dict(target.__array_interface__, typestr="<c8")
    with pytest.raises(ValueError, match="out has dtype unsupported"):
        cpu_decoder.DecodeToTensor([path, path], [2, 9], dtype="float32", out=InterfaceOnly(target, bad))
    broken = {"shape": (2, 3, 12, 16)}
    with pytest.raises(ValueError, match="out.__array_interface__ is not a version-3 array interface"):
        cpu_decoder.DecodeToTensor([path, path], [2, 9], dtype="float32", out=InterfaceOnly(target, broken))
    readonly = dict(target.__array_interface__, data=(target.ctypes.data, True))
    with pytest.raises(ValueError, match="out is read-only"):
        cpu_decoder.DecodeToTensor([path, path], [2, 9], dtype="float32", out=InterfaceOnly(target, readonly))


def test_out_torch_tensor(manifest, cpu_decoder):
    torch = torch_or_none()
    if torch is None:
        pytest.skip("PyTorch is not installed: out= with a torch tensor is skipped")
    path = video_path(manifest, "h264_gop30.mp4")
    out = torch.zeros(4, 3, 20, 30, dtype=torch.bfloat16)
    result = cpu_decoder.DecodeToTensor([path, path], [1, 2], dtype=torch.bfloat16, out=out[2:])
    assert result.data_ptr() == out[2:].data_ptr()
    want = host_values(cpu_decoder.DecodeToTensor([path, path], [1, 2], size=(20, 30), dtype="bfloat16"))
    assert np.array_equal(out[2:].float().numpy(), want.astype(np.float32))
    assert out[:2].abs().sum() == 0


def test_out_mismatches_are_value_errors(manifest, cpu_decoder):
    path = video_path(manifest, "h264_gop30.mp4")
    call = lambda out, **kw: cpu_decoder.DecodeToTensor([path, path], [0, 1], out=out, **kw)  # noqa: E731
    with pytest.raises(ValueError, match=r"out has shape \(3, 3, 8, 8\), this call needs \(2,\) \+ \(3, H, W\)"):
        call(np.zeros((3, 3, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"out has shape \(2, 8, 8, 3\).*layout='NCHW'"):
        call(np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match=r"out has dtype float32, the call writes uint8"):
        call(np.zeros((2, 3, 8, 8), np.float32))
    with pytest.raises(ValueError, match="out has dtype float64, the call writes float32"):
        call(np.zeros((2, 3, 8, 8), np.float64), dtype="float32")
    with pytest.raises(ValueError, match="C-contiguous"):
        call(np.zeros((2, 3, 8, 16), np.uint8)[..., ::2])
    with pytest.raises(ValueError, match=r"out holds 8x8 images, size=\(4, 4\)"):
        call(np.zeros((2, 3, 8, 8), np.uint8), size=(4, 4))
    readonly = np.zeros((2, 3, 8, 8), np.uint8)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="out cannot be written through DLPack: .*readonly"):
        call(readonly)
    with pytest.raises(TypeError, match=r"out must be a tensor .* got list"):
        call([[0]])


# ---------------------------------------------------------------------------- argument errors


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(size=(10,)), TypeError, r"size must be \(height, width\), got tuple \(10,\)"),
    (dict(size="10x10"), TypeError, r"size must be \(height, width\)"),
    (dict(size=(0, 10)), ValueError, r"size\[0\] must be 1..32768 \(got 0\)"),
    (dict(size=(10, 1.5)), TypeError, r"size\[1\] must be an integer"),
    (dict(crop=(0, 0, 10)), TypeError, r"crop must be \(x, y, width, height\)"),
    (dict(crop=(-1, 0, 10, 10)), ValueError, r"crop\[0\] must be 0..1073741824 \(got -1\)"),
    (dict(crop=(0, 0, 0, 10)), ValueError, r"crop width and height must be >= 1"),
    (dict(crop=(100, 50, 100, 10)), ValueError,
     r"crop=\(100, 50, 100, 10\) \(x, y, width, height\) does not fit the 192x108 frame of entry 0 "
     r"\('.*h264_gop30.mp4', frame 3\)"),
    (dict(layout="CHW"), ValueError, r"layout must be 'NCHW' or 'NHWC', got 'CHW'"),
    (dict(dtype="float64"), ValueError, r"dtype must be 'uint8', 'float16', 'bfloat16' or 'float32'"),
    (dict(mean=0.5), ValueError, r"mean/std need a float dtype"),
    (dict(dtype="float32", std=[1, 0, 1]), ValueError, r"std must be > 0"),
    (dict(dtype="float32", mean=[1, 2]), TypeError, r"mean must be a number or 3 numbers"),
    (dict(dtype="float32", mean="red"), TypeError, r"mean must be a number"),
    (dict(dtype="float32", mean=float("nan")), ValueError, r"mean must be finite"),
    (dict(interpolation="cubic"), ValueError, r"interpolation must be 'bilinear', 'nearest' or 'area', got 'cubic'"),
    (dict(antialias="yes"), TypeError, r"antialias must be"),
    (dict(as_bgr=1), TypeError, r"as_bgr must be"),
    (dict(stream=5), ValueError, r"stream= orders work on a CUDA stream; this decoder decodes on the CPU"),
    (dict(stream="s"), TypeError, r"stream must be a CUDA stream"),
])
def test_argument_errors_name_the_argument(manifest, cpu_decoder, kwargs, error, pattern):
    path = video_path(manifest, "h264_gop30.mp4")
    with pytest.raises(error, match=pattern):
        cpu_decoder.DecodeToTensor([path], [3], **kwargs)
    # The decoder stays usable.
    assert cpu_decoder.DecodeToTensor([path], [3], size=(4, 4)).shape == (1, 3, 4, 4)


def test_unknown_keyword_and_bad_entries(manifest, cpu_decoder):
    path = video_path(manifest, "h264_gop30.mp4")
    with pytest.raises(TypeError):
        cpu_decoder.DecodeToTensor([path], [3], sise=(4, 4))
    with pytest.raises(ValueError, match="frame"):
        cpu_decoder.DecodeToTensor([path], [90], size=(4, 4))
    with pytest.raises(RuntimeError, match="no_such_file.mp4"):
        cpu_decoder.DecodeToTensor(["/no/such/dir/no_such_file.mp4"], [0], size=(4, 4))
    reader = nvc.PyNvSampleReader(1, 2, -1, True)
    with pytest.raises(ValueError, match=r"frame_id_lists: a batch needs one number of frames per file"):
        reader.DecodeBatchToTensor([path, path], [[1, 2], [3]])


def test_empty_calls(cpu_decoder):
    empty = cpu_decoder.DecodeToTensor([], [], size=(4, 6), dtype="float32")
    assert empty.shape == (0, 3, 4, 6) and np.asarray(empty).shape == (0, 3, 4, 6)
    with pytest.raises(ValueError, match="no entry has a frame to take the size from; pass size="):
        cpu_decoder.DecodeToTensor([], [])


def test_skipped_entries_are_zeros_and_reported(manifest):
    from conftest import bad_path
    corrupt = bad_path(manifest, "bad_corrupt.mp4")
    good = video_path(manifest, "h264_gop30.mp4")
    dec = nvc.PyNvGopDecoder(4, -1, True, on_error="skip")
    batch = np.asarray(dec.DecodeToTensor([corrupt, good, corrupt], [15, 5, 16], size=(16, 16)))
    assert [(r["entry"], r["requested"], r["returned"]) for r in dec.GetLastReport()] == [(2, 16, None)]
    assert (batch[2] == 0).all() and batch[0].any() and batch[1].any()
    raising = nvc.PyNvGopDecoder(4, -1, True)
    with pytest.raises(RuntimeError, match="bad_corrupt.mp4"):
        raising.DecodeToTensor([corrupt, good], [16, 5], size=(16, 16))


# ---------------------------------------------------------------------------- GPU


def gpu_cases():
    return [(n, f, k) for n, f, k in CASES if n not in ("mjpeg_422.avi",)]


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_gpu_matches_cpu_and_reference(manifest, cpu_decoder, layout, dtype):
    require_nvdec()
    gpu = nvc.PyNvGopDecoder(8, 0, True)
    for name, frame_id, kwargs in gpu_cases():
        path = video_path(manifest, name)
        on_gpu = gpu.DecodeToTensor([path], [frame_id], layout=layout, dtype=dtype, **kwargs)
        assert on_gpu.device == "cuda:0" and on_gpu.__dlpack_device__() == (2, 0)
        got = host_values(on_gpu)
        check_against(as_hwc(got, layout)[0], reference(path, frame_id, dtype=dtype, **kwargs), dtype)
        cpu = host_values(cpu_decoder.DecodeToTensor([path], [frame_id], layout=layout, dtype=dtype, **kwargs))
        if dtype == "uint8":
            assert np.abs(got - cpu).max() <= 1, name
        else:
            check_against(got, cpu, dtype)


def test_gpu_identity_equals_rgb_frames_including_fallback(manifest):
    require_nvdec()
    torch = torch_or_none()
    gpu = nvc.PyNvGopDecoder(8, 0, True)
    paths = [video_path(manifest, n) for n in ("h264_gop30.mp4", "h264_444.mp4", "h264_gop30.mp4")]
    batch = gpu.DecodeToTensor(paths, [3, 3, 40], size=None, crop=(0, 0, 64, 64))
    rgb = [torch.from_dlpack(f) for f in gpu.DecodeN12ToRGB(paths, [3, 3, 40])]
    got = torch.from_dlpack(batch)
    for i in range(3):
        assert torch.equal(got[i].permute(1, 2, 0), rgb[i][:64, :64])  # 4:4:4 falls back to the CPU decoder


def test_gpu_out_and_stream(manifest):
    require_nvdec()
    torch = torch_or_none()
    gpu = nvc.PyNvGopDecoder(8, 0, True)
    path = video_path(manifest, "h264_gop30.mp4")
    want = torch.from_dlpack(gpu.DecodeToTensor([path] * 3, [1, 2, 3], size=(48, 64), dtype="float16")).clone()
    out = torch.full((5, 3, 48, 64), 3.0, dtype=torch.float16, device="cuda")
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        result = gpu.DecodeToTensor([path] * 3, [1, 2, 3], dtype="float16", out=out[1:4], stream=stream)
        doubled = out[1:4] * 2  # ordered after the decode's writes on the same stream
    stream.synchronize()
    assert result.data_ptr() == out[1:4].data_ptr()
    assert torch.equal(out[1:4], want) and torch.equal(doubled, want * 2)
    assert (out[0] == 3).all() and (out[4] == 3).all()
    # A returned batch written on a stream, read on another: DLPack orders them.
    batch = gpu.DecodeToTensor([path] * 3, [1, 2, 3], size=(48, 64), dtype="float16", stream=stream.cuda_stream)
    assert torch.equal(torch.from_dlpack(batch), want)
    with pytest.raises(ValueError, match="out is in host memory, but this decoder writes batches to memory of CUDA device 0"):
        gpu.DecodeToTensor([path], [1], out=torch.zeros(1, 3, 8, 8, dtype=torch.uint8))
    bf = torch.zeros(3, 48, 64, 3, dtype=torch.bfloat16, device="cuda")  # CAI cannot say bfloat16: DLPack is used
    gpu.DecodeToTensor([path] * 3, [1, 2, 3], dtype="bfloat16", layout="NHWC", out=bf)
    assert bf.abs().sum() > 0


def test_gpu_sample_reader_and_bundle(manifest):
    require_nvdec()
    torch = torch_or_none()
    gpu = nvc.PyNvGopDecoder(8, 0, True)
    a = video_path(manifest, "h264_gop30.mp4")
    b = video_path(manifest, "hevc_10bit.mkv")
    direct = torch.from_dlpack(gpu.DecodeToTensor([a, b], [3, 4], size=(48, 64), dtype="float32"))
    bundle, _, _ = gpu.GetGOP([a, b], [3, 4])
    from_gop = torch.from_dlpack(gpu.DecodeFromGOPToTensor(bundle, [a, b], [3, 4], size=(48, 64), dtype="float32"))
    assert torch.equal(direct, from_gop)
    reader = nvc.PyNvSampleReader(1, 2, 0, True)
    batch = torch.from_dlpack(reader.DecodeBatchToTensor([a, b], [[3], [4]], size=(48, 64), dtype="float32"))
    assert batch.shape == (2, 1, 3, 48, 64) and torch.equal(batch[:, 0], direct)
