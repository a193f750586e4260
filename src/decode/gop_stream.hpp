// GopStream: decoding the packets of one GOP on a backend, whatever the packets came
// from (a video file through its index, or a stored GOP record), possibly over several
// calls, and the rules that decide which decoded pictures may be returned (Note [Damage
// propagates] in gop_stream.cpp).
//
// A stream starts at the GOP's key (start()), takes packets in decode order (send()),
// hands the pictures of the frames currently wanted (want()) to the caller's map, and
// ends either flushed (finish(): every picture out) or open, so that a later call can
// send the following packets and receive later frames without decoding the GOP again.
//
// Thread-safety: none; a stream uses its backend from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "odvd/decoder_backend.hpp"
#include "odvd/frame.hpp"

namespace odvd {

// Frames a decode refused, in decode order: (frame id, message naming the source).
using Refusals = std::vector<std::pair<int, std::string>>;

// What one packet sent to the decoder is, in decode order.
struct PacketRole {
  int32_t decode_index = 0;  // as in EncodedPacket::decode_index (unique, ascending)
  int64_t pts = 0;
  int32_t frame_id = -1;   // the frame of *this* GOP it presents, -1 if none
  bool leading = false;    // displays before the GOP's key (a leading picture of the key)
  bool skippable = false;  // no other picture references it (FrameIndex: Note [Skippable packets])
};

class GopStream {
 public:
  // `what` labels the source in messages, already quoted (e.g. "'a.mp4'"); `color` is
  // stamped on returned frames where it is specified (the back end's reading of the
  // bitstream stays where it is not).
  GopStream(DecoderBackend& backend, std::string what, ColorInfo color);
  ~GopStream();
  GopStream(const GopStream&) = delete;
  GopStream& operator=(const GopStream&) = delete;

  // Resets the backend: the next packet sent must be the GOP's key.
  void start();
  // The frames the current call wants, and where their pictures go (by frame id).
  void want(const std::vector<int>& frame_ids, std::map<int, VideoFrame>* out);
  // Pictures of frames after `frame_id` that come out before they are wanted go to
  // `spare` instead of being dropped (a streaming reader wants them next).
  void keep_later_than(int frame_id, std::map<int, VideoFrame>* spare);
  void send(const EncodedPacket& packet, const PacketRole& role);
  // End of stream: every remaining picture comes out; the stream must be start()ed again.
  void finish();
  // Packet `decode_index` could not be read (`cause`): damage starts there, as if the
  // decoder had found its picture damaged (Note [Damage propagates]).
  void note_unreadable(int32_t decode_index, const std::string& cause);

  // Checks every wanted frame once the caller has sent what it needed: a frame that is
  // damaged, may depend on a damaged picture, or did not come out is refused. Removes the
  // refused frames from the output map and returns why each was refused (frame id,
  // message naming the source; in decode order), empty when none was. Frames decoded
  // before the damage stay (Note [Damage policy] in odvd/damage_policy.hpp).
  Refusals refusals();
  // refusals(), throwing MediaError with the first refusal's message if there is one.
  void check();
  // Damage that starts at a packet sent (the decoder found it there, or in the packets in
  // flight from there, or the packet could not be read): that packet and the message tail
  // naming the cause, which a later decode of its frames meets again (Note [Damage
  // remembered] in file_session.cpp). Nothing when it starts at a picture that never came out.
  struct OwnDamage {
    int32_t packet;
    std::string corrupt;  // " (the file is corrupt: ...)"
  };
  std::optional<OwnDamage> own_damage() const;
  // The message refusing `frame_id` of `what` for damage from packet `from`.
  static std::string damage_refusal(const std::string& what, int frame_id, int32_t from, const std::string& corrupt);

  bool flushed() const { return flushed_; }
  // Whether every wanted frame has come out, and every picture they may reference (Note
  // [Judged before returned]).
  bool complete() const;
  // Whether the picture of this frame has already come out (wanted or not).
  bool already_output(int64_t pts) const { return output_pts_.count(pts) != 0; }
  // Whether anything sent since start() is damaged (Note [Damage propagates]), and from
  // which packet on (DecoderBackend::kNoDamage when nothing is).
  bool damaged() const { return damaged_from() != DecoderBackend::kNoDamage; }
  int32_t damage_start() const { return damaged_from(); }
  // Packets sent since start() (for statistics).
  int64_t packets_sent() const { return static_cast<int64_t>(roles_.size()); }

 private:
  const PacketRole* role_of(int64_t pts) const;
  void collect();
  int32_t damaged_from() const;
  std::string corrupt_text(int32_t from) const;
  bool to_come(const PacketRole& r) const;
  int32_t last_wanted_packet() const;  // -1 when none was sent

  DecoderBackend& backend_;
  std::string what_;
  ColorInfo color_;
  std::vector<PacketRole> roles_;                    // every packet sent since start()
  std::unordered_map<int64_t, size_t> role_by_pts_;  // pts -> index in roles_
  std::unordered_map<int, size_t> role_by_frame_;    // frame id -> index in roles_
  mutable size_t settled_ = 0;                       // roles_ before it are no longer awaited (complete())
  std::unordered_set<int64_t> output_pts_;           // every picture put out since start()
  int64_t latest_output_pts_ = INT64_MIN;
  int32_t unreadable_from_ = DecoderBackend::kNoDamage;  // note_unreadable()
  std::string unreadable_cause_;
  std::vector<int> wanted_ids_;
  std::unordered_set<int> wanted_;
  std::map<int, VideoFrame>* out_ = nullptr;
  int keep_after_ = INT32_MAX;
  std::map<int, VideoFrame>* spare_ = nullptr;
  bool flushed_ = true;
};

// A whole decode in one go: start, send every packet, finish, check. The common case
// (random access).
struct GopRun {
  std::string what;
  std::vector<EncodedPacket> packets;  // decode order
  std::vector<PacketRole> roles;       // one per packet
  std::vector<int> frame_ids;          // wanted, unique
  ColorInfo color;
};

// Throws MediaError for the first refused frame, or, given `refused`, records every refusal
// there and returns (the frames decoded before the damage are in `out`).
void decode_gop_run(DecoderBackend& backend, const GopRun& run, std::map<int, VideoFrame>& out,
                    Refusals* refused = nullptr);

// " (while decoding frame(s) 3, 4, 5)" for messages.
std::string describe_frames(const std::vector<int>& ids);

}  // namespace odvd
