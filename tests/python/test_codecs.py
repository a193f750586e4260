"""The codec table (odvd/codecs.hpp): one list of codecs for the library, the Python
package (`Codec`), bundles and the CLI. Checked against what ffmpeg says about every
test video, and against NVIDIA's numbers (the C++ side checks them against nvcuvid's
headers at compile time). FFmpeg's AVCodecID is this build's FFmpeg's: it changes between
versions."""

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


def test_numbers_are_nvidias():
    by_name = {e["name"]: e for e in nvc._odvd.codec_table()}
    # cudaVideoCodec (nvcuvid.h); AVCodecID is this FFmpeg's (AV1: 226 in FFmpeg 5.1, 225 in 7.1)
    assert [by_name[n]["codec"] for n in ("mpeg1", "mpeg2", "mpeg4", "vc1", "h264", "mjpeg", "hevc", "vp8", "vp9",
                                          "av1")] == [0, 1, 2, 3, 4, 5, 8, 9, 10, 11]
    assert (by_name["h264"]["av_codec_id"], by_name["hevc"]["av_codec_id"]) == (27, 173)  # unchanged since FFmpeg 2
    assert by_name["av1"]["av_codec_id"] in (225, 226)
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
