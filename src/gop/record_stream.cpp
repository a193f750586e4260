#include "gop/record_stream.hpp"

#include <vector>

extern "C" {
#include <libavcodec/codec_id.h>
#include <libavutil/pixdesc.h>
}

#include "ffmpeg/stream_probe.hpp"
#include "ffmpeg/video_index.hpp"

namespace odvd {
namespace {

AVCodecID av_codec_of(Codec codec) {
  switch (codec) {
    case Codec::kH264: return AV_CODEC_ID_H264;
    case Codec::kHevc: return AV_CODEC_ID_HEVC;
    case Codec::kAv1: return AV_CODEC_ID_AV1;
    case Codec::kVp9: return AV_CODEC_ID_VP9;
    case Codec::kVp8: return AV_CODEC_ID_VP8;
    case Codec::kMpeg2: return AV_CODEC_ID_MPEG2VIDEO;
    case Codec::kMpeg4: return AV_CODEC_ID_MPEG4;
    case Codec::kMpeg1: return AV_CODEC_ID_MPEG1VIDEO;
    case Codec::kVc1: return AV_CODEC_ID_VC1;
    case Codec::kJpeg: return AV_CODEC_ID_MJPEG;
    default: return AV_CODEC_ID_NONE;
  }
}

}  // namespace

void complete_stream_description(GopRecord& record) {
  if (record.av_codec_id == 0) record.av_codec_id = av_codec_of(record.codec);
  if (record.av_pixel_format >= 0 || record.packets.empty()) return;
  std::vector<uint8_t> head = record.parameter_sets;
  const std::vector<uint8_t>& first = record.packets.front().data;
  head.insert(head.end(), first.begin(), first.end());
  const ProbedStream probed = probe_elementary_stream(record.av_codec_id, head.data(), head.size());
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(probed.av_pixel_format));
  if (desc == nullptr) return;  // keep the defaults (8-bit 4:2:0); the decoder will tell
  record.av_pixel_format = probed.av_pixel_format;
  record.bit_depth = desc->comp[0].depth;
  record.chroma_format = chroma_format_of(probed.av_pixel_format);
}

}  // namespace odvd
