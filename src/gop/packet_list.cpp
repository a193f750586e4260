#include "gop/packet_list.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "odvd/codecs.hpp"
#include "odvd/error.hpp"

namespace odvd {

int64_t packet_list_base(const std::vector<std::vector<int>>& frame_ids) {
  int64_t base = 0;
  for (const auto& list : frame_ids) base = std::max<int64_t>(base, static_cast<int64_t>(list.size()));
  return base;
}

GopRecord record_from_packet_list(Codec codec, std::vector<std::vector<uint8_t>> packets,
                                  const std::vector<int>& frame_ids, int width, int height, const std::string& where,
                                  int64_t base) {
  if (packets.size() != frame_ids.size() || frame_ids.empty()) {
    throw ArgumentError(where + ": numpy_datas has " + std::to_string(packets.size()) + " packet(s) but packet_idxs " +
                        std::to_string(frame_ids.size()) + " (they must match and not be empty)");
  }
  if (width <= 0 || height <= 0) throw ArgumentError(where + ": width and height must be positive");
  GopRecord r;
  r.codec = codec;
  r.width = width;
  r.height = height;
  const int hi = *std::max_element(frame_ids.begin(), frame_ids.end());  // not empty: checked above
  const int64_t after = base + hi + 1;                                   // past every frame's timestamp
  bool trailing = false;                                                 // a frame other than the key has been seen
  int lo = hi;
  std::set<int> seen;
  for (size_t k = 0; k < frame_ids.size(); ++k) {
    const int id = frame_ids[k];
    if (id < -1 || (id >= 0 && !seen.insert(id).second)) {
      throw ArgumentError(where + ": packet_idxs holds " + std::to_string(id) + " twice or is negative");
    }
    BundlePacket p;
    p.data = std::move(packets[k]);
    p.frame_id = id;
    p.pts = id >= 0 ? id + base : (trailing ? after : 0) + static_cast<int64_t>(k);
    if (id >= 0 && k > 0) trailing = true;
    p.dts = static_cast<int64_t>(k);
    p.key = k == 0;
    if (id >= 0) lo = std::min(lo, id);
    r.packets.push_back(std::move(p));
  }
  if (hi < 0) throw ArgumentError(where + ": packet_idxs names no frame");
  r.first_frame_id = lo;
  r.frame_count = hi - lo + 1;
  return r;
}

std::vector<Codec> packet_list_codecs(const std::vector<int>& codec_ids, const std::string& argument) {
  std::vector<Codec> codecs;
  for (size_t i = 0; i < codec_ids.size(); ++i) {
    const Codec c = static_cast<Codec>(codec_ids[i]);
    if (codec_entry(c) == nullptr) {
      throw ArgumentError(argument + "[" + std::to_string(i) + "] = " + std::to_string(codec_ids[i]) +
                          " is not a cudaVideoCodec number (h264=4, hevc=8, av1=11)");
    }
    codecs.push_back(c);
  }
  return codecs;
}

}  // namespace odvd
