#include "ffmpeg/codec_ids.hpp"

#include <iterator>

extern "C" {
#include <libavcodec/codec_id.h>
}

#include "odvd/codecs.hpp"

namespace odvd {

int av_codec_id_of(Codec codec) {
  switch (codec) {
    case Codec::kMpeg1: return AV_CODEC_ID_MPEG1VIDEO;
    case Codec::kMpeg2: return AV_CODEC_ID_MPEG2VIDEO;
    case Codec::kMpeg4: return AV_CODEC_ID_MPEG4;
    case Codec::kVc1: return AV_CODEC_ID_VC1;
    case Codec::kH264: return AV_CODEC_ID_H264;
    case Codec::kJpeg: return AV_CODEC_ID_MJPEG;
    case Codec::kHevc: return AV_CODEC_ID_HEVC;
    case Codec::kVp8: return AV_CODEC_ID_VP8;
    case Codec::kVp9: return AV_CODEC_ID_VP9;
    case Codec::kAv1: return AV_CODEC_ID_AV1;
    case Codec::kUnknown: break;
  }
  return AV_CODEC_ID_NONE;
}
static_assert(std::size(kCodecTable) == 10, "a codec added to the table needs its AVCodecID above");

Codec codec_from_av(int av_codec_id) {
  for (const CodecEntry& e : kCodecTable) {
    if (av_codec_id_of(e.codec) == av_codec_id) return e.codec;
  }
  return Codec::kUnknown;
}

}  // namespace odvd
