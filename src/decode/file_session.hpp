// FileSession: the warm per-file state of a decoder — a GopReader on the open file and
// a decoder backend configured for its stream — and the decode of one GOP's worth of
// requested frames, continuing an open GOP across calls when that is provably correct
// (Note [Continuing a GOP] in file_session.cpp).
//
// Thread-safety: none; a session is used by one task at a time.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "decode/gop_stream.hpp"
#include "gop/gop_reader.hpp"
#include "odvd/decoder_backend.hpp"
#include "odvd/device.hpp"

namespace odvd {

// Work counters of a session, for benchmarks and tests.
struct SessionStats {
  int64_t packets_sent = 0;   // packets sent to the decoder
  int64_t gop_starts = 0;     // decodes started at a key
  int64_t continuations = 0;  // calls served by continuing an open GOP
};

// Bytes of one decoded frame of the stream as the back ends store it (NV12 / P016 for
// 4:2:0, NV16 / P216 for 4:2:2, planar 4:4:4 otherwise: an upper bound for 4:0:0).
size_t decoded_frame_bytes(const StreamInfo& stream);

// What a warm session may hold of decoder memory: its reference pictures, at most 16 in
// H.264 and HEVC, as frames of the stream (CPU back end measured: ~12 frames a session,
// 1600x900 HEVC; NVDEC: its decode surfaces). The charge of a session in a session cache.
size_t warm_session_bytes(const VideoIndex& index);

class FileSession {
 public:
  // `always_stream`: the caller reads forward (a sample reader); leave every GOP open
  // from the first call instead of waiting for a sequential pattern.
  // The session's backend is `device`'s (which must outlive the session).
  FileSession(std::shared_ptr<const VideoIndex> index, Device& device, bool always_stream = false);

  const VideoIndex& index() const { return reader_.index(); }
  const std::shared_ptr<const VideoIndex>& index_ptr() const { return index_; }
  const SessionStats& stats() const { return stats_; }

  // The damage the session remembers (Note [Damage remembered] in file_session.cpp): facts
  // about the file, not decoder state, so a session replacing this one on the same file
  // (a reader dropped after an error) may start with them.
  struct RememberedDamage {
    int gop = -1;  // none
    int32_t packet = 0;
    std::string corrupt;  // the cause, as refusals end
  };
  const RememberedDamage& remembered_damage() const { return damage_; }
  void remember(const RememberedDamage& damage) { damage_ = damage; }

  // Decodes GOP `gop` far enough to produce every frame in `frame_ids` (all in that
  // GOP, ascending) and stores them in `out` by frame id. Throws MediaError naming the
  // file and frames on failure (the backend is reset, so the session stays usable).
  // `flush`: end the stream once the packets of these frames are sent (the decoder gives
  // out what it holds) instead of streaming on until they come out, which sends later
  // packets: for the last GOP of a run decoded ahead (Note [Decode ahead]).
  // `refused`: record the frames refused for damage there instead of throwing (the frames
  // decoded before the damage are in `out`); errors that are not about one frame (a
  // packet that cannot be read) still throw.
  void decode_gop(int gop, const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out, bool flush = false,
                  Refusals* refused = nullptr);

 private:
  static bool worth_keeping_open(int frames, int gops);
  bool can_continue(int gop, const std::vector<int>& frame_ids) const;
  bool serve_from_lookahead(const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out);
  void take_from_lookahead(const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out);
  void restart(int gop, std::map<int, VideoFrame>& out);
  void decode_again(int gop, const std::vector<int>& frame_ids, std::map<int, VideoFrame>& out, Refusals& refused);
  void remember_damage(int gop);
  // One past the last packet of `frame_ids` (at least the next packet to send).
  int end_of(const std::vector<int>& frame_ids) const;
  bool refuse_from_memory(int gop, const std::vector<int>& frame_ids, Refusals* refused);
  // Returns false when `optional` and a packet could not be read (nothing sent).
  // `skip_unwanted`: pass over pictures nobody references whose frames are not wanted.
  bool send_range(int end, const std::vector<int>& frame_ids, bool optional, bool skip_unwanted);
  void send_until_complete(int gop, const std::vector<int>& frame_ids);
  PacketRole role_of(int d) const;

  std::shared_ptr<const VideoIndex> index_;
  GopReader reader_;
  std::unique_ptr<DecoderBackend> backend_;
  std::unique_ptr<GopStream> stream_;
  // The open stream: the GOP whose key it started at (-1 when none), the GOP of the
  // last call's frames, the next packet to consider, and packets passed over
  // (non-reference pictures nobody wanted then).
  int start_gop_ = -1;
  int current_gop_ = -1;
  int next_packet_ = 0;
  std::unordered_set<int> passed_over_;
  // Pictures of later frames that came out before they were wanted (several pictures
  // finish at once; a flush at the end of the file): the next sequential calls take
  // them from here.
  std::map<int, VideoFrame> lookahead_;
  // Access pattern: the last call's GOP and furthest frame; streaming once it looks
  // sequential.
  int last_gop_ = -1;
  int last_frame_ = -2;  // so that a first call for frame 0 is not "the very next frame"
  bool streaming_ = false;
  bool always_stream_ = false;
  // Random-access calls leave the stream open too (Note [Open random access]).
  bool keep_open_ = false;
  RememberedDamage damage_;  // the last damage found at a reference picture's packet
  SessionStats stats_;
};

}  // namespace odvd
