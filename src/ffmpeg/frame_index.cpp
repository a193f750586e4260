#include "ffmpeg/frame_index.hpp"

#include <algorithm>
#include <numeric>

#include "odvd/error.hpp"

namespace odvd {
namespace {

// Decode indices sorted by presentation time; ties keep decode order.
std::vector<int32_t> display_order(const std::vector<IndexedPacket>& packets) {
  std::vector<int32_t> order(packets.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return packets[a].pts < packets[b].pts; });
  return order;
}

}  // namespace

FrameIndex FrameIndex::build(const std::vector<ScannedPacket>& scanned, bool skip_leading) {
  if (scanned.empty()) throw MediaError("the video stream has no packets");
  FrameIndex index;
  index.skip_leading_ = skip_leading;
  index.packets_.reserve(scanned.size());
  for (const ScannedPacket& p : scanned) {
    IndexedPacket ip;
    static_cast<ScannedPacket&>(ip) = p;
    index.packets_.push_back(ip);
  }
  auto& packets = index.packets_;
  const std::vector<int32_t> order = display_order(packets);

  // Walk display order once: open a GOP at every key, number frames, drop empty GOPs.
  int32_t raw_gop = -1;             // GOP number before dropping frameless GOPs
  std::vector<int32_t> raw_to_gop;  // raw GOP -> final number (or -1)
  std::vector<int32_t> raw_members;
  for (size_t rank = 0; rank < order.size(); ++rank) {
    IndexedPacket& p = packets[order[rank]];
    p.display_pos = static_cast<int32_t>(rank);
    if (p.key) {
      ++raw_gop;
      raw_to_gop.push_back(-1);
      index.gops_.push_back(GopInfo{static_cast<int32_t>(index.frame_to_packet_.size()), 0, order[rank], 0});
    }
    if (raw_gop < 0) continue;  // displays before the first key: not decodable, not a frame
    p.gop = raw_gop;
    if (p.discard) continue;
    p.frame_id = static_cast<int32_t>(index.frame_to_packet_.size());
    index.frame_to_packet_.push_back(order[rank]);
    index.gops_.back().frame_count++;
  }
  if (raw_gop < 0) throw MediaError("the video stream has no random-access point (keyframe)");
  if (index.frame_to_packet_.empty()) {
    // Every picture displays before the first key or is discarded by the edit list: a file
    // that presents nothing serves no frame id (found by the video fuzzer).
    throw MediaError(
        "the video stream presents no frame (its pictures precede the first key frame or are cut "
        "by the edit list)");
  }

  // Renumber: keep GOPs holding frames.
  std::vector<GopInfo> kept;
  for (size_t g = 0; g < index.gops_.size(); ++g) {
    if (index.gops_[g].frame_count == 0) continue;
    raw_to_gop[g] = static_cast<int32_t>(kept.size());
    kept.push_back(index.gops_[g]);
  }
  index.gops_ = std::move(kept);
  for (size_t d = 0; d < packets.size(); ++d) {
    IndexedPacket& p = packets[d];
    if (p.gop >= 0) p.gop = raw_to_gop[p.gop];
    if (p.gop >= 0 && p.frame_id >= 0) {
      GopInfo& gop = index.gops_[p.gop];
      gop.decode_end = std::max(gop.decode_end, static_cast<int32_t>(d) + 1);
    }
    auto [first, fresh] = index.pts_to_packet_.emplace(p.pts, static_cast<int32_t>(d));
    if (!fresh) {  // two packets, one timestamp: neither can be told apart in the output
      if (p.frame_id >= 0) index.ambiguous_.insert(p.frame_id);
      const int32_t other = packets[static_cast<size_t>(first->second)].frame_id;
      if (other >= 0) index.ambiguous_.insert(other);
    }
  }
  return index;
}

int FrameIndex::packet_of_pts(int64_t pts) const {
  auto it = pts_to_packet_.find(pts);
  return it == pts_to_packet_.end() ? -1 : it->second;
}

std::vector<int> FrameIndex::packets_to_decode(int g, const std::vector<int>& frame_ids) const {
  ODVD_CHECK(g >= 0 && g < gop_count());
  int end = gops_[g].key_packet + 1;
  for (int f : frame_ids) {
    ODVD_CHECK(f >= 0 && f < frame_count() && gop_of_frame(f) == g);
    end = std::max(end, frame_to_packet_[f] + 1);
  }
  return packets_to_send(g, gops_[g].key_packet, end, frame_ids, true);
}

std::vector<int> FrameIndex::packets_to_send(int g, int begin, int end, const std::vector<int>& frame_ids,
                                             bool skip_unwanted) const {
  ODVD_CHECK(g >= 0 && g < gop_count() && begin >= gops_[g].key_packet && end <= packet_count());
  const int32_t key_display = packets_[gops_[g].key_packet].display_pos;
  std::vector<int> out;
  out.reserve(std::max(0, end - begin));
  for (int d = begin; d < end; ++d) {
    const IndexedPacket& p = packets_[d];
    if (p.display_pos < key_display && skip_leading_) continue;  // leading picture of key_g
    if (skip_unwanted && p.skippable && std::find(frame_ids.begin(), frame_ids.end(), p.frame_id) == frame_ids.end()) {
      continue;  // non-reference picture nobody asked for
    }
    out.push_back(d);
  }
  return out;
}

size_t FrameIndex::memory_bytes() const {
  return packets_.capacity() * sizeof(IndexedPacket) + frame_to_packet_.capacity() * sizeof(int32_t) +
         gops_.capacity() * sizeof(GopInfo) + pts_to_packet_.size() * (sizeof(int64_t) + sizeof(int32_t) + 16);
}

}  // namespace odvd
