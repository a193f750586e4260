#include "decode/gop_stream.hpp"

#include <algorithm>

#include "odvd/error.hpp"

namespace odvd {

std::string describe_frames(const std::vector<int>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size() && i < 8; ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
  if (ids.size() > 8) s += ", ...";
  return " (while decoding frame(s) " + s + ")";
}

GopStream::GopStream(DecoderBackend& backend, std::string what, ColorInfo color)
    : backend_(backend), what_(std::move(what)), color_(color) {
  backend_.set_output_filter([this](int64_t pts) {
    output_pts_.insert(pts);
    latest_output_pts_ = std::max(latest_output_pts_, pts);
    const PacketRole* role = role_of(pts);
    return role != nullptr && (wanted_.count(role->frame_id) != 0 || role->frame_id > keep_after_);
  });
}

GopStream::~GopStream() {
  backend_.set_output_filter(nullptr);  // the filter refers to this object
}

void GopStream::start() {
  backend_.reset();
  unreadable_from_ = DecoderBackend::kNoDamage;
  unreadable_cause_.clear();
  roles_.clear();
  role_by_pts_.clear();
  role_by_frame_.clear();
  settled_ = 0;
  output_pts_.clear();
  latest_output_pts_ = INT64_MIN;
  flushed_ = false;
}

void GopStream::want(const std::vector<int>& frame_ids, std::map<int, VideoFrame>* out) {
  wanted_ids_ = frame_ids;
  wanted_ = std::unordered_set<int>(frame_ids.begin(), frame_ids.end());
  out_ = out;
  keep_after_ = INT32_MAX;
  spare_ = nullptr;
}

void GopStream::keep_later_than(int frame_id, std::map<int, VideoFrame>* spare) {
  keep_after_ = frame_id;
  spare_ = spare;
}

const PacketRole* GopStream::role_of(int64_t pts) const {
  auto it = role_by_pts_.find(pts);
  return it == role_by_pts_.end() ? nullptr : &roles_[it->second];
}

void GopStream::send(const EncodedPacket& packet, const PacketRole& role) {
  ODVD_CHECK(!flushed_);
  role_by_pts_[role.pts] = roles_.size();
  if (role.frame_id >= 0) role_by_frame_[role.frame_id] = roles_.size();
  roles_.push_back(role);
  try {
    backend_.send(packet);
    collect();
  } catch (const MediaError& e) {
    flushed_ = true;  // unusable until start()
    throw MediaError(std::string(e.what()) + describe_frames(wanted_ids_));
  }
}

void GopStream::finish() {
  if (flushed_) return;
  flushed_ = true;
  try {
    backend_.send_end_of_stream();
    collect();
  } catch (const MediaError& e) {
    throw MediaError(std::string(e.what()) + describe_frames(wanted_ids_));
  }
}

void GopStream::note_unreadable(int32_t decode_index, const std::string& cause) {
  if (decode_index < unreadable_from_) {
    unreadable_from_ = decode_index;
    unreadable_cause_ = cause;
  }
}

void GopStream::collect() {
  VideoFrame frame;
  while (backend_.receive(frame)) {
    const PacketRole* role = role_of(frame.pts);
    if (role == nullptr) continue;
    std::map<int, VideoFrame>* to = wanted_.count(role->frame_id) != 0 ? out_
                                    : role->frame_id > keep_after_     ? spare_
                                                                       : nullptr;
    if (to == nullptr) continue;
    // The container's colour description wins; what the bitstream says fills the gaps
    // (an MJPEG stream's full range, a packet list that carries no description).
    if (color_.range != ColorRange::kUnspecified) frame.color.range = color_.range;
    if (color_.matrix != ColorMatrix::kUnspecified) frame.color.matrix = color_.matrix;
    (*to)[role->frame_id] = std::move(frame);
  }
}

// Note [Judged before returned]: a decoder reports damage with the picture it belongs to
// (libavcodec's error flags on an output frame; NVDEC's status of a picture), and a
// reference decoded before a frame may be displayed after it: a B picture comes out
// before the P picture it references. A stream left open (streaming; Note [Open random
// access]) used to return a frame as soon as it came out, before the damage of such a
// reference could be known, and so returned a wrong frame as good (found by damaging the
// test videos: an open-GOP H.264 MKV with a damaged B-reference, whose frame 17 read in
// order came out other than the undamaged file's, while asked alone it was refused). So
// a stream is complete only when every picture decoded before a wanted frame that other
// pictures may reference has come out too; for a reader going forward those are the
// frames its next calls want (kept: keep_later_than), so nothing is decoded in vain.
bool GopStream::to_come(const PacketRole& r) const {
  // Not out, and nothing displayed after it is out yet (else it is lost, which refusals()
  // reports: waiting for it would only send packets up to the caller's limit).
  return output_pts_.count(r.pts) == 0 && r.pts > latest_output_pts_;
}

int32_t GopStream::last_wanted_packet() const {
  int32_t last = -1;
  for (int id : wanted_ids_) {
    auto it = role_by_frame_.find(id);
    if (it != role_by_frame_.end()) last = std::max(last, roles_[it->second].decode_index);
  }
  return last;
}

bool GopStream::complete() const {
  for (int id : wanted_ids_) {
    auto it = role_by_frame_.find(id);
    if (it == role_by_frame_.end()) return false;  // not sent yet
    if (out_->count(id) == 0 && to_come(roles_[it->second])) return false;
  }
  // A picture wanted frames may reference, still to come. Once not awaited a picture never
  // is again (output and the latest output only grow), so the scan starts past the settled
  // ones: a stream read on through a long file does not rescan all it sent for each packet.
  const auto awaited = [&](const PacketRole& r) { return r.frame_id >= 0 && !r.leading && !r.skippable && to_come(r); };
  while (settled_ < roles_.size() && !awaited(roles_[settled_])) ++settled_;
  const int32_t last = last_wanted_packet();
  for (size_t i = settled_; i < roles_.size() && roles_[i].decode_index < last; ++i) {
    if (awaited(roles_[i])) return false;
  }
  return true;
}

// Note [Damage propagates]: a picture decoded after a damaged or lost one may reference
// it, and decoders conceal such damage (libavcodec's H.264 decoder outputs a copy of the
// previous picture under the lost one's timestamp), so a plausible-looking wrong frame
// could be returned. Damage starts at the first packet whose picture the decoder found
// damaged, at the first packet an unpinned decoder error may belong to, or at the first
// frame whose picture never came out; no frame decoded from there on is returned. A
// picture "never came out" when the stream was flushed without it, or when a picture
// displayed after it came out first (decoders output in display order), which is how an
// open stream (Note [Continuing a GOP]) finds lost pictures. One exception: the leading
// pictures of the GOP's key (open GOP; they display before it and belong to the
// previous GOP) are decoded without the previous GOP's pictures they reference, so
// decoders complain about them or drop them; no picture of this GOP references them
// (HEVC RASL/RADL rules; H.264 recovery points).
int32_t GopStream::damaged_from() const {
  std::unordered_map<int32_t, const PacketRole*> by_index;
  for (const PacketRole& r : roles_) by_index.emplace(r.decode_index, &r);
  int32_t from = std::min(backend_.damaged_from(), unreadable_from_);
  for (int32_t d : backend_.damaged_packets()) {
    auto it = by_index.find(d);
    if (it != by_index.end() && !it->second->leading) from = std::min(from, d);
  }
  // Frames of other GOPs (leading pictures of the key, the next key decoded for this
  // GOP's last leading pictures) need not come out: decoders may drop the former.
  for (const PacketRole& r : roles_) {
    const bool lost = output_pts_.count(r.pts) == 0 && (flushed_ || r.pts < latest_output_pts_);
    if (r.frame_id >= 0 && lost) from = std::min(from, r.decode_index);
  }
  return from;
}

Refusals GopStream::refusals() {
  Refusals refused;
  std::unordered_set<int> seen;
  // The pictures the wanted frames may depend on have their final verdicts.
  if (const int32_t last = last_wanted_packet(); last >= 0) backend_.settle_through(last);
  const int32_t from = damaged_from();
  const std::string corrupt = corrupt_text(from);
  if (from != DecoderBackend::kNoDamage) {
    for (const PacketRole& r : roles_) {
      if (r.decode_index < from || wanted_.count(r.frame_id) == 0) continue;
      out_->erase(r.frame_id);
      seen.insert(r.frame_id);
      refused.emplace_back(r.frame_id, damage_refusal(what_, r.frame_id, from, corrupt));
    }
  }
  for (int id : wanted_ids_) {
    if (out_->count(id) != 0 || seen.count(id) != 0) continue;
    refused.emplace_back(id, what_ + ": the decoder did not produce frame " + std::to_string(id) + corrupt);
  }
  return refused;
}

std::string GopStream::corrupt_text(int32_t from) const {
  // An unreadable packet explains the damage it starts better than the decoder could.
  const std::string cause =
      from == unreadable_from_ && !unreadable_cause_.empty() ? unreadable_cause_ : backend_.last_error();
  return " (the file is corrupt" + (cause.empty() ? "" : ": " + cause) + ")";
}

std::string GopStream::damage_refusal(const std::string& what, int frame_id, int32_t from, const std::string& corrupt) {
  return what + ": frame " + std::to_string(frame_id) +
         " cannot be decoded correctly: a picture it may depend on (packet " + std::to_string(from) +
         " in decode order) is damaged" + corrupt;
}

std::optional<GopStream::OwnDamage> GopStream::own_damage() const {
  const int32_t from = damaged_from();
  if (from == DecoderBackend::kNoDamage) return std::nullopt;
  const std::vector<int32_t>& pinned = backend_.damaged_packets();
  const bool sent_damage = from == unreadable_from_ || from == backend_.damaged_from() ||
                           std::find(pinned.begin(), pinned.end(), from) != pinned.end();
  if (!sent_damage) return std::nullopt;  // a picture that never came out
  return OwnDamage{from, corrupt_text(from)};
}

void GopStream::check() {
  const auto refused = refusals();
  if (!refused.empty()) throw MediaError(refused.front().second);
}

void decode_gop_run(DecoderBackend& backend, const GopRun& run, std::map<int, VideoFrame>& out, Refusals* refused) {
  GopStream stream(backend, run.what, run.color);
  try {
    stream.start();
    stream.want(run.frame_ids, &out);
    for (size_t i = 0; i < run.packets.size(); ++i) stream.send(run.packets[i], run.roles[i]);
    stream.finish();
    if (refused == nullptr) {
      stream.check();
    } else {
      Refusals r = stream.refusals();
      refused->insert(refused->end(), r.begin(), r.end());
    }
  } catch (const MediaError&) {
    backend.reset();
    throw;
  }
}

}  // namespace odvd
