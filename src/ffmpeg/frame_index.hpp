// FrameIndex: the per-file table that maps frame ids to packets and GOPs (SPEC §1).
//
// Built from the packets of one demux-only scan, in decode order. Pure data and pure
// functions: no I/O, so every rule below is unit-tested on synthetic packet lists.
//
// Note [Frame identity and GOPs]
//   * Packets are ranked by presentation timestamp (display order).
//   * Random-access packets ("keys") split the display order into GOPs: GOP k holds the
//     packets displayed in [key_k, key_k+1). Leading pictures of an open GOP (HEVC RASL,
//     H.264 B-frames after a recovery-point I frame) follow key_k+1 in decode order but
//     display before it, so they belong to GOP k.
//   * A packet is a *frame* unless the demuxer marks it to be discarded (edit lists) or
//     it displays before the first key (never decodable; decoders drop such pictures).
//     Frame id = rank among frames in display order; this equals the order and count
//     of `ffmpeg -f framemd5`.
//   * GOPs holding no frame are dropped; the rest are numbered in display order.
//   * Decoding frames of GOP g feeds, in decode order, the packets from key_g up to the
//     furthest requested frame, skipping non-reference packets nobody asked for and,
//     where the codec allows it, the leading pictures of key_g (they display before
//     key_g, so they belong to earlier GOPs). HEVC allows it: RASL pictures are not
//     decodable from key_g and RADL pictures are referenced by no trailing picture.
//     H.264 does not: a leading picture may be a reference picture, and omitting it
//     would leave a frame_num gap, so it is decoded (its picture is discarded).
//
// Thread-safety: immutable after build(); share freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <vector>

namespace odvd {

// What a scan records for one packet.
struct ScannedPacket {
  int64_t pts = 0;  // presentation timestamp (the decode timestamp when the container has none)
  int64_t dts = 0;
  int64_t pos = -1;  // byte offset in the file, -1 when unknown
  int32_t size = 0;
  bool key = false;        // random-access point (validated against the bitstream)
  bool discard = false;    // demuxer says: decode, but do not present (edit lists)
  bool skippable = false;  // no other picture references it
  bool corrupt = false;    // the container could only partly read it
  // The in-band parameter sets in force for this packet (VideoIndex::parameter_sets),
  // -1 when none came in band before it (the container's extradata then applies).
  int32_t parameter_sets = -1;
};

struct IndexedPacket : ScannedPacket {
  int32_t display_pos = 0;  // rank among all packets in display order
  int32_t frame_id = -1;    // -1 when not a presented frame
  int32_t gop = -1;         // -1 when in no GOP (before the first key, or a frameless GOP)
};

struct GopInfo {
  int32_t first_frame_id = 0;
  int32_t frame_count = 0;
  int32_t key_packet = 0;  // decode index of the GOP's random-access packet
  int32_t decode_end = 0;  // one past the decode index of the GOP's last frame in decode order
};

class FrameIndex {
 public:
  // Builds the index. `skip_leading`: the codec allows omitting the leading pictures
  // of a key when decoding from it (see the Note). Throws MediaError if there is no
  // packet or no random-access point.
  static FrameIndex build(const std::vector<ScannedPacket>& packets, bool skip_leading);

  int frame_count() const { return static_cast<int>(frame_to_packet_.size()); }
  int packet_count() const { return static_cast<int>(packets_.size()); }
  int gop_count() const { return static_cast<int>(gops_.size()); }

  const IndexedPacket& packet(int decode_index) const { return packets_[decode_index]; }
  const GopInfo& gop(int g) const { return gops_[g]; }
  int packet_of_frame(int frame_id) const { return frame_to_packet_[frame_id]; }
  int gop_of_frame(int frame_id) const { return packets_[frame_to_packet_[frame_id]].gop; }
  // Decode index of the packet with this presentation timestamp, or -1.
  int packet_of_pts(int64_t pts) const;
  // Another packet of the stream has this frame's timestamp (a damaged file): which
  // picture the decoder puts out under it cannot be told, so the frame is never decoded
  // (found by the video fuzzer: the same call returned different pixels for it).
  bool ambiguous(int frame_id) const { return ambiguous_.count(frame_id) != 0; }

  // Decode indices of the packets to feed (in order) so that every frame in
  // `frame_ids` (all in GOP g) comes out of the decoder; see the Note above.
  std::vector<int> packets_to_decode(int g, const std::vector<int>& frame_ids) const;

  // The same rule over decode indices [begin, end) of GOP g: what to send there.
  // `skip_unwanted`: pass over non-reference pictures not in `frame_ids` (false keeps
  // them, for a reader that will want them next).
  std::vector<int> packets_to_send(int g, int begin, int end, const std::vector<int>& frame_ids,
                                   bool skip_unwanted) const;

  // Approximate heap bytes (for cache budgets).
  size_t memory_bytes() const;

 private:
  std::vector<IndexedPacket> packets_;  // decode order
  std::vector<int32_t> frame_to_packet_;
  std::vector<GopInfo> gops_;
  std::unordered_map<int64_t, int32_t> pts_to_packet_;
  std::set<int32_t> ambiguous_;  // frame ids sharing their pts with another packet
  bool skip_leading_ = true;
};

}  // namespace odvd
