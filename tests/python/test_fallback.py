"""Per-stream CPU fallback of GPU decoders (fallback="cpu", the default).

A GPU decoder decodes each stream its NVDEC refuses (codec, bit depth, chroma format or
size: AV1 or H.264 10-bit on Hopper, H.264 4:4:4, 4:2:2, MPEG-4 Part 2, MJPEG, HEVC below
144x144) with libavcodec, and uploads the frames: one call returns one kind of frame, on
the GPU, and `frame.backend` says which engine decoded each. Oracle: ffmpeg's framemd5
of every test video (the CPU back end is checked against it in test_decode.py) and the
CPU back end's RGB. The argument checks and the CPU frames' `backend` run everywhere; the
rest needs a CUDA device and torch (they skip, saying so, elsewhere). The C++ side
(FallbackDevice with a device that refuses streams) is tested in
tests/cpp/decode_layer_test.cpp on every machine.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
import pytest

import on_demand_video_decoder as nvc
from conftest import (cpu_decoder_missing, dlpack_device, frame_watermark, nvdec_supports, planar_yuv_bytes,
                      read_framemd5, require_nvdec, to_numpy, video_path)
import generate

GPU = 0
SUPPORTED = ["h264_gop30.mp4", "hevc_bframes.ts", "hevc_10bit.mkv"]


def md5_of(frame) -> str:
    return hashlib.md5(planar_yuv_bytes(frame)).hexdigest()


def framemd5(manifest: dict, name: str) -> list[str]:
    return read_framemd5(generate.DEFAULT_OUT / manifest["videos"][name]["framemd5"])


# ----------------------------------------------------------------------------- everywhere

MAKERS = {
    "PyNvGopDecoder": lambda v: nvc.PyNvGopDecoder(1, -1, True, fallback=v),
    "CreateGopDecoder": lambda v: nvc.CreateGopDecoder(1, iGpu=-1, fallback=v),
    "PyNvSampleReader": lambda v: nvc.PyNvSampleReader(1, 1, -1, fallback=v),
    "CreateSampleReader": lambda v: nvc.CreateSampleReader(1, 1, iGpu=-1, fallback=v),
}


@pytest.mark.parametrize("maker", list(MAKERS))
def test_fallback_argument_is_checked(maker):
    make = MAKERS[maker]
    make("cpu")
    make("raise")
    with pytest.raises(ValueError, match=r'fallback must be "cpu" or "raise" \(got "gpu"\)'):
        make("gpu")
    with pytest.raises(TypeError, match="fallback must be a str"):
        make(1)


def test_fallback_is_keyword_only():
    with pytest.raises(TypeError):
        nvc.PyNvGopDecoder(1, -1, True, 0, 0, 1, "raise", -1, None, "cpu")


def test_cpu_frames_say_the_cpu_decoded_them(manifest):
    path = video_path(manifest, "h264_gop30.mp4")
    dec = nvc.PyNvGopDecoder(2, -1, True)
    assert [f.backend for f in dec.Decode([path, path], [3, 3])] == ["cpu", "cpu"]
    assert dec.DecodeN12ToRGB([path], [4])[0].backend == "cpu"
    bundle, _, _ = nvc.CreateGopDecoder(1, iGpu=-1).GetGOP([path], [40])
    assert dec.DecodeFromGOP(bundle, [path], [40])[0].backend == "cpu"
    assert nvc.CreateSampleReader(1, 1, iGpu=-1, suppressNoColorRangeWarning=True).Decode([path], [0])[0].backend == "cpu"


# ----------------------------------------------------------------------------- on a GPU

@pytest.fixture(scope="module")
def torch():
    require_nvdec()
    import torch
    return torch


@pytest.fixture(scope="module")
def refused_names(torch, manifest) -> list[str]:
    """Test videos this GPU's NVDEC refuses and this build's CPU back end decodes."""
    names = []
    for case in generate.CASES:
        entry = manifest["videos"][case.file]
        if nvdec_supports(entry) or cpu_decoder_missing(manifest, case.file):
            continue  # e.g. AV1: the GPU machine's static FFmpeg has no software AV1 decoder
        names.append(case.file)
    assert len(names) >= 5, names  # 4:2:2 (3), H.264 4:4:4, MPEG-4, MJPEG, tiny HEVC at least
    return names


def fallback_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "decodes on the CPU" in str(w.message)]


def test_mixed_call_decodes_every_stream_exactly(torch, manifest, refused_names):
    names = refused_names + SUPPORTED
    paths, ids, expect = [], [], []
    for k, name in enumerate(names):  # two frames of every file, the files interleaved
        n = manifest["videos"][name]["frame_count"]
        for fid in (k % n, n - 1 - k % n):
            paths.append(video_path(manifest, name))
            ids.append(fid)
            expect.append(name)
    order = list(range(len(paths)))
    order = order[0::2] + order[1::2]
    paths, ids, expect = [paths[i] for i in order], [ids[i] for i in order], [expect[i] for i in order]
    dec = nvc.PyNvGopDecoder(maxfiles=len(paths), iGpu=GPU, suppressNoColorRangeWarning=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = dec.Decode(paths, ids)
    for name, fid, frame in zip(expect, ids, frames):
        assert dlpack_device(frame) == (2, GPU), name
        assert frame.backend == ("nvdec" if name in SUPPORTED else "cpu"), name
        assert frame_watermark(frame) == manifest["videos"][name]["watermarks"][fid], f"{name} frame {fid}"
        assert md5_of(frame) == framemd5(manifest, name)[fid], f"{name} frame {fid}"
    # One warning per refused file, naming it and why; none for the others.
    said = fallback_warnings(caught)
    assert len(said) == len(refused_names), said
    for name in refused_names:
        assert sum(video_path(manifest, name) in m for m in said) == 1, (name, said)
    # Warned once per file for the decoder's life.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dec.Decode(paths[:4], ids[:4])
    assert fallback_warnings(caught) == []


@pytest.mark.parametrize("as_bgr", [False, True], ids=["rgb", "bgr"])
def test_mixed_rgb_equals_the_cpu_back_ends(torch, manifest, refused_names, as_bgr):
    names = refused_names + SUPPORTED
    paths = [video_path(manifest, n) for n in names]
    ids = [manifest["videos"][n]["frame_count"] // 2 for n in names]
    gpu = nvc.PyNvGopDecoder(len(paths), GPU, True).DecodeN12ToRGB(paths, ids, as_bgr=as_bgr)
    cpu = nvc.PyNvGopDecoder(len(paths), -1, True).DecodeN12ToRGB(paths, ids, as_bgr=as_bgr)
    for name, g, c in zip(names, gpu, cpu):
        assert dlpack_device(g) == (2, GPU), name
        assert g.backend == ("nvdec" if name in SUPPORTED else "cpu"), name
        assert g.isBGR == as_bgr and g.shape == c.shape, name
        assert np.array_equal(to_numpy(g), to_numpy(c)), name


def test_sample_reader_falls_back(torch, manifest, refused_names):
    names = refused_names[:3] + SUPPORTED[:1]
    paths = [video_path(manifest, n) for n in names]
    reader = nvc.CreateSampleReader(num_of_set=1, num_of_file=len(paths), iGpu=GPU, suppressNoColorRangeWarning=True)
    for fid in range(6):  # reading forward
        for name, frame in zip(names, reader.Decode(paths, [fid] * len(paths))):
            assert dlpack_device(frame) == (2, GPU), name
            assert frame.backend == ("nvdec" if name in SUPPORTED else "cpu"), name
            assert md5_of(frame) == framemd5(manifest, name)[fid], f"{name} frame {fid}"


def test_bundle_records_fall_back(torch, manifest, refused_names):
    name = refused_names[0]
    path = video_path(manifest, name)
    last = manifest["videos"][name]["frame_count"] - 1
    dec = nvc.CreateGopDecoder(2, iGpu=GPU, suppressNoColorRangeWarning=True)
    bundle, _, _ = dec.GetGOP([path, path], [1, last])
    for fid, frame in zip([1, last], dec.DecodeFromGOP(bundle, [path, path], [1, last])):
        assert dlpack_device(frame) == (2, GPU) and frame.backend == "cpu"
        assert md5_of(frame) == framemd5(manifest, name)[fid], f"{name} frame {fid}"


def test_fallback_raise_refuses(torch, manifest, refused_names):
    path = video_path(manifest, refused_names[0])
    for make in (lambda: nvc.PyNvGopDecoder(1, GPU, True, fallback="raise").Decode([path], [0]),
                 lambda: nvc.CreateSampleReader(1, 1, iGpu=GPU, fallback="raise").Decode([path], [0])):
        with pytest.raises(RuntimeError) as info:
            make()
        message = str(info.value)
        assert path in message and "NVDEC" in message and "fallback='cpu'" in message, message
