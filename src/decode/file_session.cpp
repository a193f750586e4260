#include "decode/file_session.hpp"

#include <algorithm>
#include <unordered_set>

#include "odvd/error.hpp"

namespace odvd {
namespace {

std::string describe_ids(const std::vector<int>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size() && i < 8; ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  if (ids.size() > 8) s += ", ...";
  return s;
}

}  // namespace

FileSession::FileSession(std::shared_ptr<const VideoIndex> index, const BackendFactory& make_backend)
    : index_(index), reader_(std::move(index)) {
  // Packets reach the backend as Annex-B; give it matching extradata when the container
  // stored avcC/hvcC.
  const std::vector<uint8_t> no_override;
  const bool convert = !index_->nal_layout.annex_b;
  backend_ = make_backend(*index_, convert ? reader_.parameter_sets() : no_override);
}

void FileSession::decode_gop(int gop, const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out) {
  const FrameIndex& frames = index_->frames;
  std::unordered_set<int64_t> wanted_pts;
  for (int id : frame_ids) wanted_pts.insert(frames.packet(frames.packet_of_frame(id)).pts);
  std::unordered_set<int64_t> output_pts;  // every picture the decoder put out, wanted or not
  backend_->set_output_filter([&wanted_pts, &output_pts](int64_t pts) {
    output_pts.insert(pts);
    return wanted_pts.count(pts) != 0;
  });
  struct FilterReset {  // the filter refers to this frame's locals
    DecoderBackend& backend;
    ~FilterReset() { backend.set_output_filter(nullptr); }
  } filter_reset{*backend_};
  const std::vector<int> to_decode = frames.packets_to_decode(gop, frame_ids);
  try {
    std::vector<EncodedPacket> packets = reader_.read(to_decode);
    backend_->reset();
    run_backend(packets, out);
  } catch (const MediaError& e) {
    backend_->reset();
    throw MediaError(std::string(e.what()) + " (while decoding frame(s) " + describe_ids(frame_ids) + ")");
  }
  reject_frames_after_damage(gop, to_decode, output_pts, frame_ids, out);
  for (int id : frame_ids) {
    if (out.count(id) != 0) continue;
    const std::string cause = backend_->last_error();
    throw MediaError("'" + index_->path + "': the decoder did not produce frame " + std::to_string(id) +
                     " (the file is corrupt" + (cause.empty() ? "" : ": " + cause) + ")");
  }
}

// Note [Damage propagates]: a picture decoded after a damaged or lost one may reference
// it, and decoders conceal such damage (libavcodec's H.264 decoder outputs a copy of
// the previous picture under the lost one's timestamp), so a plausible-looking wrong
// frame could be returned. Damage starts at the first packet whose picture the decoder
// found damaged, at the first packet an unpinned decoder error may belong to, or at
// the first frame whose picture never came out; no frame decoded from there on is
// returned. One exception: the leading pictures of the GOP's key (open GOP; they
// display before it and belong to the previous GOP) are decoded without the previous
// GOP's pictures they reference, so decoders complain about them or drop them; no
// picture of this GOP references them (HEVC RASL/RADL rules; H.264 recovery points).
void FileSession::reject_frames_after_damage(int gop, const std::vector<int>& decoded,
                                             const std::unordered_set<int64_t>& output_pts,
                                             const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out) {
  const FrameIndex& frames = index_->frames;
  const int32_t key_display_pos = frames.packet(frames.gop(gop).key_packet).display_pos;
  auto leads_key = [&](int32_t d) { return frames.packet(d).display_pos < key_display_pos; };
  int32_t damaged_from = backend_->damaged_from();
  for (int32_t d : backend_->damaged_packets()) {
    if (d >= 0 && d < frames.packet_count() && !leads_key(d)) damaged_from = std::min(damaged_from, d);
  }
  for (int d : decoded) {
    const IndexedPacket& p = frames.packet(d);
    // Frames of other GOPs (leading pictures of the key, the next key decoded for this
    // GOP's last leading pictures) need not come out: decoders may drop the former.
    if (p.frame_id >= 0 && p.gop == gop && output_pts.count(p.pts) == 0)
      damaged_from = std::min(damaged_from, static_cast<int32_t>(d));
  }
  if (damaged_from == DecoderBackend::kNoDamage) return;
  for (int id : frame_ids) {
    if (frames.packet_of_frame(id) < damaged_from) continue;
    out.erase(id);
    const std::string cause = backend_->last_error();
    throw MediaError(quoted(index_->path) + ": frame " + std::to_string(id) +
                     " cannot be decoded correctly: a picture it may depend on (packet " +
                     std::to_string(damaged_from) + " in decode order) is damaged (the file is corrupt" +
                     (cause.empty() ? "" : ": " + cause) + ")");
  }
}

void FileSession::run_backend(const std::vector<EncodedPacket>& packets, std::map<int, VideoFrame>& out) {
  const FrameIndex& frames = index_->frames;
  VideoFrame frame;
  auto collect = [&] {
    while (backend_->receive(frame)) {
      const int d = frames.packet_of_pts(frame.pts);
      if (d < 0 || frames.packet(d).frame_id < 0) continue;
      frame.color = index_->stream.color;
      out[frames.packet(d).frame_id] = std::move(frame);
    }
  };
  for (const EncodedPacket& packet : packets) {
    backend_->send(packet);
    collect();
  }
  backend_->send_end_of_stream();
  collect();
}

}  // namespace odvd
