"""Frame objects: zero-copy exports (buffer protocol, __array_interface__, DLPack) with
owned memory (SPEC §3)."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import video_path


@pytest.fixture(scope="module")
def frames(manifest):
    dec = nvc.PyNvGopDecoder(2, -1, True)
    rgb = dec.DecodeN12ToRGB([video_path(manifest, "h264_odd_size.mov")], [10])[0]
    yuv8 = dec.Decode([video_path(manifest, "h264_odd_size.mov")], [10])[0]
    yuv10 = dec.Decode([video_path(manifest, "hevc_10bit.mkv")], [10])[0]
    return rgb, yuv8, yuv10


def test_rgb_frame_exports_without_copy(frames):
    rgb = frames[0]
    assert rgb.shape == (362, 642, 3)
    assert rgb.stride == (642 * 3, 3, 1)
    via_buffer = np.asarray(memoryview(rgb))
    via_interface = np.asarray(rgb)
    assert via_buffer.ctypes.data == via_interface.ctypes.data == rgb.dataptr == rgb.data
    assert via_interface.shape == (362, 642, 3) and via_interface.flags.c_contiguous
    assert rgb.__dlpack_device__() == (1, 0)


def test_yuv_frame_geometry(frames):
    _, yuv8, yuv10 = frames
    assert yuv8.shape == (362 + 181, 642) and yuv8.strides == (642, 1)
    assert yuv8.framesize() == 642 * (362 + 181)
    y, uv = yuv8.cuda()
    assert y.shape == (362, 642, 1) and uv.shape == (181, 321, 2)
    assert np.asarray(y).ctypes.data == yuv8.GetPtrToPlane(0)
    assert np.asarray(uv).ctypes.data == yuv8.GetPtrToPlane(1)
    assert yuv10.dtype == "uint16" and yuv10.format == nvc.PixelFormat.P016
    assert yuv10.strides == (256 * 2, 2)
    assert np.asarray(yuv10).dtype == np.uint16
    assert yuv10.cuda()[1].strides == (512, 4, 2)
    with pytest.raises(ValueError, match="plane index 2"):
        yuv8.GetPtrToPlane(2)


def test_dlpack_capsule_keeps_memory_alive(manifest):
    dec = nvc.PyNvGopDecoder(1, -1, True)
    frame = dec.DecodeN12ToRGB([video_path(manifest, "h264_gop30.mp4")], [5])[0]
    expected = np.array(frame)
    arr = np.from_dlpack(frame)
    assert arr.ctypes.data == frame.dataptr
    del frame, dec
    gc.collect()
    assert np.array_equal(arr, expected)


def test_unconsumed_dlpack_capsule_is_freed(frames):
    capsule = frames[0].__dlpack__()
    assert type(capsule).__name__ == "PyCapsule"
    del capsule  # the destructor releases the tensor without a consumer
    gc.collect()


def test_torch_zero_copy(manifest):
    torch = pytest.importorskip("torch")
    dec = nvc.PyNvGopDecoder(2, -1, True)
    rgb, = dec.DecodeN12ToRGB([video_path(manifest, "h264_gop30.mp4")], [7])
    t = torch.from_dlpack(rgb)
    assert t.data_ptr() == rgb.dataptr and tuple(t.shape) == (108, 192, 3) and t.dtype == torch.uint8
    yuv, = dec.Decode([video_path(manifest, "h264_gop30.mp4")], [3])
    ty = torch.from_dlpack(yuv)
    assert ty.data_ptr() == yuv.GetPtrToPlane(0) and tuple(ty.shape) == (162, 192)


# numpy takes the buffer protocol first, so only reading __array_interface__ directly
# checks it (it once raised TypeError while np.asarray worked).
def test_array_interface_describes_the_buffer(frames):
    for frame in (*frames, *frames[1].cuda()):
        interface = frame.__array_interface__
        a = np.asarray(memoryview(frame))
        assert interface["version"] == 3
        assert interface["data"] == (a.ctypes.data, False)
        assert tuple(interface["shape"]) == a.shape
        assert interface["typestr"] == a.dtype.str
        strides = interface.get("strides")
        assert strides is None or tuple(strides) == a.strides


def test_cpu_frames_do_not_claim_to_be_on_a_gpu(frames):
    for frame in (*frames, *frames[1].cuda()):
        assert frame.__dlpack_device__() == (1, 0)
        with pytest.raises((AttributeError, TypeError, RuntimeError, ValueError)):
            frame.__cuda_array_interface__  # a host pointer must never pass for device memory
