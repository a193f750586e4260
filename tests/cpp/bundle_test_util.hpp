// Test-only builders for GOP bundles, shared by the bundle unit tests and the fuzzer's
// seed generator (tests/fuzz/make_seeds.cpp).
//
// write_raw() and write_legacy() are independent writers of the two layouts, written
// from docs/formats/gop-bundle.md rather than from the library's writer: they check
// nothing, so tests can build bundles that break any rule, and write_raw() of a valid
// record must equal serialize_bundle() byte for byte (the layout test).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gop/gop_bundle.hpp"

namespace odvd::bundle_test {

inline void put_le(std::vector<uint8_t>& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  put_le(out, v, 4);
}
inline void put_i32(std::vector<uint8_t>& out, int32_t v) {
  put_le(out, static_cast<uint32_t>(v), 4);
}
inline void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  put_le(out, v, 8);
}
inline void put_i64(std::vector<uint8_t>& out, int64_t v) {
  put_le(out, static_cast<uint64_t>(v), 8);
}
inline void append(std::vector<uint8_t>& out, const std::vector<uint8_t>& bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}
// Overwrites 4 bytes at `at` with v, little-endian.
inline void patch_i32(std::vector<uint8_t>& out, size_t at, int32_t v) {
  for (int i = 0; i < 4; ++i) out.at(at + i) = static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * i));
}

// `n` bytes of deterministic filler: an Annex-B start code, then a pattern from `seed`.
inline std::vector<uint8_t> filler(size_t n, int seed) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed * 31 + static_cast<int>(i) * 7 + 1);
  const uint8_t start[4] = {0, 0, 0, 1};
  for (size_t i = 0; i < n && i < 4; ++i) out[i] = start[i];
  return out;
}

// A valid H.264 record of GOP first..first+frames-1 (frames >= 1): the key presents
// `first`, then pairs in P-B order (first+2, first+1, first+4, first+3, ...), and, when
// `leading`, one skippable picture with frame id -1 right after the key.
inline GopRecord make_record(int32_t first, int32_t frames, int seed, bool leading = false) {
  GopRecord r;
  r.codec = Codec::kH264;
  r.av_codec_id = 27;
  r.av_pixel_format = 0;
  r.width = 64;
  r.height = 48;
  r.color = ColorInfo{ColorRange::kLimited, ColorMatrix::kBt709};
  r.time_base_num = 1;
  r.time_base_den = 25;
  r.first_frame_id = first;
  r.frame_count = frames;
  r.source = "videos/clip_" + std::to_string(seed) + ".mp4";
  r.parameter_sets = filler(9, seed + 100);
  std::vector<int32_t> order{first};
  for (int32_t k = 1; k < frames; k += 2) {
    if (k + 1 < frames) order.push_back(first + k + 1);
    order.push_back(first + k);
  }
  for (size_t i = 0; i < order.size(); ++i) {
    BundlePacket p;
    p.frame_id = order[i];
    p.pts = p.frame_id * int64_t{2};
    p.dts = static_cast<int64_t>(i) * 2 - 4;
    p.key = i == 0;
    p.skippable = order[i] < (i == 0 ? order[0] : order[i - 1]);  // a B picture
    p.data = filler(5 + (i * 3 + static_cast<size_t>(seed)) % 11, seed + static_cast<int>(i));
    r.packets.push_back(p);
    if (i == 0 && leading) {
      BundlePacket lead;
      lead.frame_id = -1;
      lead.pts = first * int64_t{2} - 1;
      lead.dts = -3;
      lead.skippable = true;
      lead.data = filler(6, seed + 50);
      r.packets.push_back(lead);
    }
  }
  return r;
}

// Options for write_raw() to break the byte-level rules the record rules cannot express.
struct RawOptions {
  uint32_t version = 2;         // 1 writes the older layout (no video_stream field)
  uint32_t extra_flags = 0;     // ORed into every packet's flags
  size_t extra_body_bytes = 0;  // zero bytes appended to each body (body_size includes them)
  bool wrong_checksum = false;  // stores the checksum + 1
};

// Our layout, version 2 (or 1), written field by field from the format document.
inline std::vector<uint8_t> write_raw(const std::vector<GopRecord>& records, const RawOptions& o = {}) {
  std::vector<uint8_t> out{'O', 'D', 'V', 'D', 'G', 'O', 'P', 'B'};
  put_u32(out, o.version);
  put_u32(out, static_cast<uint32_t>(records.size()));
  for (const GopRecord& r : records) {
    std::vector<uint8_t> body;
    for (int32_t v : {static_cast<int32_t>(r.codec), r.av_codec_id, r.av_pixel_format, r.width, r.height, r.bit_depth,
                      r.chroma_format, static_cast<int32_t>(r.color.range), static_cast<int32_t>(r.color.matrix),
                      r.time_base_num, r.time_base_den, r.first_frame_id, r.frame_count}) {
      put_i32(body, v);
    }
    put_u32(body, static_cast<uint32_t>(r.packets.size()));
    put_u32(body, static_cast<uint32_t>(r.parameter_sets.size()));
    put_u32(body, static_cast<uint32_t>(r.source.size()));
    if (o.version >= 2) put_i32(body, r.video_stream);
    for (const BundlePacket& p : r.packets) {
      put_i64(body, p.pts);
      put_i64(body, p.dts);
      put_u32(body, static_cast<uint32_t>(p.data.size()));
      put_i32(body, p.frame_id);
      put_u32(body, (p.key ? 1u : 0u) | (p.skippable ? 2u : 0u) | o.extra_flags);
    }
    append(body, r.parameter_sets);
    body.insert(body.end(), r.source.begin(), r.source.end());
    for (const BundlePacket& p : r.packets) append(body, p.data);
    body.resize(body.size() + o.extra_body_bytes, 0);
    put_u32(out, 0x43455247);  // "GREC"
    put_u64(out, body.size());
    put_u32(out, crc32(body.data(), body.size()) + (o.wrong_checksum ? 1 : 0));
    append(out, body);
  }
  return out;
}

// One record of the accvlab layout, before encoding: write_legacy() adds the sentinels.
struct LegacyRecord {
  int32_t color_range = 1;
  int32_t codec = 4;  // cudaVideoCodec_H264
  int32_t width = 64;
  int32_t height = 48;
  int32_t frame_size = 64 * 48 * 3 / 2;
  int32_t gop_len = 0;
  int32_t first_frame_id = 0;
  std::vector<std::vector<uint8_t>> packets;  // decode order
  std::vector<int32_t> display_ids;           // one per packet
};

// A legacy record of GOP first..first+len-1 with the ids absolute or relative to first.
inline LegacyRecord make_legacy(int32_t first, int32_t len, bool relative, int seed) {
  LegacyRecord r;
  r.first_frame_id = first;
  r.gop_len = len;
  GopRecord shape = make_record(first, len, seed);
  for (const BundlePacket& p : shape.packets) {
    r.packets.push_back(p.data);
    r.display_ids.push_back(relative ? p.frame_id - first : p.frame_id);
  }
  return r;
}

// The accvlab layout: u32 count, u64 absolute offsets, records back to back.
inline std::vector<uint8_t> write_legacy(const std::vector<LegacyRecord>& records) {
  std::vector<std::vector<uint8_t>> encoded;
  for (const LegacyRecord& r : records) {
    std::vector<uint8_t> e;
    for (int32_t v : {r.color_range, r.codec, r.width, r.height, r.frame_size, r.gop_len, r.first_frame_id}) {
      put_i32(e, v);
    }
    put_u32(e, static_cast<uint32_t>(r.packets.size() + 2));
    uint64_t payload = 0;
    for (const auto& p : r.packets) {
      put_i32(e, static_cast<int32_t>(p.size()));
      payload += p.size();
    }
    put_i32(e, 0);
    put_i32(e, -1);
    put_u32(e, static_cast<uint32_t>(r.display_ids.size() + 2));
    for (int32_t id : r.display_ids) put_i32(e, id);
    put_i32(e, 0);
    put_i32(e, 0);
    put_u64(e, payload);
    for (const auto& p : r.packets) append(e, p);
    encoded.push_back(std::move(e));
  }
  std::vector<uint8_t> out;
  put_u32(out, static_cast<uint32_t>(records.size()));
  uint64_t offset = 4 + 8 * records.size();
  for (const auto& e : encoded) {
    put_u64(out, offset);
    offset += e.size();
  }
  for (const auto& e : encoded) append(out, e);
  return out;
}

}  // namespace odvd::bundle_test
