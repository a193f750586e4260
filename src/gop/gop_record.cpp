// The record rules of the GOP bundle format (docs/formats/gop-bundle.md, the tables'
// "Rule" columns), shared by the writer and both readers, and GopRecord's small methods.
#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "gop/bundle_format.hpp"
#include "odvd/codecs.hpp"

namespace odvd {
namespace {

using bundle_format::add_sat;
using bundle_format::cat;
using bundle_format::kFixedBodyBytes;
using bundle_format::kPacketEntryBytes;

constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();

bool is_named_codec(Codec codec) {
  return codec_entry(codec) != nullptr;
}

// Length of the UTF-8 sequence led by byte c, and the smallest code point it may encode
// (a smaller one is an overlong encoding); 0 for a byte that cannot lead.
std::pair<int, uint32_t> utf8_lead(uint8_t c) {
  if (c >= 0xC2 && c <= 0xDF) return {2, 0x80};
  if (c >= 0xE0 && c <= 0xEF) return {3, 0x800};
  if (c >= 0xF0 && c <= 0xF4) return {4, 0x10000};
  return {0, 0};
}

// The offset of the first byte of `s` that is not well-formed UTF-8 (or is NUL: the
// label is a path), or s.size() when there is none.
size_t first_bad_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    const auto [len, min] = utf8_lead(c);
    if (len == 0 || s.size() - i < static_cast<size_t>(len)) return i;
    uint32_t cp = c & (0x7Fu >> len);
    for (int k = 1; k < len; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += static_cast<size_t>(len);
  }
  return s.size();
}

std::string stream_problem(const GopRecord& r, const BundleLimits& limits) {
  const auto codec = static_cast<int32_t>(r.codec);
  if (!is_named_codec(r.codec) && r.codec != Codec::kUnknown) {
    return cat("codec ", codec, " is not a cudaVideoCodec number this format knows (0..5, 8..11, or -1)");
  }
  // The stored AVCodecID is its writer's FFmpeg's number: for a named codec only a hint
  // (0 allowed: readers derive it from the codec), for codec -1 the only identity.
  if (r.av_codec_id < 0 || (r.av_codec_id == 0 && r.codec == Codec::kUnknown)) {
    return cat("FFmpeg codec id ", r.av_codec_id, " names no codec");
  }
  if (r.av_pixel_format < -1) return cat("FFmpeg pixel format ", r.av_pixel_format, " is negative (-1 is unknown)");
  if (r.width < 1 || r.height < 1 || r.width > limits.max_dimension || r.height > limits.max_dimension) {
    return cat("size ", r.width, "x", r.height, " outside 1..", limits.max_dimension);
  }
  if (r.bit_depth < 8 || r.bit_depth > 16) return cat("bit depth ", r.bit_depth, " outside 8..16");
  if (r.chroma_format < 0 || r.chroma_format > 3) {
    return cat("chroma format ", r.chroma_format, " outside 0..3 (4:0:0, 4:2:0, 4:2:2, 4:4:4)");
  }
  const auto range = static_cast<int32_t>(r.color.range);
  if (range < 0 || range > 2) return cat("colour range ", range, " outside 0..2");
  const auto matrix = static_cast<int32_t>(r.color.matrix);
  if (matrix < 0 || matrix > 255) return cat("colour matrix ", matrix, " outside 0..255");
  if (r.time_base_num < 1 || r.time_base_den < 1) {
    return cat("time base ", r.time_base_num, "/", r.time_base_den, " is not positive");
  }
  return "";
}

std::string gop_problem(const GopRecord& r) {
  if (r.first_frame_id < 0) return cat("first frame id ", r.first_frame_id, " is negative");
  if (r.frame_count < 1) return cat("GOP of ", r.frame_count, " frames (at least 1)");
  if (int64_t{r.first_frame_id} + r.frame_count > std::numeric_limits<int32_t>::max()) {
    return cat("GOP frames ", r.first_frame_id, " + ", r.frame_count, " overflow the 32-bit frame ids");
  }
  return "";
}

std::string label_problem(const GopRecord& r) {
  if (r.parameter_sets.size() > kU32Max) return cat("parameter sets of ", r.parameter_sets.size(), " bytes");
  if (r.source.size() > kU32Max) return cat("source label of ", r.source.size(), " bytes");
  const size_t bad = first_bad_utf8(r.source);
  if (bad != r.source.size()) return cat("source label is not UTF-8 without NUL (byte ", bad, ")");
  if (r.video_stream < -1) return cat("video stream ", r.video_stream, " (a stream number K >= 0, or -1 unknown)");
  return "";
}

std::string packet_problem(const BundlePacket& p, const GopRecord& r) {
  if (p.data.empty()) return "empty (a packet has at least 1 byte)";
  if (p.data.size() > kU32Max) return cat("size ", p.data.size(), " exceeds 4 GiB - 1");
  const int64_t end = int64_t{r.first_frame_id} + r.frame_count;
  if (p.frame_id != -1 && (p.frame_id < r.first_frame_id || p.frame_id >= end)) {
    return cat("frame id ", p.frame_id, " outside the GOP's frames ", r.first_frame_id, "..", end - 1);
  }
  return "";
}

// Each frame of the GOP presented by exactly one packet. Needs frame_count <= packets.
std::string coverage_problem(const GopRecord& r) {
  std::vector<int32_t> presenter(static_cast<size_t>(r.frame_count), -1);
  for (size_t i = 0; i < r.packets.size(); ++i) {
    const int32_t id = r.packets[i].frame_id;
    if (id < 0) continue;
    int32_t& slot = presenter[static_cast<size_t>(id - r.first_frame_id)];
    if (slot >= 0) return cat("packet ", i, ": frame id ", id, " also presented by packet ", slot);
    slot = static_cast<int32_t>(i);
  }
  for (size_t k = 0; k < presenter.size(); ++k) {
    if (presenter[k] < 0) return cat("frame ", r.first_frame_id + static_cast<int64_t>(k), " presented by no packet");
  }
  return "";
}

std::string pts_problem(const GopRecord& r) {
  std::vector<std::pair<int64_t, size_t>> order;
  order.reserve(r.packets.size());
  for (size_t i = 0; i < r.packets.size(); ++i) order.emplace_back(r.packets[i].pts, i);
  std::sort(order.begin(), order.end());
  for (size_t k = 1; k < order.size(); ++k) {
    if (order[k].first == order[k - 1].first) {
      return cat("packet ", order[k].second, ": pts ", order[k].first, " repeats packet ", order[k - 1].second, "'s");
    }
  }
  return "";
}

std::string packets_problem(const GopRecord& r, const BundleLimits& limits) {
  const size_t n = r.packets.size();
  if (n < 1 || n > limits.max_packets_per_record) {
    return cat(n, " packets outside 1..", limits.max_packets_per_record);
  }
  if (!r.packets[0].key) return "packet 0 is not a key (a record starts at a random-access point)";
  for (size_t i = 0; i < n; ++i) {
    std::string p = packet_problem(r.packets[i], r);
    if (!p.empty()) return cat("packet ", i, ": ", p);
  }
  if (static_cast<uint64_t>(r.frame_count) > n) {
    return cat("GOP of ", r.frame_count, " frames but only ", n, " packets to present them");
  }
  std::string p = coverage_problem(r);
  return p.empty() ? pts_problem(r) : p;
}

}  // namespace

uint64_t record_body_bytes(const GopRecord& record) {
  uint64_t bytes = kFixedBodyBytes;
  bytes = add_sat(bytes, uint64_t{kPacketEntryBytes} * record.packets.size());
  bytes = add_sat(bytes, record.parameter_sets.size());
  bytes = add_sat(bytes, record.source.size());
  for (const BundlePacket& p : record.packets) bytes = add_sat(bytes, p.data.size());
  return bytes;
}

std::string find_record_problem(const GopRecord& record, const BundleLimits& limits) {
  for (std::string p : {stream_problem(record, limits), gop_problem(record), label_problem(record)}) {
    if (!p.empty()) return p;
  }
  std::string p = packets_problem(record, limits);
  if (!p.empty()) return p;
  const uint64_t body = record_body_bytes(record);
  if (body > limits.max_record_bytes)
    return cat("body of ", body, " bytes exceeds the limit of ", limits.max_record_bytes);
  return "";
}

int64_t GopRecord::frame_bytes() const {
  const int64_t w = width;
  const int64_t h = height;
  const int64_t sample = bit_depth > 8 ? 2 : 1;  // P016 / YUV444P16 hold each sample in 16 bits
  const int64_t cw = (w + 1) / 2;                // chroma sizes round up for odd dimensions
  const int64_t ch = (h + 1) / 2;
  switch (chroma_format) {
    case 0: return w * h * sample;                   // luma only
    case 2: return (w * h + 2 * cw * h) * sample;    // 4:2:2
    case 3: return 3 * w * h * sample;               // three full planes
    default: return (w * h + 2 * cw * ch) * sample;  // 4:2:0 (NV12, P016)
  }
}

bool operator==(const BundlePacket& a, const BundlePacket& b) {
  return a.pts == b.pts && a.dts == b.dts && a.frame_id == b.frame_id && a.key == b.key && a.skippable == b.skippable &&
         a.data == b.data;
}

bool operator==(const GopRecord& a, const GopRecord& b) {
  return a.codec == b.codec && a.av_codec_id == b.av_codec_id && a.av_pixel_format == b.av_pixel_format &&
         a.width == b.width && a.height == b.height && a.bit_depth == b.bit_depth &&
         a.chroma_format == b.chroma_format && a.color.range == b.color.range && a.color.matrix == b.color.matrix &&
         a.time_base_num == b.time_base_num && a.time_base_den == b.time_base_den &&
         a.first_frame_id == b.first_frame_id && a.frame_count == b.frame_count && a.source == b.source &&
         a.video_stream == b.video_stream && a.parameter_sets == b.parameter_sets && a.packets == b.packets;
}

}  // namespace odvd
