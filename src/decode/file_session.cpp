#include "decode/file_session.hpp"

#include <algorithm>

#include "decode/stream_description.hpp"
#include "odvd/error.hpp"
#include "util/profile.hpp"

namespace odvd {

size_t decoded_frame_bytes(const StreamInfo& s) {
  const bool wide = s.bit_depth > 8;
  const int chroma = chroma_format_of(s.av_pixel_format);
  const PixelFormat format = chroma == 1   ? (wide ? PixelFormat::kP016 : PixelFormat::kNv12)
                             : chroma == 2 ? (wide ? PixelFormat::kP216 : PixelFormat::kNv16)
                                           : (wide ? PixelFormat::kYuv444P16 : PixelFormat::kYuv444);
  return frame_layout(format, s.width, s.height, s.bit_depth).byte_size();
}

size_t warm_session_bytes(const VideoIndex& index) {
  constexpr size_t kReferencePictures = 16;
  return kReferencePictures * decoded_frame_bytes(index.stream);
}

FileSession::FileSession(std::shared_ptr<const VideoIndex> index, Device& device, bool always_stream)
    : index_(index), reader_(std::move(index)), always_stream_(always_stream) {
  // Packets reach the backend as Annex-B; give it matching extradata when the container
  // stored avcC/hvcC.
  const bool convert = !index_->nal_layout.annex_b;
  backend_ = device.make_backend(describe_stream(index_, convert ? reader_.parameter_sets() : std::vector<uint8_t>()));
  stream_ = std::make_unique<GopStream>(*backend_, quoted(index_->path), index_->stream.color);
  keep_open_ = worth_keeping_open(index_->frames.frame_count(), index_->frames.gop_count());
}

// Note [Open random access]: a random-access call normally flushes the decoder when its
// frames are out, so a later call for a frame further into the same GOP must start again
// at the key. Leaving the stream open instead (sending packets on until the wanted
// pictures come out, as streaming does) costs the decoder's display delay — about two
// more pictures per call on NVDEC — and lets such a call continue (Note [Continuing a
// GOP]). With F frames in GOPs of L, a uniformly random next frame is in the same GOP
// and later with probability L/(2F), and then saves about L/3 pictures: worth it when
// L²/(6F) exceeds the two pictures, i.e. L² > 12F — one GOP of 235 frames (saves ~40
// per call), not GOP 30 (0.6). Measured in bench/RESULTS.md §11.
bool FileSession::worth_keeping_open(int frames, int gops) {
  if (frames <= 0 || gops <= 0) return false;
  const double gop_length = static_cast<double>(frames) / gops;
  return gop_length * gop_length > 12.0 * frames;
}

// Note [Continuing a GOP]: random access decodes a GOP from its key up to the furthest
// requested frame and flushes the decoder (every picture out, nothing wasted). A
// sequential reader (frame 10, then 11, 12, ... of one file) would then decode the GOP
// from its key again on every call. So a session whose calls move forward inside a GOP,
// or on to the very next frame, switches to streaming (and keeps streaming while calls
// move forward, to the next GOP at most): it leaves the decoder open after a
// call — no flush; packets are sent only until the wanted pictures have come out — and
// the next call sends the following packets, across GOP boundaries too (a continuous
// stream decodes everything the file does, open-GOP leading pictures included).
// Continuing is correct exactly when every wanted frame is still to come: its packet
// is not yet sent, or was sent and its picture has not come out yet; and none was
// passed over as an unwanted non-reference picture (a streaming session passes over
// none). It is chosen when it is also not more work than restarting: the wanted frames
// are in the current GOP, or the stream has already reached their GOP's key. Anything
// else (an earlier frame, a picture already put out, an error) restarts at the key;
// a call that is not sequential ends streaming.
void FileSession::decode_gop(int gop, const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out, bool flush,
                             Refusals* refused) {
  const bool forward = gop == last_gop_ ? frame_ids.front() > last_frame_ : gop == last_gop_ + 1;
  const bool adjacent = frame_ids.front() == last_frame_ + 1;
  streaming_ = always_stream_ || (forward && (streaming_ || gop == last_gop_ || adjacent));
  last_gop_ = gop;
  last_frame_ = frame_ids.back();
  if (streaming_ && start_gop_ < 0 && serve_from_lookahead(frame_ids, out)) {
    stats_.continuations++;  // the stream was flushed; its last pictures were kept
    return;
  }
  if (refuse_from_memory(gop, frame_ids, refused)) return;  // Note [Damage remembered]
  Refusals all;
  try {
    if (streaming_ && start_gop_ >= 0 && can_continue(gop, frame_ids)) {
      stats_.continuations++;
      take_from_lookahead(frame_ids, out);
    } else {
      restart(gop, out);
    }
    const int began = start_gop_;  // the GOP whose key this stream started at
    current_gop_ = gop;
    stream_->want(frame_ids, &out);
    if (streaming_) stream_->keep_later_than(frame_ids.back(), &lookahead_);
    send_range(end_of(frame_ids), frame_ids, /*optional=*/false, /*skip_unwanted=*/!streaming_);
    if ((streaming_ || keep_open_) && !flush) {  // Note [Open random access]
      send_until_complete(gop, frame_ids);
    } else {
      ODVD_PROFILE_SCOPE("session.finish");
      stream_->finish();
    }
    if (stream_->flushed()) start_gop_ = -1;
    all = stream_->refusals();
    if (all.empty()) {
      if (stream_->damaged()) lookahead_.clear();  // never hand out what damage may reach
      return;
    }
    const int32_t damage = stream_->damage_start();
    remember_damage(gop);
    start_gop_ = -1;  // as after an error: the next call starts at a key
    lookahead_.clear();
    backend_->reset();
    if (began < gop && damage < index_->frames.packet_count() && index_->frames.packet(damage).gop < gop) {
      std::vector<int> again;  // Note [No damage into the next GOP]
      for (const auto& r : all) again.push_back(r.first);
      std::sort(again.begin(), again.end());
      all.clear();
      decode_again(gop, again, out, all);
    }
  } catch (const MediaError&) {
    start_gop_ = -1;
    lookahead_.clear();
    backend_->reset();
    throw;
  }
  if (all.empty()) return;  // decoded again, every frame came out
  if (refused == nullptr) throw MediaError(all.front().second);
  refused->insert(refused->end(), all.begin(), all.end());
}

// Decodes `frame_ids` of `gop` again as random access does, from its key (Note [No damage
// into the next GOP]), and appends what this decode refuses to `refused`.
void FileSession::decode_again(int gop, const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out,
                               Refusals& refused) {
  restart(gop, out);
  stream_->want(frame_ids, &out);
  send_range(end_of(frame_ids), frame_ids, /*optional=*/false, /*skip_unwanted=*/true);
  stream_->finish();
  start_gop_ = -1;
  const Refusals more = stream_->refusals();
  if (more.empty()) return;
  refused.insert(refused.end(), more.begin(), more.end());
  remember_damage(gop);
  backend_->reset();
}

// Note [Damage remembered]: damage that starts at a reference picture's packet (the decoder
// found it there or in the packets in flight from there, or it cannot be read) refuses every
// frame decoded after it, and every later decode of those frames sends that packet again. A reader going forward
// through such a GOP started again at the key for each refused frame, decoding the GOP's
// first k pictures for its k-th frame: O(L^2) for a GOP of L (a 300-frame GOP damaged at
// packet 26: 44,800 packets to read it in order, 2.1 s against 0.02 s undamaged). The
// session remembers the last such damage (its GOP, packet and cause) and refuses the
// frames it reaches without decoding; a call that also wants frames before it decodes.
// Only the refusal side is remembered, so no frame comes out that a decode would refuse.
// The sample reader drops a file's reader after an error but hands the new one what the
// old one remembered (that GOP read in order: 2.2 s before, 0.08 s).
void FileSession::remember_damage(int gop) {
  const std::optional<GopStream::OwnDamage> own = stream_->own_damage();
  if (!own || own->packet >= index_->frames.packet_count()) return;
  const IndexedPacket& p = index_->frames.packet(own->packet);
  if (p.gop != gop || p.skippable) return;  // another GOP's, or a picture nobody references
  damage_ = RememberedDamage{gop, own->packet, own->corrupt};
}

bool FileSession::refuse_from_memory(int gop, const std::vector<int>& frame_ids, Refusals* refused) {
  if (gop != damage_.gop) return false;
  for (int id : frame_ids) {
    if (index_->frames.packet_of_frame(id) < damage_.packet) return false;
  }
  Refusals all;
  for (int id : frame_ids) {
    all.emplace_back(id, GopStream::damage_refusal(quoted(index_->path), id, damage_.packet, damage_.corrupt));
  }
  if (refused == nullptr) throw MediaError(all.front().second);
  refused->insert(refused->end(), all.begin(), all.end());
  return true;
}

// Note [No damage into the next GOP]: a stream that continues into the next GOP has sent
// that GOP's key before the previous GOP's last pictures (open GOP: they display before
// the key, and no picture of the new GOP references them), so damage there used to refuse
// every frame of the new GOP, which a decode starting at its key returns (found by
// damaging the test videos: an open-GOP H.264 MKV read frame 0, 13, then 26, refused 26
// for a damaged B picture of GOP 0 that frame 26 alone never meets). The damage of the
// GOPs before is not this GOP's: a damaged stream does not continue into another GOP (it
// starts again at its key), and frames refused for damage found in an earlier GOP's
// packet while this call crossed into its GOP are decoded again from its key.
bool FileSession::can_continue(int gop, const std::vector<int>& frame_ids) const {
  const FrameIndex& frames = index_->frames;
  if (gop < start_gop_ || (gop != current_gop_ && next_packet_ < frames.gop(gop).key_packet)) return false;
  if (gop != current_gop_ && stream_->damaged()) return false;  // Note [No damage into the next GOP]
  for (int id : frame_ids) {
    if (lookahead_.count(id) != 0) continue;  // came out early and was kept
    const int d = frames.packet_of_frame(id);
    if (passed_over_.count(d) != 0) return false;
    if (d < next_packet_ && stream_->already_output(frames.packet(d).pts)) return false;
  }
  return true;
}

bool FileSession::serve_from_lookahead(const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out) {
  for (int id : frame_ids) {
    if (lookahead_.count(id) == 0) return false;
  }
  take_from_lookahead(frame_ids, out);
  return true;
}

void FileSession::take_from_lookahead(const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out) {
  for (int id : frame_ids) {
    auto it = lookahead_.find(id);
    if (it == lookahead_.end()) continue;
    out[id] = std::move(it->second);
    lookahead_.erase(it);
  }
  // Pictures before these frames will never be asked for by a sequential reader.
  lookahead_.erase(lookahead_.begin(), lookahead_.lower_bound(frame_ids.back()));
}

void FileSession::restart(int gop, std::map<int, VideoFrame>& out) {
  stats_.gop_starts++;
  lookahead_.clear();
  stream_->want({}, &out);
  stream_->start();
  start_gop_ = gop;
  next_packet_ = index_->frames.gop(gop).key_packet;
  passed_over_.clear();
  reader_.seek_before_next_read();  // Note [A GOP is read after a seek] in gop_reader.cpp
}

int FileSession::end_of(const std::vector<int>& frame_ids) const {
  int end = next_packet_;
  for (int id : frame_ids) end = std::max(end, index_->frames.packet_of_frame(id) + 1);
  return end;
}

PacketRole FileSession::role_of(int d) const {
  const FrameIndex& frames = index_->frames;
  const IndexedPacket& p = frames.packet(d);
  const int32_t key_display = frames.packet(frames.gop(start_gop_).key_packet).display_pos;
  // Pictures of GOPs before the start are leading pictures of its key: not decodable.
  return PacketRole{d, p.pts, p.gop >= start_gop_ ? p.frame_id : -1, p.display_pos < key_display, p.skippable};
}

// Sends the packets in [next_packet_, end) that the decode needs for `frame_ids`
// (FrameIndex::packets_to_send decides; a streaming session keeps non-reference
// pictures, which its next calls will want), remembering the ones passed over.
bool FileSession::send_range(int end, const std::vector<int>& frame_ids, bool optional, bool skip_unwanted) {
  if (end <= next_packet_) return true;
  const std::vector<int> to_send =
      index_->frames.packets_to_send(start_gop_, next_packet_, end, frame_ids, skip_unwanted);
  for (int d = next_packet_; d < end; ++d) {
    if (!std::binary_search(to_send.begin(), to_send.end(), d)) passed_over_.insert(d);
  }
  if (to_send.empty()) {
    next_packet_ = end;
    return true;
  }
  std::vector<EncodedPacket> packets;
  int unreadable = -1;  // the first packet that cannot be read, if any
  std::string why;
  try {
    ODVD_PROFILE_SCOPE("session.read_packets");
    packets = reader_.read(to_send);
  } catch (const MediaError& e) {
    if (optional) return false;
    // Read them one by one: the packets before the unreadable one are decoded, and
    // damage starts at it (frames decoded before it are not refused for it).
    why = e.what();
    packets.clear();
    for (int d : to_send) {
      try {
        packets.push_back(std::move(reader_.read({d}).front()));
      } catch (const MediaError& one) {
        unreadable = d;
        why = one.what();
        break;
      }
    }
    if (unreadable < 0) unreadable = to_send.front();  // not reproducible one by one: the whole range
  }
  next_packet_ = end;
  ODVD_PROFILE_SCOPE("session.send_packets");
  for (size_t i = 0; i < packets.size(); ++i) {
    stream_->send(packets[i], role_of(to_send[i]));
    stats_.packets_sent++;
  }
  if (unreadable >= 0) stream_->note_unreadable(unreadable, why);
  return true;
}

// Streaming: sends the next packets one at a time until every wanted picture has come
// out (decoders hold pictures back for reordering and frame threads). A picture still
// missing when the stream has gone through the next GOP and kMaxDelay packets is lost:
// flush, and check() reports it. A packet that cannot be read here is not needed by this call: flush
// instead (the next call meets the damage if it needs that packet).
void FileSession::send_until_complete(int gop, const std::vector<int>& frame_ids) {
  const FrameIndex& frames = index_->frames;
  int last_wanted = 0;
  for (int id : frame_ids) last_wanted = std::max(last_wanted, frames.packet_of_frame(id));
  // Far enough for any reordering and frame-thread delay (libavcodec: at most one
  // picture per thread), short of decoding the rest of the file for a lost picture.
  constexpr int kMaxDelay = 64;
  const int next_gop_end = gop + 1 < frames.gop_count() ? frames.gop(gop + 1).decode_end : 0;
  const int limit = std::min(frames.packet_count(), std::max(next_gop_end, last_wanted + 1 + kMaxDelay));
  while (!stream_->complete()) {
    if (next_packet_ >= limit || !send_range(next_packet_ + 1, frame_ids, /*optional=*/true, !streaming_)) {
      stream_->finish();  // later frames' pictures go to lookahead_ (keep_later_than)
      return;
    }
  }
}

}  // namespace odvd
