#include "decode/record_decode.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_set>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "ffmpeg/stream_probe.hpp"
#include "ffmpeg/video_index.hpp"
#include "odvd/error.hpp"

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

av::CodecParametersPtr codec_parameters_for(const GopRecord& record) {
  av::CodecParametersPtr par = av::make_codec_parameters();
  par->codec_type = AVMEDIA_TYPE_VIDEO;
  par->codec_id = record.av_codec_id != 0 ? static_cast<AVCodecID>(record.av_codec_id) : av_codec_of(record.codec);
  par->width = record.width;
  par->height = record.height;
  par->format = record.av_pixel_format;
  par->color_range = static_cast<AVColorRange>(static_cast<int>(record.color.range));
  par->color_space = static_cast<AVColorSpace>(static_cast<int>(record.color.matrix));
  return par;
}

std::string backend_key(const GopRecord& r) {
  std::string key = std::to_string(static_cast<int>(r.codec)) + "/" + std::to_string(r.av_codec_id) + "/" +
                    std::to_string(r.av_pixel_format) + "/" + std::to_string(r.width) + "x" + std::to_string(r.height) +
                    "/" + std::to_string(r.bit_depth) + "/" + std::to_string(r.chroma_format) + "/";
  key.append(r.parameter_sets.begin(), r.parameter_sets.end());
  return key;
}

GopRun run_for_record(const GopRecord& record, const std::string& what, const std::vector<int>& frame_ids) {
  const std::unordered_set<int> wanted(frame_ids.begin(), frame_ids.end());
  size_t end = 1;
  for (size_t i = 0; i < record.packets.size(); ++i) {
    if (wanted.count(record.packets[i].frame_id) != 0) end = std::max(end, i + 1);
  }
  GopRun run;
  run.what = what;
  run.frame_ids = frame_ids;
  run.color = record.color;
  const int64_t key_pts = record.packets.front().pts;
  const int32_t last_frame = record.first_frame_id + record.frame_count;
  for (size_t i = 0; i < end; ++i) {
    const BundlePacket& p = record.packets[i];
    const bool in_gop = p.frame_id >= record.first_frame_id && p.frame_id < last_frame;
    if (p.skippable && wanted.count(p.frame_id) == 0) continue;  // non-reference, not wanted
    EncodedPacket packet;
    packet.data = p.data;
    packet.pts = p.pts;
    packet.dts = p.dts;
    packet.decode_index = static_cast<int32_t>(i);
    packet.key = p.key;
    run.packets.push_back(std::move(packet));
    run.roles.push_back(PacketRole{static_cast<int32_t>(i), p.pts, in_gop ? p.frame_id : -1, p.pts < key_pts});
  }
  return run;
}

}  // namespace odvd
