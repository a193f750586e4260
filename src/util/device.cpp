#include "odvd/device.hpp"

#include <unordered_set>

#include "odvd/error.hpp"

namespace odvd {

Fallback parse_fallback(const std::string& value) {
  if (value == "cpu") return Fallback::kCpu;
  if (value == "raise") return Fallback::kRaise;
  throw ArgumentError("fallback must be \"cpu\" or \"raise\" (got \"" + value + "\")");
}

std::vector<VideoFrame> hand_out_frames(const std::vector<const VideoFrame*>& picked,
                                        const std::function<VideoFrame(const VideoFrame&)>& copy) {
  std::vector<VideoFrame> out;
  out.reserve(picked.size());
  std::unordered_set<const VideoFrame*> handed_out;
  for (const VideoFrame* frame : picked) {
    if (frame == nullptr) {
      out.emplace_back();  // an entry the damage policy left without a frame
    } else if (handed_out.insert(frame).second) {
      out.push_back(*frame);
    } else {
      out.push_back(copy(*frame));
    }
  }
  return out;
}

}  // namespace odvd
