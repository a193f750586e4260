"""Every public type says what it is: a docstring, and a repr that names its state instead
of `<... object at 0x...>` (issue #18, the first ten minutes)."""

from __future__ import annotations

import re

import pytest

import on_demand_video_decoder as nvc
from conftest import video_path

ADDRESS = re.compile(r"object at 0x[0-9a-f]+")


def test_every_public_name_has_a_docstring():
    missing = [name for name in nvc.__all__ if not (getattr(nvc, name).__doc__ or "").strip()]
    assert missing == []


def test_reprs_name_their_state(manifest, tmp_path):
    path = video_path(manifest, "h264_gop30.mp4")
    dec = nvc.CreateGopDecoder(2, iGpu=-1, suppressNoColorRangeWarning=True)
    frame = dec.Decode([path], [1])[0]
    rgb = dec.DecodeN12ToRGB([path], [1])[0]
    reader = nvc.CreateSampleReader(1, 2, iGpu=-1, suppressNoColorRangeWarning=True)
    objects = {
        "decoder": dec, "plain decoder": nvc.PyNvGopDecoder(3, -1, True, fallback="raise"), "frame": frame,
        "plane": frame.cuda()[0], "rgb": rgb, "reader": reader, "prefetcher": nvc.Prefetcher(reader, []),
        "stream info": nvc.GetFastInitInfo([path])[0],
    }
    for what, obj in objects.items():
        text = repr(obj)
        assert not ADDRESS.search(text), f"{what}: {text}"
    plain = repr(objects["plain decoder"])
    assert plain.startswith("<PyNvGopDecoder maxfiles=3 iGpu=-1 (CPU) on_error='raise' worker_threads=")
    assert plain.endswith(" parallel_calls=1 session_cache_mib=2048>") and "decoder_threads=" in plain
    assert repr(frame) == "<DecodedFrameExt NV12 192x108 pts=512 decoded by cpu on cpu>"
    assert repr(rgb) == "<RGBFrame RGB 192x108 pts=512 decoded by cpu on cpu>"
    assert repr(frame.cuda()[1]) == "<CAIMemoryView (54, 96, 2) uint8 on cpu>"
    assert "num_of_set=1 num_of_file=2 iGpu=-1 (CPU)" in repr(reader)
    assert "GopCache 0/" in repr(dec)


@pytest.mark.parametrize("name", ["Prefetcher", "GopStore", "CachedGopDecoder", "PyNvGopDecoder",
                                  "PyNvSampleReader"])
def test_classes_document_themselves(name):
    assert len((getattr(nvc, name).__doc__ or "").strip()) > 20
