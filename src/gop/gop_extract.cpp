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

// Note [A record reads its GOP after a seek]: in a damaged MPEG-TS stream the demuxer can cut
// a packet differently when it reads on from the GOP in front than after a seek (found by
// the video fuzzer: HEVC with lost TS packets whose key packets read a byte longer after a
// seek and then decode to other pixels, no complaint either way). In valid streams the
// two can differ too, harmlessly (hevc_bframes.ts reads its keys a byte apart, bit-exact
// both ways). The file path reads each GOP of a random-access call after a seek on a
// session of its own (Note [GOP lanes]), so a record whose GOP was read on from an earlier
// extraction could decode differently from the same frame read from the file. So every
// extraction after the first seeks: a record depends on the file and its GOP only, not on
// what was extracted before (the demuxer stays open; a seek costs far less than a read).
GopRecord GopExtractor::extract(int gop) {
  if (extracted_) reader_.forget_position();
  extracted_ = true;
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
