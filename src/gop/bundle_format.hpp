// Constants of the GOP bundle byte format, version 2 (docs/formats/gop-bundle.md is the
// normative description; the sizes here must match its tables), and the record rules
// that both the writer and the readers apply. Version 1 is still read (Note [Bundle
// versions] in gop_bundle.cpp).
//
// Internal to the bundle layer and its tests. Constants and pure functions: call from
// any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "gop/gop_bundle.hpp"

namespace odvd {
namespace bundle_format {

constexpr char kMagic[8] = {'O', 'D', 'V', 'D', 'G', 'O', 'P', 'B'};
constexpr uint32_t kVersion = 2;               // what serialize_bundle() writes
constexpr uint32_t kOldestVersion = 1;         // the oldest version parse_bundle() reads
constexpr uint32_t kRecordMagic = 0x43455247;  // the bytes 'G' 'R' 'E' 'C', read little-endian

constexpr size_t kHeaderBytes = 16;        // magic, version, record_count
constexpr size_t kRecordHeaderBytes = 16;  // magic, body_size, crc32
constexpr size_t kFixedBodyBytes = 68;     // the 17 four-byte fields before the packet table (64 in version 1)
constexpr size_t kPacketEntryBytes = 28;   // pts, dts, size, frame_id, flags

constexpr uint32_t kFlagKey = 1u << 0;
constexpr uint32_t kFlagSkippable = 1u << 1;
constexpr uint32_t kKnownFlags = kFlagKey | kFlagSkippable;

// The parts joined into one string, for messages. Deliberately not an ostringstream:
// iostreams crashed inside the extension module on the GPU machine (locale facets of
// a libstdc++ that was not initialised for this module), and messages need no locale.
inline void append_part(std::string& out, const std::string& s) {
  out += s;
}
inline void append_part(std::string& out, const char* s) {
  out += s;
}
inline void append_part(std::string& out, char c) {
  out += c;
}
template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
void append_part(std::string& out, T v) {
  out += std::to_string(v);
}

template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (append_part(out, parts), ...);
  return out;
}

// a + b, or the largest u64 when that overflows: a sum of hostile sizes then still
// compares correctly against a limit.
inline uint64_t add_sat(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max() : a + b;
}

// "record 2 of 5" (records numbered from 0, as Python lists are).
inline std::string record_label(size_t index, size_t count) {
  return cat("record ", index, " of ", count);
}

}  // namespace bundle_format

// The first rule of the format `record` breaks, as a message fragment ("packet 12:
// frame id 40 outside the GOP's frames 30..39"), or "" when it breaks none. Checks
// every field rule of the format document; the byte-level rules (sizes, flags,
// checksum) belong to the parser. Callers add the bundle and record to the message and
// choose the error type (ArgumentError when writing, MediaError when reading).
std::string find_record_problem(const GopRecord& record, const BundleLimits& limits);

// The body size of `record` in the format version written (kVersion), computed without overflow (u64). The
// record's sizes must each fit in a u32 (find_record_problem checks that).
uint64_t record_body_bytes(const GopRecord& record);

}  // namespace odvd
