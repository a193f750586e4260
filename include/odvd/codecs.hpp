// The codec table: every codec the library names, with its numbers in each vocabulary
// it meets — our Codec (NVIDIA's cudaVideoCodec numbering, also used in GOP bundles),
// FFmpeg's AVCodecID, and whether our NVDEC path takes it. The one place these facts
// live: the demuxer, GOP records, legacy bundles, the NVDEC back end, the bindings,
// the Python package and the CLI all read it (the Python side through
// `_odvd.codec_table()`).
//
// AVCodecID values are part of FFmpeg's stable ABI; they are written here as numbers so
// that layers which do not link FFmpeg (the bundle format) can use the table, and the
// FFmpeg layer checks each against FFmpeg's headers at compile time (demuxer.cpp).
#pragma once

#include <cstddef>

#include "odvd/types.hpp"

namespace odvd {

struct CodecEntry {
  Codec codec;          // also its cudaVideoCodec number (checked in nvdec_decoder.cpp)
  const char* name;     // our name (codec_name(), bundles' JSON, GetIndexInfo, the CLI)
  const char* display;  // for people, in messages
  int av_codec_id;      // FFmpeg's AVCodecID
  bool nvdec;           // our NVDEC back end decodes it (where the GPU's caps allow)
};

inline constexpr CodecEntry kCodecTable[] = {
    {Codec::kMpeg1, "mpeg1", "MPEG-1", 1, false},
    {Codec::kMpeg2, "mpeg2", "MPEG-2", 2, true},
    {Codec::kMpeg4, "mpeg4", "MPEG-4 Part 2", 12, false},
    {Codec::kVc1, "vc1", "VC-1", 70, false},
    {Codec::kH264, "h264", "H.264", 27, true},
    {Codec::kJpeg, "mjpeg", "MJPEG", 7, false},
    {Codec::kHevc, "hevc", "HEVC", 173, true},
    {Codec::kVp8, "vp8", "VP8", 139, true},
    {Codec::kVp9, "vp9", "VP9", 167, true},
    {Codec::kAv1, "av1", "AV1", 226, true},
};

// The entry of `codec`, or null (kUnknown, or a number that is no codec of ours).
constexpr const CodecEntry* codec_entry(Codec codec) {
  for (const CodecEntry& e : kCodecTable) {
    if (e.codec == codec) return &e;
  }
  return nullptr;
}

// The entry whose FFmpeg AVCodecID is `av_codec_id`, or null.
constexpr const CodecEntry* codec_entry_by_av_id(int av_codec_id) {
  for (const CodecEntry& e : kCodecTable) {
    if (e.av_codec_id == av_codec_id) return &e;
  }
  return nullptr;
}

// FFmpeg's AVCodecID of `codec`, 0 (AV_CODEC_ID_NONE) when it has none.
constexpr int av_codec_id_of(Codec codec) {
  const CodecEntry* e = codec_entry(codec);
  return e != nullptr ? e->av_codec_id : 0;
}

}  // namespace odvd
