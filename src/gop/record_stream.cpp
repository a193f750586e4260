#include "gop/record_stream.hpp"

#include <vector>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "ffmpeg/codec_ids.hpp"
#include "ffmpeg/stream_probe.hpp"
#include "ffmpeg/video_index.hpp"
#include "odvd/codecs.hpp"

namespace odvd {

void complete_stream_description(GopRecord& record) {
  // A named codec decodes by its Codec: the AVCodecID its writer stored is that FFmpeg's
  // number, which another FFmpeg may give another codec (odvd/codecs.hpp).
  if (codec_entry(record.codec) != nullptr) record.av_codec_id = av_codec_id_of(record.codec);
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
