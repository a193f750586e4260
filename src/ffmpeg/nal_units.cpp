#include "ffmpeg/nal_units.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

namespace odvd {
namespace {

// H.264 NAL unit types (ITU-T H.264 table 7-1).
constexpr int kH264Slice = 1;
constexpr int kH264Idr = 5;
constexpr int kH264Sei = 6;
constexpr int kH264Sps = 7;
constexpr int kH264Pps = 8;
constexpr int kH264Aud = 9;
constexpr int kH264Filler = 12;
constexpr int kH264SeiRecoveryPoint = 6;

// HEVC NAL unit types (ITU-T H.265 table 7-1).
constexpr int kHevcBlaWLp = 16;
constexpr int kHevcIdrNLp = 20;
constexpr int kHevcIrapMax = 23;
constexpr int kHevcVclMax = 31;
constexpr int kHevcVps = 32;
constexpr int kHevcSps = 33;
constexpr int kHevcPps = 34;
constexpr int kHevcAud = 35;
constexpr int kHevcFiller = 38;
constexpr int kHevcPrefixSei = 39;
constexpr int kHevcSuffixSei = 40;
constexpr int kHevcSubLayerNonRefMax = 14;

// Note [Skippable packets]
//   Random access passes over packets whose pictures no later picture references (H.264
//   nal_ref_idc 0, HEVC sub-layer non-reference pictures of the top temporal layer) when
//   nobody wants their frames. Such a packet may carry more than its picture: a PPS or
//   SPS that later pictures decode with (encoders may repeat or change them in any
//   access unit), an end of sequence that resets picture order counting. Dropping those
//   changes later pictures without a word from the decoder (found by the video fuzzer: a
//   frame differed between a call that also wanted a non-reference frame and one that
//   did not). So a packet is skippable only when every NAL unit in it is a non-reference
//   slice or one that only describes (SEI, access unit delimiter, filler data).
bool harmless_h264_nal(int type) {
  return type == kH264Sei || type == kH264Aud || type == kH264Filler;
}
bool harmless_hevc_nal(int type) {
  return type == kHevcAud || type == kHevcFiller || type == kHevcPrefixSei || type == kHevcSuffixSei;
}

// Calls fn(nal, size) for each NAL unit of the packet. Returns false when the packet's
// framing is inconsistent (a length running past the end, no start code).
template <typename Fn>
bool for_each_nal(NalLayout layout, const uint8_t* data, size_t size, Fn&& fn) {
  if (!layout.annex_b) {
    size_t pos = 0;
    const auto n = static_cast<size_t>(layout.length_size);
    while (pos < size) {
      if (size - pos < n) return false;
      size_t len = 0;
      for (size_t i = 0; i < n; ++i) len = (len << 8) | data[pos + i];
      pos += n;
      if (len > size - pos) return false;
      if (len > 0) fn(data + pos, len);
      pos += len;
    }
    return true;
  }
  // Annex-B: units separated by 00 00 01 (optionally preceded by more zero bytes).
  auto find_start = [&](size_t from) {
    for (size_t i = from; i + 3 <= size; ++i) {
      if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) return i;
    }
    return size;
  };
  size_t start = find_start(0);
  if (start == size) return size == 0;
  while (start < size) {
    size_t begin = start + 3;
    size_t next = find_start(begin);
    size_t end = next;
    while (end > begin && data[end - 1] == 0) --end;  // trailing zeros belong to the next start code
    if (end > begin) fn(data + begin, end - begin);
    start = next;
  }
  return true;
}

// Removes emulation-prevention bytes (00 00 03 -> 00 00) from at most max_out bytes.
std::vector<uint8_t> unescape_rbsp(const uint8_t* data, size_t size, size_t max_out) {
  std::vector<uint8_t> out;
  out.reserve(std::min(size, max_out));
  int zeros = 0;
  for (size_t i = 0; i < size && out.size() < max_out; ++i) {
    if (zeros >= 2 && data[i] == 3) {
      zeros = 0;
      continue;
    }
    zeros = data[i] == 0 ? zeros + 1 : 0;
    out.push_back(data[i]);
  }
  return out;
}

// True when an H.264 SEI NAL unit (header byte included) holds a recovery point message.
bool h264_sei_has_recovery_point(const uint8_t* nal, size_t size) {
  constexpr size_t kMaxSeiBytes = 8192;  // SEI worth inspecting; larger payloads are skipped
  std::vector<uint8_t> rbsp = unescape_rbsp(nal + 1, size - 1, kMaxSeiBytes);
  size_t pos = 0;
  while (pos < rbsp.size() && rbsp[pos] != 0x80) {  // 0x80: rbsp trailing bits
    auto read_varint = [&](size_t& value) {
      value = 0;
      while (pos < rbsp.size() && rbsp[pos] == 0xFF) value += rbsp[pos++];
      if (pos >= rbsp.size()) return false;
      value += rbsp[pos++];
      return true;
    };
    size_t type = 0;
    size_t payload = 0;
    if (!read_varint(type) || !read_varint(payload)) return false;
    if (type == kH264SeiRecoveryPoint) return true;
    if (payload > rbsp.size() - pos) return false;
    pos += payload;
  }
  return false;
}

void inspect_h264_nal(const uint8_t* nal, size_t size, PacketTraits& traits, bool& all_non_ref) {
  const int type = nal[0] & 0x1F;
  const int ref_idc = (nal[0] >> 5) & 3;
  if (type >= kH264Slice && type <= kH264Idr) {
    traits.has_picture = true;
    if (type == kH264Idr) traits.idr = traits.irap = true;
    if (ref_idc != 0) all_non_ref = false;
    return;
  }
  if (!harmless_h264_nal(type)) all_non_ref = false;  // Note [Skippable packets]
  if (type == kH264Sps) {
    traits.parameter_sets = true;
  } else if (type == kH264Sei && size > 1) {
    if (h264_sei_has_recovery_point(nal, size)) traits.recovery_point = true;
  }
}

void inspect_hevc_nal(const uint8_t* nal, size_t size, PacketTraits& traits, bool& all_non_ref) {
  if (size < 2) {
    traits.malformed = true;
    return;
  }
  const int type = (nal[0] >> 1) & 0x3F;
  const int temporal_id = (nal[1] & 7) - 1;
  if (type <= kHevcVclMax) {
    traits.has_picture = true;
    traits.temporal_id = std::max(traits.temporal_id, temporal_id);
    if (type >= kHevcBlaWLp && type <= kHevcIrapMax) traits.irap = true;
    if (type >= kHevcBlaWLp && type <= kHevcIdrNLp) traits.idr = true;  // BLA or IDR
    if (!(type <= kHevcSubLayerNonRefMax && type % 2 == 0)) all_non_ref = false;
    return;
  }
  if (!harmless_hevc_nal(type)) all_non_ref = false;  // Note [Skippable packets]
  if (type == kHevcVps || type == kHevcSps) traits.parameter_sets = true;
}

bool is_parameter_set(Codec codec, const uint8_t* nal) {
  if (codec == Codec::kH264) {
    const int type = nal[0] & 0x1F;
    return type == kH264Sps || type == kH264Pps;
  }
  const int type = (nal[0] >> 1) & 0x3F;
  return type == kHevcVps || type == kHevcSps || type == kHevcPps;
}

}  // namespace

std::vector<uint8_t> parameter_set_units(Codec codec, NalLayout layout, const uint8_t* data, size_t size) {
  std::vector<uint8_t> out;
  if (codec != Codec::kH264 && codec != Codec::kHevc) return out;
  for_each_nal(layout, data, size, [&](const uint8_t* nal, size_t len) {
    if (!is_parameter_set(codec, nal)) return;
    static constexpr uint8_t kStartCode[] = {0, 0, 0, 1};
    out.insert(out.end(), std::begin(kStartCode), std::end(kStartCode));
    out.insert(out.end(), nal, nal + len);
  });
  return out;
}

NalLayout detect_nal_layout(Codec codec, const uint8_t* extradata, size_t size) {
  NalLayout layout;
  if (extradata == nullptr || size == 0) return layout;
  if (codec == Codec::kH264 && size >= 7 && extradata[0] == 1) {
    layout.annex_b = false;
    layout.length_size = (extradata[4] & 3) + 1;
  } else if (codec == Codec::kHevc && size >= 23 && (extradata[0] != 0 || extradata[1] != 0 || extradata[2] > 1)) {
    layout.annex_b = false;
    layout.length_size = (extradata[21] & 3) + 1;
  }
  return layout;
}

PacketTraits inspect_packet(Codec codec, NalLayout layout, const uint8_t* data, size_t size) {
  PacketTraits traits;
  if (codec != Codec::kH264 && codec != Codec::kHevc) return traits;
  bool all_non_ref = true;
  bool ok = for_each_nal(layout, data, size, [&](const uint8_t* nal, size_t len) {
    if (codec == Codec::kH264) {
      inspect_h264_nal(nal, len, traits, all_non_ref);
    } else {
      inspect_hevc_nal(nal, len, traits, all_non_ref);
    }
  });
  traits.malformed = traits.malformed || !ok;
  traits.non_reference = traits.has_picture && all_non_ref;
  return traits;
}

}  // namespace odvd
