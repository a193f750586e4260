#include "decode/nearest_frame.hpp"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "odvd/error.hpp"

namespace odvd {
namespace {

using FrameMap = std::map<int, VideoFrame>;

// The frames of GOP `gop` that decode clean (decoded once per GOP and kept in `cache`).
const FrameMap& clean_frames(FileSession& session, int gop, const std::map<int, std::string>& failed,
                             std::map<int, FrameMap>& cache) {
  auto [it, fresh] = cache.emplace(gop, FrameMap{});
  if (!fresh) return it->second;
  const GopInfo& info = session.index().frames.gop(gop);
  std::vector<int> ids;
  for (int id = info.first_frame_id; id < info.first_frame_id + info.frame_count; ++id) {
    if (failed.count(id) == 0) ids.push_back(id);
  }
  Refusals refused;  // the refused frames are simply not in the map
  try {
    if (!ids.empty()) session.decode_gop(gop, ids, it->second, false, &refused);
  } catch (const MediaError&) {
    it->second.clear();
  }
  return it->second;
}

}  // namespace

std::map<int, int> substitute_nearest(FileSession& session, const std::map<int, std::string>& failed, FrameMap& out) {
  const FrameIndex& frames = session.index().frames;
  std::map<int, FrameMap> cache;
  std::map<int, int> substitute;
  for (const auto& entry : failed) {
    const int requested = entry.first;
    const int gop = frames.gop_of_frame(std::min(requested, frames.frame_count() - 1));
    std::vector<int> candidates;
    for (const auto& kv : clean_frames(session, gop, failed, cache)) candidates.push_back(kv.first);
    if (candidates.empty()) {
      if (gop > 0) candidates.push_back(frames.gop(gop - 1).first_frame_id + frames.gop(gop - 1).frame_count - 1);
      if (gop + 1 < frames.gop_count()) candidates.push_back(frames.gop(gop + 1).first_frame_id);
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](int a, int b) { return std::abs(a - requested) < std::abs(b - requested); });
    for (int c : candidates) {
      const FrameMap& pool = clean_frames(session, frames.gop_of_frame(c), failed, cache);
      auto found = pool.find(c);
      if (found == pool.end()) continue;
      if (out.count(c) == 0) out[c] = found->second;
      substitute[requested] = c;
      break;
    }
  }
  return substitute;
}

}  // namespace odvd
