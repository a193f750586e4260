"""The codec table (odvd/codecs.hpp): one list of codecs for the library, the Python
package (`Codec`), bundles and the CLI. Checked against what ffmpeg says about every
test video, and against the numbers NVIDIA and FFmpeg define (the C++ side checks the
same numbers against their headers at compile time)."""

from __future__ import annotations

import on_demand_video_decoder as nvc
from on_demand_video_decoder import cli
from conftest import video_path
import generate

# ffmpeg's codec names (the manifest's) -> ours.
FFMPEG_TO_OURS = {"mpeg2video": "mpeg2"}


def test_table_is_one_to_one():
    table = nvc._odvd.codec_table()
    for key in ("codec", "name", "display", "av_codec_id"):
        values = [e[key] for e in table]
        assert len(set(values)) == len(values), key
    assert {e["name"]: e["codec"] for e in table} == {c.name: c.value for c in nvc.Codec}


def test_numbers_are_nvidias_and_ffmpegs():
    by_name = {e["name"]: e for e in nvc._odvd.codec_table()}
    # cudaVideoCodec (nvcuvid.h) and AVCodecID (libavcodec/codec_id.h)
    assert (by_name["h264"]["codec"], by_name["h264"]["av_codec_id"]) == (4, 27)
    assert (by_name["hevc"]["codec"], by_name["hevc"]["av_codec_id"]) == (8, 173)
    assert (by_name["av1"]["codec"], by_name["av1"]["av_codec_id"]) == (11, 226)
    assert (by_name["mpeg4"]["codec"], by_name["mpeg4"]["av_codec_id"]) == (2, 12)
    assert (by_name["mjpeg"]["codec"], by_name["mjpeg"]["av_codec_id"]) == (5, 7)
    assert [e["name"] for e in nvc._odvd.codec_table() if e["nvdec"]] == ["mpeg2", "h264", "hevc", "vp8", "vp9", "av1"]


def test_every_test_video_is_named_alike_everywhere(manifest):
    av_ids = {e["name"]: e["av_codec_id"] for e in nvc._odvd.codec_table()}
    for case in generate.CASES:
        entry = manifest["videos"][case.file]
        ours = FFMPEG_TO_OURS.get(entry["codec"], entry["codec"])
        info = nvc._odvd.GetIndexInfo(video_path(manifest, case.file))
        assert info["codec"] == ours, case.file
        assert cli.codec_name(av_ids[ours]) == ours, case.file
    assert cli.codec_name(196) == "codec #196"  # VVC: not a codec of ours
