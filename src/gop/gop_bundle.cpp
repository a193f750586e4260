// The GOP bundle format, version 2 (and the reading of version 1): writer, reader, merge (docs/formats/gop-bundle.md is
// normative; the function names below follow its sections). The record rules live in
// gop_record.cpp, the accvlab reader in legacy_bundle.cpp.
//
// Reading discipline: every byte comes through a ByteReader, which checks the bytes
// left before each read; a count is multiplied out and checked against the bytes
// present (ByteReader::need) before anything is reserved from it; sizes are summed in
// 64 bits with saturation. So hostile input can neither read out of bounds nor make us
// allocate more than it is long.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "gop/bundle_format.hpp"
#include "gop/legacy_bundle.hpp"
#include "util/byte_io.hpp"

namespace odvd {
namespace {

using namespace bundle_format;

// Note [Fuzzing past the checksum]: libFuzzer cannot fix up a record's CRC after it
// mutates the body, so with checksums enforced almost every mutation of one of our
// bundles stops at "checksum mismatch" and the body's rules are never fuzzed. The
// fuzzer therefore compiles its own copy of these sources with
// FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (OSS-Fuzz's convention, set only by
// tests/fuzz/CMakeLists.txt), which computes but does not enforce the checksum. The
// library and its unit tests always enforce it.
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
constexpr bool kEnforceChecksums = false;
#else
constexpr bool kEnforceChecksums = true;
#endif

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

std::string hex_bytes(const uint8_t* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(p[i]));
    out += (i ? " " : "") + std::string(buf);
  }
  return out;
}

// ---- Writing -------------------------------------------------------------------------

void write_fixed_part(ByteWriter& w, const GopRecord& r) {
  for (int32_t v : {static_cast<int32_t>(r.codec), r.av_codec_id, r.av_pixel_format, r.width, r.height, r.bit_depth,
                    r.chroma_format, static_cast<int32_t>(r.color.range), static_cast<int32_t>(r.color.matrix),
                    r.time_base_num, r.time_base_den, r.first_frame_id, r.frame_count}) {
    w.i32(v);
  }
  // Sizes fit in a u32: find_record_problem() checked them.
  w.u32(static_cast<uint32_t>(r.packets.size()));
  w.u32(static_cast<uint32_t>(r.parameter_sets.size()));
  w.u32(static_cast<uint32_t>(r.source.size()));
  w.i32(r.video_stream);
}

void write_packet_table(ByteWriter& w, const GopRecord& r) {
  for (const BundlePacket& p : r.packets) {
    w.i64(p.pts);
    w.i64(p.dts);
    w.u32(static_cast<uint32_t>(p.data.size()));
    w.i32(p.frame_id);
    w.u32((p.key ? kFlagKey : 0u) | (p.skippable ? kFlagSkippable : 0u));
  }
}

void write_record(ByteWriter& w, const GopRecord& r) {
  w.u32(kRecordMagic);
  w.u64(record_body_bytes(r));
  const size_t crc_at = w.size();
  w.u32(0);  // the checksum, patched once the body is written
  const size_t body_at = w.size();
  write_fixed_part(w, r);
  write_packet_table(w, r);
  w.bytes(r.parameter_sets);
  w.bytes(reinterpret_cast<const uint8_t*>(r.source.data()), r.source.size());
  for (const BundlePacket& p : r.packets) w.bytes(p.data);
  ODVD_CHECK(w.size() - body_at == record_body_bytes(r));
  w.patch_u32(crc_at, crc32(w.data() + body_at, w.size() - body_at));
}

// ---- Reading ours ----------------------------------------------------------------------

// The fixed part of a body: the record's stream and GOP fields, and the sizes of the
// parts that follow.
struct FixedPart {
  GopRecord record;
  uint32_t packet_count = 0;
  uint32_t parameter_sets_size = 0;
  uint32_t source_size = 0;
};

// Note [Bundle versions]: version 2 added the record's video_stream (which of the
// source's video streams the GOP came from) as the last field of the fixed part.
// Version 1 bundles stay readable, since users keep extracted datasets on disk: their
// records read as video_stream -1 (unknown), and anything written again is version 2.
FixedPart read_fixed_part(ByteReader& in, uint32_t version) {
  FixedPart f;
  GopRecord& r = f.record;
  // Every value of the underlying int32_t is a valid value of these enums (fixed
  // underlying type), so the casts are defined; the rules reject unknown ones later.
  r.codec = static_cast<Codec>(in.i32("codec"));
  r.av_codec_id = in.i32("av_codec_id");
  r.av_pixel_format = in.i32("av_pixel_format");
  r.width = in.i32("width");
  r.height = in.i32("height");
  r.bit_depth = in.i32("bit_depth");
  r.chroma_format = in.i32("chroma_format");
  r.color.range = static_cast<ColorRange>(in.i32("color_range"));
  r.color.matrix = static_cast<ColorMatrix>(in.i32("color_matrix"));
  r.time_base_num = in.i32("time_base_num");
  r.time_base_den = in.i32("time_base_den");
  r.first_frame_id = in.i32("first_frame_id");
  r.frame_count = in.i32("frame_count");
  f.packet_count = in.u32("packet_count");
  f.parameter_sets_size = in.u32("parameter_sets_size");
  f.source_size = in.u32("source_size");
  if (version >= 2) r.video_stream = in.i32("video_stream");
  return f;
}

// Reads the packet table into record.packets (without their data); returns the sizes.
std::vector<uint32_t> read_packet_table(ByteReader& in, uint32_t count, GopRecord& record) {
  in.need(uint64_t{count} * kPacketEntryBytes, "packet table");  // before reserving from count
  record.packets.resize(count);
  std::vector<uint32_t> sizes(count);
  for (uint32_t i = 0; i < count; ++i) {
    BundlePacket& p = record.packets[i];
    p.pts = in.i64("pts");
    p.dts = in.i64("dts");
    sizes[i] = in.u32("packet size");
    p.frame_id = in.i32("frame_id");
    const uint32_t flags = in.u32("flags");
    if (flags & ~kKnownFlags) in.fail(cat("packet ", i, ": unknown flag bits ", hex32(flags & ~kKnownFlags)));
    p.key = (flags & kFlagKey) != 0;
    p.skippable = (flags & kFlagSkippable) != 0;
  }
  return sizes;
}

// Reads the parameter sets, the source label and the payload, which must fill the rest
// of the body exactly.
void read_variable_part(ByteReader& in, const FixedPart& f, const std::vector<uint32_t>& sizes, GopRecord& record) {
  uint64_t payload = 0;
  for (uint32_t s : sizes) payload = add_sat(payload, s);
  const uint64_t described = add_sat(add_sat(f.parameter_sets_size, f.source_size), payload);
  if (described != in.remaining()) {
    in.fail(cat("the body has ", in.remaining(), " bytes after the packet table, but its sizes describe ", described,
                " (parameter sets ", f.parameter_sets_size, " + source ", f.source_size, " + payload ", payload, ")"));
  }
  const uint8_t* ps = in.bytes(f.parameter_sets_size, "parameter sets");
  record.parameter_sets.assign(ps, ps + f.parameter_sets_size);
  const uint8_t* src = in.bytes(f.source_size, "source");
  record.source.assign(reinterpret_cast<const char*>(src), f.source_size);
  for (size_t i = 0; i < sizes.size(); ++i) {
    const uint8_t* p = in.bytes(sizes[i], "packet data");
    record.packets[i].data.assign(p, p + sizes[i]);
  }
}

GopRecord read_body(ByteReader& body, uint32_t version, const BundleLimits& limits) {
  FixedPart f = read_fixed_part(body, version);
  if (f.packet_count > limits.max_packets_per_record) {
    body.fail(cat(f.packet_count, " packets exceed the limit of ", limits.max_packets_per_record));
  }
  const std::vector<uint32_t> sizes = read_packet_table(body, f.packet_count, f.record);
  read_variable_part(body, f, sizes, f.record);
  const std::string problem = find_record_problem(f.record, limits);
  if (!problem.empty()) body.fail(problem);
  return std::move(f.record);
}

GopRecord read_record(ByteReader& in, uint32_t version, const BundleLimits& limits) {
  const uint32_t magic = in.u32("record magic");
  if (magic != kRecordMagic) in.fail(cat("record magic ", hex32(magic), " is not 'GREC': the bundle is damaged"));
  const uint64_t body_size = in.u64("body size");
  if (body_size > limits.max_record_bytes) {
    in.fail(cat("body of ", body_size, " bytes exceeds the limit of ", limits.max_record_bytes));
  }
  const uint32_t stored = in.u32("checksum");
  const uint64_t origin = in.offset();
  const uint8_t* body = in.bytes(body_size, "record body");
  const uint32_t computed = crc32(body, static_cast<size_t>(body_size));
  if (stored != computed && kEnforceChecksums) {  // Note [Fuzzing past the checksum]
    in.fail(
        cat("checksum mismatch (stored ", hex32(stored), ", computed ", hex32(computed), "): the bundle is damaged"));
  }
  ByteReader body_reader(body, static_cast<size_t>(body_size), in.context(), origin);
  return read_body(body_reader, version, limits);
}

std::vector<GopRecord> parse_ours(const uint8_t* data, size_t size, const std::string& what,
                                  const BundleLimits& limits) {
  ByteReader in(data, size, what);
  in.bytes(sizeof kMagic, "magic");
  const uint32_t version = in.u32("version");
  if (version < kOldestVersion || version > kVersion) {
    in.fail(cat("bundle format version ", version, "; this library reads versions ", kOldestVersion, "..", kVersion));
  }
  const uint32_t count = in.u32("record count");
  if (count > limits.max_records) in.fail(cat(count, " records exceed the limit of ", limits.max_records));
  std::vector<GopRecord> records;  // not reserved from count: nothing says the records are there
  for (uint32_t i = 0; i < count; ++i) {
    in.set_context(what + ": " + record_label(i, count));
    records.push_back(read_record(in, version, limits));
  }
  in.set_context(what);
  if (!in.at_end()) in.fail(cat(in.remaining(), " trailing bytes after the last record, at offset ", in.offset()));
  return records;
}

// True when the input is, by its first bytes, a bundle of ours whose magic is damaged
// or cut short. A legacy bundle starts with a small record count and offset, whose high
// bytes are zero, so it never matches 6 of the magic's 8 (non-zero) bytes.
bool looks_like_damaged_magic(const uint8_t* data, size_t size) {
  if (size < sizeof kMagic) return std::memcmp(data, kMagic, size) == 0;
  int matching = 0;
  for (size_t i = 0; i < sizeof kMagic; ++i) matching += data[i] == static_cast<uint8_t>(kMagic[i]);
  return matching >= 6;
}

[[noreturn]] void reject_damaged_magic(const uint8_t* data, size_t size, const std::string& what) {
  if (size < sizeof kMagic) throw MediaError(cat(what, ": truncated: ", size, " bytes of a bundle header"));
  throw MediaError(cat(what, ": bundle magic damaged: found ", hex_bytes(data, sizeof kMagic), ", expected ",
                       hex_bytes(reinterpret_cast<const uint8_t*>(kMagic), sizeof kMagic), " ('ODVDGOPB')"));
}

}  // namespace

std::vector<uint8_t> serialize_bundle(const std::vector<GopRecord>& records) {
  const BundleLimits limits;  // the defaults: what we write must parse with them
  if (records.size() > limits.max_records) {
    throw ArgumentError(cat("serialize_bundle: ", records.size(), " records exceed the limit of ", limits.max_records));
  }
  uint64_t total = kHeaderBytes;
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string problem = find_record_problem(records[i], limits);
    if (!problem.empty()) throw ArgumentError("serialize_bundle: " + record_label(i, records.size()) + ": " + problem);
    total = add_sat(total, add_sat(kRecordHeaderBytes, record_body_bytes(records[i])));
  }
  ByteWriter w;
  w.reserve(static_cast<size_t>(total));
  w.bytes(reinterpret_cast<const uint8_t*>(kMagic), sizeof kMagic);
  w.u32(kVersion);
  w.u32(static_cast<uint32_t>(records.size()));
  for (const GopRecord& r : records) write_record(w, r);
  return w.take();
}

void check_bundle_head(const uint8_t* head, size_t n, uint64_t size, const std::string& what) {
  if (size == 0) throw MediaError(what + ": empty (0 bytes): not a bundle");
  if (n >= sizeof kMagic && std::memcmp(head, kMagic, sizeof kMagic) == 0) return;
  if (looks_like_damaged_magic(head, std::min(n, sizeof kMagic))) return;  // the parser names the damage
  // An accvlab bundle: a record count >= 1, then the offset table, whose first entry is
  // where the table ends (the first record follows it).
  if (n >= 12) {
    const uint64_t count = load_le(head, 4);
    const uint64_t first = load_le(head + 4, 8);
    if (count >= 1 && first == 4 + 8 * count && first <= size) return;
  }
  throw MediaError(cat(what, ": not a GOP bundle: ", size, " bytes beginning ",
                       hex_bytes(head, std::min<size_t>(n, 12)),
                       " (a bundle of ours begins with 'ODVDGOPB'; one of accvlab's with a record count >= 1 and "
                       "the offset of its first record)"));
}

std::vector<GopRecord> parse_bundle(const uint8_t* data, size_t size, const std::string& what,
                                    const BundleLimits& limits) {
  check_bundle_head(data, std::min<size_t>(size, 16), size, what);
  if (size >= sizeof kMagic && std::memcmp(data, kMagic, sizeof kMagic) == 0) {
    return parse_ours(data, size, what, limits);
  }
  if (looks_like_damaged_magic(data, size)) reject_damaged_magic(data, size, what);
  return parse_legacy_bundle(data, size, what, limits);
}

std::vector<uint8_t> validated_bundle(std::vector<uint8_t> raw, const std::string& what, const BundleLimits& limits) {
  std::vector<GopRecord> records = parse_bundle(raw.data(), raw.size(), what, limits);
  if (raw.size() >= sizeof kMagic && std::memcmp(raw.data(), kMagic, sizeof kMagic) == 0) return raw;  // moved
  return serialize_bundle(records);
}

std::vector<uint8_t> merge_bundles(const std::vector<std::pair<const uint8_t*, size_t>>& bundles,
                                   const BundleLimits& limits) {
  if (bundles.empty()) throw ArgumentError("merge_bundles: no bundles to merge");
  std::vector<GopRecord> records;
  for (size_t i = 0; i < bundles.size(); ++i) {
    std::vector<GopRecord> part =
        parse_bundle(bundles[i].first, bundles[i].second, cat("bundle ", i, " of ", bundles.size()), limits);
    for (GopRecord& r : part) records.push_back(std::move(r));
  }
  return serialize_bundle(records);
}

}  // namespace odvd
