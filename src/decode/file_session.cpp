#include "decode/file_session.hpp"

#include <algorithm>
#include <unordered_set>

#include "cpu/cpu_backend.hpp"
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

FileSession::FileSession(std::shared_ptr<const VideoIndex> index, int decoder_threads)
    : index_(index), reader_(std::move(index)) {
  // Packets reach the backend as Annex-B; give it matching extradata when the container
  // stored avcC/hvcC.
  const std::vector<uint8_t> no_override;
  const bool convert = !index_->nal_layout.annex_b;
  backend_ = std::make_unique<CpuBackend>(index_->codecpar.get(), convert ? reader_.parameter_sets() : no_override,
                                          decoder_threads, index_->path);
}

void FileSession::decode_gop(int gop, const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out) {
  const FrameIndex& frames = index_->frames;
  std::unordered_set<int64_t> wanted_pts;
  for (int id : frame_ids) wanted_pts.insert(frames.packet(frames.packet_of_frame(id)).pts);
  backend_->set_output_filter([&wanted_pts](int64_t pts) { return wanted_pts.count(pts) != 0; });
  struct FilterReset {  // the filter refers to this frame's locals
    DecoderBackend& backend;
    ~FilterReset() { backend.set_output_filter(nullptr); }
  } filter_reset{*backend_};
  try {
    std::vector<EncodedPacket> packets = reader_.read(frames.packets_to_decode(gop, frame_ids));
    backend_->reset();
    run_backend(packets, out);
  } catch (const MediaError& e) {
    backend_->reset();
    throw MediaError(std::string(e.what()) + " (while decoding frame(s) " + describe_ids(frame_ids) + ")");
  }
  for (int id : frame_ids) {
    if (out.count(id) != 0) continue;
    const std::string cause = backend_->last_error();
    throw MediaError("'" + index_->path + "': the decoder did not produce frame " + std::to_string(id) +
                     " (the file is corrupt" + (cause.empty() ? "" : ": " + cause) + ")");
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
