// The accvlab ("legacy") bundle reader; docs/formats/gop-bundle.md, "Legacy bundles
// (accvlab)", is the normative description of what is read and how it is converted.
#include "gop/legacy_bundle.hpp"

#include <limits>
#include <utility>

#include "gop/bundle_format.hpp"
#include "odvd/codecs.hpp"
#include "util/byte_io.hpp"

namespace odvd {
namespace {

using bundle_format::add_sat;
using bundle_format::cat;

// The seven i32 fields that open a legacy record, in their order in the bytes.
struct LegacyFields {
  int32_t color_range = 0;
  int32_t codec = 0;  // cudaVideoCodec
  int32_t width = 0;
  int32_t height = 0;
  int32_t frame_size = 0;  // informational: accvlab's decoded-picture size
  int32_t gop_len = 0;
  int32_t first_frame_id = 0;
};

struct LegacyRecord {
  LegacyFields fields;
  std::vector<int32_t> sizes;        // one per packet, sentinels removed
  std::vector<int32_t> display_ids;  // one per packet, sentinels removed
  const uint8_t* payload = nullptr;  // sum(sizes) bytes, in the input buffer
};

LegacyFields read_fields(ByteReader& in) {
  LegacyFields f;
  f.color_range = in.i32("colour range");
  f.codec = in.i32("codec");
  f.width = in.i32("width");
  f.height = in.i32("height");
  f.frame_size = in.i32("frame size");
  f.gop_len = in.i32("GOP length");
  f.first_frame_id = in.i32("first frame id");
  return f;
}

// `count` i32 values; their bytes are checked present before anything is reserved.
std::vector<int32_t> read_i32_list(ByteReader& in, uint32_t count, const char* field) {
  in.need(uint64_t{count} * 4, field);
  std::vector<int32_t> list(count);
  for (int32_t& v : list) v = in.i32(field);
  return list;
}

// The packet-size list: count c, then c - 2 sizes and the sentinels 0, -1.
std::vector<int32_t> read_packet_sizes(ByteReader& in, const BundleLimits& limits) {
  const uint32_t count = in.u32("packet-size count");
  if (count < 3) in.fail(cat("packet-size list of ", count, " entries (at least one packet and the sentinels 0, -1)"));
  if (count - 2 > limits.max_packets_per_record) {
    in.fail(cat(count - 2, " packets exceed the limit of ", limits.max_packets_per_record));
  }
  std::vector<int32_t> sizes = read_i32_list(in, count, "packet-size list");
  if (sizes[count - 2] != 0 || sizes[count - 1] != -1) {
    in.fail(cat("packet-size list ends in ", sizes[count - 2], ", ", sizes[count - 1], ", not the sentinels 0, -1"));
  }
  sizes.resize(count - 2);
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 1) in.fail(cat("packet ", i, ": size ", sizes[i], " (at least 1)"));
  }
  return sizes;
}

// The display-id list: as many entries as the size list, ending in the sentinels 0, 0.
std::vector<int32_t> read_display_ids(ByteReader& in, size_t packets) {
  const uint32_t count = in.u32("display-id count");
  if (count != packets + 2)
    in.fail(cat("display-id list of ", count, " entries for ", packets, " packets (needs ", packets + 2, ")"));
  std::vector<int32_t> ids = read_i32_list(in, count, "display-id list");
  if (ids[count - 2] != 0 || ids[count - 1] != 0) {
    in.fail(cat("display-id list ends in ", ids[count - 2], ", ", ids[count - 1], ", not the sentinels 0, 0"));
  }
  ids.resize(packets);
  return ids;
}

LegacyRecord read_record(ByteReader& in, const BundleLimits& limits) {
  LegacyRecord r;
  r.fields = read_fields(in);
  if (r.fields.frame_size < 0) in.fail(cat("frame size ", r.fields.frame_size, " is negative"));
  r.sizes = read_packet_sizes(in, limits);
  r.display_ids = read_display_ids(in, r.sizes.size());
  uint64_t sum = 0;
  for (int32_t s : r.sizes) sum = add_sat(sum, static_cast<uint64_t>(s));
  const uint64_t payload_size = in.u64("payload size");
  if (payload_size != sum) in.fail(cat("payload size ", payload_size, " is not the sum of the packet sizes, ", sum));
  if (payload_size > limits.max_record_bytes) {
    in.fail(cat("payload of ", payload_size, " bytes exceeds the limit of ", limits.max_record_bytes));
  }
  r.payload = in.bytes(payload_size, "payload");
  return r;
}

// The absolute frame id of each packet: the display ids as they are, when all lie in
// the GOP's frames, else as offsets from its first frame, when all lie in 0..len-1.
std::vector<int32_t> absolute_frame_ids(const LegacyRecord& r, ByteReader& in) {
  const int64_t first = r.fields.first_frame_id;
  const int64_t len = r.fields.gop_len;
  if (first < 0 || len < 1 || first + len > std::numeric_limits<int32_t>::max()) {
    in.fail(cat("GOP of ", len, " frames from frame ", first, " (needs a first id >= 0 and a length >= 1)"));
  }
  bool absolute = true;
  bool relative = true;
  for (int32_t id : r.display_ids) {
    absolute = absolute && id >= first && id < first + len;
    relative = relative && id >= 0 && id < len;
  }
  if (!absolute && !relative) {
    in.fail(
        cat("display ids fit neither the GOP's frames ", first, "..", first + len - 1, " nor offsets 0..", len - 1));
  }
  std::vector<int32_t> ids = r.display_ids;
  if (!absolute) {
    for (int32_t& id : ids) id = static_cast<int32_t>(first + id);  // fits: first + len fits
  }
  return ids;
}

GopRecord convert(const LegacyRecord& r, ByteReader& in) {
  GopRecord g;
  g.codec = static_cast<Codec>(r.fields.codec);  // defined: Codec's underlying type is int32_t
  if (codec_entry(g.codec) == nullptr) {
    in.fail(cat("codec ", r.fields.codec, " is not a cudaVideoCodec number this reader knows"));
  }
  g.av_codec_id = 0;  // unknown here: the decoder derives it from the codec (complete_stream_description)
  g.width = r.fields.width;
  g.height = r.fields.height;
  g.color.range = static_cast<ColorRange>(r.fields.color_range);  // checked by the record rules
  g.first_frame_id = r.fields.first_frame_id;
  g.frame_count = r.fields.gop_len;
  const std::vector<int32_t> ids = absolute_frame_ids(r, in);
  const uint8_t* data = r.payload;
  g.packets.resize(r.sizes.size());
  for (size_t i = 0; i < r.sizes.size(); ++i) {
    BundlePacket& p = g.packets[i];
    p.pts = p.dts = ids[i];
    p.frame_id = ids[i];
    p.key = i == 0;
    p.data.assign(data, data + r.sizes[i]);
    data += r.sizes[i];
  }
  return g;  // bit depth, chroma, matrix, time base, parameter sets, source: the defaults
}

std::vector<uint64_t> read_offsets(ByteReader& in, uint32_t count) {
  in.need(uint64_t{count} * 8, "record offset table");
  std::vector<uint64_t> offsets(count);
  for (uint64_t& off : offsets) off = in.u64("record offset");
  return offsets;
}

}  // namespace

std::vector<GopRecord> parse_legacy_bundle(const uint8_t* data, size_t size, const std::string& what,
                                           const BundleLimits& limits) {
  const std::string base = what + ": legacy (accvlab) bundle";
  ByteReader in(data, size, base);
  const uint32_t count = in.u32("record count");
  if (count == 0) in.fail("holds no records");
  if (count > limits.max_records) in.fail(cat(count, " records exceed the limit of ", limits.max_records));
  const std::vector<uint64_t> offsets = read_offsets(in, count);
  std::vector<GopRecord> records;
  for (uint32_t i = 0; i < count; ++i) {
    in.set_context(base + ": " + bundle_format::record_label(i, count));
    if (offsets[i] != in.offset()) {
      in.fail(cat("starts at offset ", offsets[i], "; the ", i == 0 ? "offset table" : "previous record", " ends at ",
                  in.offset(), " (records follow it back to back)"));
    }
    GopRecord record = convert(read_record(in, limits), in);
    const std::string problem = find_record_problem(record, limits);
    if (!problem.empty()) in.fail(problem);
    records.push_back(std::move(record));
  }
  in.set_context(base);
  if (!in.at_end()) in.fail(cat(in.remaining(), " trailing bytes after the last record, at offset ", in.offset()));
  return records;
}

}  // namespace odvd
