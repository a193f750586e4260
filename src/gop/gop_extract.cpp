#include "gop/gop_extract.hpp"

#include <numeric>

#include "gop/bundle_format.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

// The stream half of a record: what a decoder needs to be configured.
void describe_stream(const VideoIndex& index, GopRecord& r) {
  const StreamInfo& s = index.stream;
  r.codec = s.codec;
  r.av_codec_id = s.av_codec_id;
  r.av_pixel_format = s.av_pixel_format;
  r.width = s.width;
  r.height = s.height;
  r.bit_depth = s.bit_depth;
  r.chroma_format = chroma_format_of(s.av_pixel_format);
  r.color = s.color;
  r.time_base_num = s.time_base_num;
  r.time_base_den = s.time_base_den;
  r.source = index.path;
  r.video_stream = index.video_stream_number;
}

}  // namespace

// A record depends on its file and GOP only: read after a seek (Note [A GOP is read after a
// seek] in gop_reader.cpp), whatever was extracted before.
GopRecord GopExtractor::extract(int gop) {
  reader_.seek_before_next_read();
  const FrameIndex& frames = index_->frames;
  ODVD_CHECK(gop >= 0 && gop < frames.gop_count());
  const GopInfo& info = frames.gop(gop);
  GopRecord record;
  describe_stream(*index_, record);
  record.first_frame_id = info.first_frame_id;
  record.frame_count = info.frame_count;
  record.parameter_sets = reader_.parameter_sets();
  std::vector<int> all(info.frame_count);
  std::iota(all.begin(), all.end(), info.first_frame_id);
  std::vector<EncodedPacket> packets = reader_.read(frames.packets_to_decode(gop, all));
  record.packets.reserve(packets.size());
  for (EncodedPacket& p : packets) {
    const IndexedPacket& meta = frames.packet(p.decode_index);
    BundlePacket out;
    out.pts = p.pts;
    out.dts = p.dts;
    out.frame_id = meta.gop == gop ? meta.frame_id : -1;
    out.key = p.key;
    out.skippable = meta.skippable;
    out.data = std::move(p.data);
    record.packets.push_back(std::move(out));
  }
  // A damaged file can index into a GOP its packets cannot present (found by the video
  // fuzzer: a raw HEVC stream whose GOP claimed 23 frames from 16 packets). Such a record
  // could be neither written to a bundle nor decoded: refused here as the file's fault,
  // with the rule it breaks, rather than later as a bundle-writing error.
  const std::string problem = find_record_problem(record, BundleLimits{});
  if (!problem.empty()) {
    throw MediaError(quoted(index_->path) + ": GOP " + std::to_string(gop) + " (frames " +
                     std::to_string(info.first_frame_id) + ".." +
                     std::to_string(info.first_frame_id + info.frame_count - 1) + ") is damaged: " + problem);
  }
  return record;
}

}  // namespace odvd
