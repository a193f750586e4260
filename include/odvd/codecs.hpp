// The codec table: every codec the library names — our Codec (NVIDIA's cudaVideoCodec
// numbering, also used in GOP bundles), its names, and whether our NVDEC path takes it.
// The one place these facts live: the demuxer, GOP records, legacy bundles, the NVDEC back
// end, the bindings, the Python package and the CLI all read it (the Python side through
// `_odvd.codec_table()`).
//
// FFmpeg's AVCodecID is not here: its numbers change between FFmpeg versions (AV1 is 226
// in FFmpeg 5.1 and 225 in 7.1), so the FFmpeg layer maps Codec to the AVCodecID of the
// FFmpeg it is built with (ffmpeg/codec_ids.hpp), and GOP records are decoded by their
// Codec, not by the AVCodecID their writer stored.
#pragma once

#include <cstddef>

#include "odvd/types.hpp"

namespace odvd {

struct CodecEntry {
  Codec codec;          // also its cudaVideoCodec number (checked in nvdec_decoder.cpp)
  const char* name;     // our name (codec_name(), bundles' JSON, GetIndexInfo, the CLI)
  const char* display;  // for people, in messages
  bool nvdec;           // our NVDEC back end decodes it (where the GPU's caps allow)
};

inline constexpr CodecEntry kCodecTable[] = {
    {Codec::kMpeg1, "mpeg1", "MPEG-1", false},
    {Codec::kMpeg2, "mpeg2", "MPEG-2", true},
    {Codec::kMpeg4, "mpeg4", "MPEG-4 Part 2", false},
    {Codec::kVc1, "vc1", "VC-1", false},
    {Codec::kH264, "h264", "H.264", true},
    {Codec::kJpeg, "mjpeg", "MJPEG", false},
    {Codec::kHevc, "hevc", "HEVC", true},
    {Codec::kVp8, "vp8", "VP8", true},
    {Codec::kVp9, "vp9", "VP9", true},
    {Codec::kAv1, "av1", "AV1", true},
};

// The entry of `codec`, or null (kUnknown, or a number that is no codec of ours).
constexpr const CodecEntry* codec_entry(Codec codec) {
  for (const CodecEntry& e : kCodecTable) {
    if (e.codec == codec) return &e;
  }
  return nullptr;
}

}  // namespace odvd
