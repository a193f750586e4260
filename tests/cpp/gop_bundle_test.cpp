// The GOP bundle format (docs/formats/gop-bundle.md): byte I/O, CRC-32, layout, round
// trips, merge, every record rule, and the corruption sweep. Legacy bundles are in
// legacy_bundle_test.cpp.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bundle_test_util.hpp"
#include "gop/bundle_format.hpp"
#include "gop/gop_bundle.hpp"
#include "odvd/error.hpp"
#include "util/byte_io.hpp"

namespace odvd {
namespace {

using namespace bundle_test;

std::vector<GopRecord> parse(const std::vector<uint8_t>& b, const BundleLimits& limits = {}) {
  return parse_bundle(b.data(), b.size(), "test.gop", limits);
}

// The message of the MediaError parsing `b` raises ("" when it parses).
std::string parse_error(const std::vector<uint8_t>& b, const BundleLimits& limits = {}) {
  try {
    parse(b, limits);
  } catch (const MediaError& e) {
    return e.what();
  }
  return "";
}

std::string serialize_error(const GopRecord& r) {
  try {
    serialize_bundle({r});
  } catch (const ArgumentError& e) {
    return e.what();
  }
  return "";
}

uint32_t crc_of(const std::string& s) {
  return crc32(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(ByteIo, ReadsLittleEndianAndNamesTheShortfall) {
  const std::vector<uint8_t> b{0x78, 0x56, 0x34, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2};
  ByteReader in(b.data(), b.size(), "ctx", 100);
  EXPECT_EQ(in.u32("a"), 0x12345678u);
  EXPECT_EQ(in.i32("b"), -1);
  EXPECT_EQ(in.offset(), 108u);
  try {
    in.u64("field");
    FAIL() << "read past the end";
  } catch (const MediaError& e) {
    EXPECT_STREQ(e.what(), "ctx: truncated: field needs 8 bytes at offset 108, only 2 remain");
  }
  EXPECT_EQ(in.remaining(), 2u);  // a failed read consumes nothing
  EXPECT_THROW(in.bytes(uint64_t{1} << 63, "huge"), MediaError);

  ByteWriter w;
  w.i64(-2);
  w.u32(0);
  w.patch_u32(8, 0xA1B2C3D4);
  const std::vector<uint8_t> out = w.take();
  EXPECT_EQ(out, (std::vector<uint8_t>{0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xD4, 0xC3, 0xB2, 0xA1}));
}

TEST(Crc32, MatchesZlib) {
  EXPECT_EQ(crc_of(""), 0u);
  EXPECT_EQ(crc_of("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc_of("a"), 0xE8B7BE43u);
  EXPECT_EQ(crc_of("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
  const std::string a = "The quick brown ", b = "fox jumps over the lazy dog";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(b.data()), b.size(), crc_of(a)), crc_of(a + b));
}

// The eight-byte steps against the definition, bit by bit: every length 0..80 at every
// alignment, so both the 8-byte loop and the tail are covered.
TEST(Crc32, SlicedStepsMatchTheBitwiseDefinition) {
  auto bitwise = [](const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
      c ^= p[i];
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
  };
  std::vector<uint8_t> data(96);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 37 + 11);
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n = 0; n <= 80; ++n) {
      ASSERT_EQ(crc32(data.data() + offset, n), bitwise(data.data() + offset, n)) << offset << " " << n;
    }
  }
}

TEST(GopBundle, LayoutMatchesTheFormatDocument) {
  GopRecord r = make_record(30, 4, 1, true);
  r.video_stream = 3;
  const std::vector<uint8_t> b = serialize_bundle({r});
  EXPECT_EQ(b, write_raw({r}));  // an independent writer of the documented layout
  EXPECT_EQ(std::memcmp(b.data(), "ODVDGOPB", 8), 0);
  EXPECT_EQ(load_le(&b[8], 4), 2u);   // version
  EXPECT_EQ(load_le(&b[12], 4), 1u);  // record count
  EXPECT_EQ(std::memcmp(&b[16], "GREC", 4), 0);
  const uint64_t body = load_le(&b[20], 8);
  EXPECT_EQ(b.size(), 16 + 16 + body);
  EXPECT_EQ(load_le(&b[28], 4), crc32(&b[32], body));
  EXPECT_EQ(load_le(&b[32], 4), 4u);                          // codec h264
  EXPECT_EQ(load_le(&b[32 + 48], 4), 4u);                     // frame_count
  EXPECT_EQ(load_le(&b[32 + 52], 4), 5u);                     // packet_count (4 frames + 1 leading)
  EXPECT_EQ(load_le(&b[32 + 64], 4), 3u);                     // video_stream
  EXPECT_EQ(load_le(&b[32 + 68 + 28 + 20], 4), 0xFFFFFFFFu);  // packet 1: frame id -1
  EXPECT_EQ(load_le(&b[32 + 68 + 28 + 24], 4), 2u);           // packet 1: skippable, not key
}

// Note [Bundle versions]: a version 1 bundle (no video_stream field) still reads, its
// records from an unknown stream; written again, it becomes version 2 with the same records.
TEST(GopBundle, ReadsVersionOne) {
  std::vector<GopRecord> two{make_record(0, 3, 0), make_record(3, 5, 1, true)};
  two[1].video_stream = 2;  // not written by version 1
  RawOptions v1;
  v1.version = 1;
  const std::vector<uint8_t> old = write_raw(two, v1);
  EXPECT_EQ(old.size() + 8, write_raw(two).size());  // 4 bytes less per record
  const std::vector<GopRecord> got = parse(old);
  ASSERT_EQ(got.size(), 2u);
  two[1].video_stream = -1;
  EXPECT_EQ(got, two);
  const std::vector<uint8_t> again = serialize_bundle(got);
  EXPECT_EQ(load_le(&again[8], 4), 2u);
  EXPECT_EQ(parse(again), two);
  const std::vector<uint8_t> old_copy = old;
  EXPECT_EQ(validated_bundle(old_copy, "test.gop"), old);  // a valid bundle of ours is kept as it is
}

void expect_same_record(const GopRecord& a, const GopRecord& b) {
  EXPECT_EQ(a.codec, b.codec);
  EXPECT_EQ(a.av_codec_id, b.av_codec_id);
  EXPECT_EQ(a.av_pixel_format, b.av_pixel_format);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.bit_depth, b.bit_depth);
  EXPECT_EQ(a.chroma_format, b.chroma_format);
  EXPECT_EQ(a.color.range, b.color.range);
  EXPECT_EQ(a.color.matrix, b.color.matrix);
  EXPECT_EQ(a.time_base_num, b.time_base_num);
  EXPECT_EQ(a.time_base_den, b.time_base_den);
  EXPECT_EQ(a.first_frame_id, b.first_frame_id);
  EXPECT_EQ(a.frame_count, b.frame_count);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.video_stream, b.video_stream);
  EXPECT_EQ(a.parameter_sets, b.parameter_sets);
  ASSERT_EQ(a.packets.size(), b.packets.size());
  for (size_t i = 0; i < a.packets.size(); ++i) {
    SCOPED_TRACE("packet " + std::to_string(i));
    EXPECT_EQ(a.packets[i].pts, b.packets[i].pts);
    EXPECT_EQ(a.packets[i].dts, b.packets[i].dts);
    EXPECT_EQ(a.packets[i].frame_id, b.packets[i].frame_id);
    EXPECT_EQ(a.packets[i].key, b.packets[i].key);
    EXPECT_EQ(a.packets[i].skippable, b.packets[i].skippable);
    EXPECT_EQ(a.packets[i].data, b.packets[i].data);
  }
  EXPECT_TRUE(a == b);
}

std::vector<GopRecord> varied_records() {
  GopRecord hevc = make_record(0, 7, 2, true);
  hevc.codec = Codec::kHevc;
  hevc.av_codec_id = 173;
  hevc.bit_depth = 10;
  hevc.chroma_format = 3;
  hevc.color = ColorInfo{ColorRange::kFull, ColorMatrix::kBt2020Ncl};
  GopRecord bare = make_record(1000, 1, 3);
  bare.source.clear();
  bare.parameter_sets.clear();
  bare.codec = Codec::kUnknown;  // allowed with an FFmpeg codec id: CPU back end only
  bare.av_codec_id = 147;
  bare.av_pixel_format = -1;
  bare.time_base_num = 1001;
  bare.time_base_den = 30000;
  bare.color.matrix = static_cast<ColorMatrix>(12);  // any H.273 code point
  GopRecord utf8 = make_record(5, 3, 4);
  utf8.source = "vid\xC3\xA9os/\xE2\x82\xAC/\xF0\x9F\x8E\xA5.mp4";
  return {make_record(30, 10, 1), hevc, bare, utf8};
}

TEST(GopBundle, RoundTripsFieldByField) {
  const std::vector<GopRecord> records = varied_records();
  const std::vector<uint8_t> bytes = serialize_bundle(records);
  const std::vector<GopRecord> back = parse(bytes);
  ASSERT_EQ(back.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    SCOPED_TRACE("record " + std::to_string(i));
    expect_same_record(back[i], records[i]);
  }
  EXPECT_EQ(serialize_bundle(back), bytes);  // the encoding is canonical
}

TEST(GopBundle, EmptyBundleRoundTrips) {
  const std::vector<uint8_t> bytes = serialize_bundle({});
  EXPECT_EQ(bytes.size(), 16u);
  EXPECT_TRUE(parse(bytes).empty());
}

TEST(GopBundle, MergeConcatenatesInOrder) {
  const std::vector<GopRecord> records = varied_records();
  const auto a = serialize_bundle({records[0], records[1]});
  const auto b = serialize_bundle({records[2]});
  const auto c = serialize_bundle({records[3]});
  const auto merged = merge_bundles({{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}});
  EXPECT_EQ(merged, serialize_bundle(records));
  EXPECT_THROW(merge_bundles({}), ArgumentError);
  std::vector<uint8_t> damaged = b;
  damaged[100] ^= 1;
  try {
    merge_bundles({{a.data(), a.size()}, {damaged.data(), damaged.size()}});
    FAIL() << "damaged input merged";
  } catch (const MediaError& e) {
    EXPECT_NE(std::string(e.what()).find("bundle 1 of 2: record 0 of 1: checksum mismatch"), std::string::npos)
        << e.what();
  }
}

TEST(GopBundle, FrameBytesPerLayout) {
  GopRecord r = make_record(0, 1, 0);
  EXPECT_EQ(r.frame_bytes(), 64 * 48 * 3 / 2);  // NV12
  r.width = 65;
  r.height = 49;
  EXPECT_EQ(r.frame_bytes(), 65 * 49 + 33 * 25 * 2);  // chroma rounds up
  r.bit_depth = 10;
  EXPECT_EQ(r.frame_bytes(), (65 * 49 + 33 * 25 * 2) * 2);  // P016
  r.chroma_format = 3;
  EXPECT_EQ(r.frame_bytes(), 65 * 49 * 3 * 2);  // YUV444 16-bit
  r.bit_depth = 8;
  r.chroma_format = 2;
  EXPECT_EQ(r.frame_bytes(), 65 * 49 + 33 * 49 * 2);
  r.chroma_format = 0;
  EXPECT_EQ(r.frame_bytes(), 65 * 49);
  r.width = r.height = 32768;
  r.chroma_format = 3;
  r.bit_depth = 16;
  EXPECT_EQ(r.frame_bytes(), int64_t{32768} * 32768 * 6);  // no overflow
}

// A record rule: how to break it, and what both the writer and the reader must say.
struct Rule {
  const char* name;
  std::function<void(GopRecord&)> breaks;
  const char* message;
};

std::vector<Rule> record_rules() {
  auto pk = [](GopRecord& r, size_t i) -> BundlePacket& { return r.packets.at(i); };
  return {
      {"unknown codec", [](GopRecord& r) { r.codec = static_cast<Codec>(7); }, "codec 7 is not a cudaVideoCodec"},
      {"codec -2", [](GopRecord& r) { r.codec = static_cast<Codec>(-2); }, "codec -2 is not"},
      {"negative FFmpeg id", [](GopRecord& r) { r.av_codec_id = -3; }, "FFmpeg codec id -3 names no codec"},
      {"unnamed codec without an FFmpeg id",
       [](GopRecord& r) {
         r.codec = Codec::kUnknown;
         r.av_codec_id = 0;
       },
       "FFmpeg codec id 0 names no codec"},
      {"pixel format", [](GopRecord& r) { r.av_pixel_format = -2; }, "FFmpeg pixel format -2"},
      {"width 0", [](GopRecord& r) { r.width = 0; }, "size 0x48 outside 1..32768"},
      {"height", [](GopRecord& r) { r.height = -5; }, "size 64x-5 outside"},
      {"too wide", [](GopRecord& r) { r.width = 32769; }, "size 32769x48 outside 1..32768"},
      {"bit depth 7", [](GopRecord& r) { r.bit_depth = 7; }, "bit depth 7 outside 8..16"},
      {"bit depth 17", [](GopRecord& r) { r.bit_depth = 17; }, "bit depth 17 outside 8..16"},
      {"chroma", [](GopRecord& r) { r.chroma_format = 4; }, "chroma format 4 outside 0..3"},
      {"range", [](GopRecord& r) { r.color.range = static_cast<ColorRange>(3); }, "colour range 3 outside 0..2"},
      {"matrix", [](GopRecord& r) { r.color.matrix = static_cast<ColorMatrix>(256); }, "colour matrix 256"},
      {"time base num", [](GopRecord& r) { r.time_base_num = 0; }, "time base 0/25 is not positive"},
      {"time base den", [](GopRecord& r) { r.time_base_den = -1; }, "time base 1/-1 is not positive"},
      {"first id", [](GopRecord& r) { r.first_frame_id = -1; }, "first frame id -1 is negative"},
      {"no frames", [](GopRecord& r) { r.frame_count = 0; }, "GOP of 0 frames"},
      {"id overflow", [](GopRecord& r) { r.first_frame_id = 2147483640; },
       "GOP frames 2147483640 + 10 overflow the 32-bit frame ids"},
      {"source not UTF-8", [](GopRecord& r) { r.source = "a\xFF"; }, "source label is not UTF-8 without NUL (byte 1)"},
      {"overlong UTF-8", [](GopRecord& r) { r.source = "\xC0\xAF"; }, "source label is not UTF-8 without NUL (byte 0)"},
      {"surrogate", [](GopRecord& r) { r.source = "\xED\xA0\x80"; }, "source label is not UTF-8 without NUL (byte 0)"},
      {"NUL in source", [](GopRecord& r) { r.source = std::string("a\0b", 3); },
       "source label is not UTF-8 without NUL (byte 1)"},
      {"video stream below -1", [](GopRecord& r) { r.video_stream = -2; },
       "video stream -2 (a stream number K >= 0, or -1 unknown)"},
      {"no packets", [](GopRecord& r) { r.packets.clear(); }, "0 packets outside 1..65536"},
      {"first not key", [&](GopRecord& r) { pk(r, 0).key = false; }, "packet 0 is not a key"},
      {"empty packet", [&](GopRecord& r) { pk(r, 2).data.clear(); }, "packet 2: empty"},
      {"frame id outside", [&](GopRecord& r) { pk(r, 3).frame_id = 40; },
       "packet 3: frame id 40 outside the GOP's frames 30..39"},
      {"frame id -2", [&](GopRecord& r) { pk(r, 3).frame_id = -2; }, "packet 3: frame id -2 outside"},
      {"frame twice", [&](GopRecord& r) { pk(r, 2).frame_id = 32; },
       "packet 2: frame id 32 also presented by packet 1"},
      {"frame missing", [&](GopRecord& r) { pk(r, 4).frame_id = -1; }, "frame 33 presented by no packet"},
      {"too few packets", [](GopRecord& r) { r.frame_count = 12; }, "GOP of 12 frames but only 10 packets"},
      {"pts repeats", [&](GopRecord& r) { pk(r, 5).pts = pk(r, 1).pts; }, "packet 5: pts 64 repeats packet 1's"},
  };
}

TEST(GopBundle, WriterAndReaderEnforceEveryRecordRule) {
  ASSERT_EQ(serialize_error(make_record(30, 10, 1)), "");
  for (const Rule& rule : record_rules()) {
    SCOPED_TRACE(rule.name);
    GopRecord r = make_record(30, 10, 1);
    rule.breaks(r);
    const std::string written = serialize_error(r);
    EXPECT_NE(written.find(std::string("serialize_bundle: record 0 of 1: ") + rule.message), std::string::npos)
        << written;
    const std::string read = parse_error(write_raw({make_record(0, 2, 0), r}));
    EXPECT_NE(read.find(std::string("test.gop: record 1 of 2: ") + rule.message), std::string::npos) << read;
  }
}

TEST(GopBundle, TooManyPacketsRejected) {
  GopRecord r = make_record(0, 1, 0);
  for (int i = 1; i <= 65536; ++i) {
    BundlePacket p;
    p.pts = i;
    p.data = {1};
    r.packets.push_back(p);
  }
  EXPECT_NE(serialize_error(r).find("65537 packets outside 1..65536"), std::string::npos);
  EXPECT_NE(parse_error(write_raw({r})).find("65537 packets exceed the limit of 65536"), std::string::npos);
}

void expect_parse_error(const std::vector<uint8_t>& b, const std::string& fragment, const BundleLimits& limits = {}) {
  const std::string message = parse_error(b, limits);
  EXPECT_NE(message.find(fragment), std::string::npos) << "message: " << message;
}

TEST(GopBundle, ReaderRejectsDamagedBytes) {
  const std::vector<GopRecord> two{make_record(0, 3, 0), make_record(3, 3, 1)};
  expect_parse_error(write_raw(two, {3}), "test.gop: bundle format version 3; this library reads versions 1..2");
  expect_parse_error(write_raw(two, {0}), "test.gop: bundle format version 0; this library reads versions 1..2");
  RawOptions flags;
  flags.extra_flags = 4;
  expect_parse_error(write_raw(two, flags), "record 0 of 2: packet 0: unknown flag bits 0x00000004");
  RawOptions extra;
  extra.extra_body_bytes = 3;
  expect_parse_error(write_raw(two, extra), "record 0 of 2: the body has");
  RawOptions crc;
  crc.wrong_checksum = true;
  expect_parse_error(write_raw(two, crc), "record 0 of 2: checksum mismatch (stored 0x");
  std::vector<uint8_t> b = write_raw(two);
  b.push_back(0);
  expect_parse_error(b, "test.gop: 1 trailing bytes after the last record");
  b.pop_back();
  expect_parse_error(std::vector<uint8_t>(b.begin(), b.end() - 10), "record 1 of 2: truncated: record body needs");
  b[16 + 2] = 'X';  // record magic
  expect_parse_error(b, "record 0 of 2: record magic 0x43585247 is not 'GREC'");
  expect_parse_error({}, "test.gop: empty (0 bytes)");
  expect_parse_error({'O', 'D', 'V'}, "test.gop: truncated: 3 bytes");
  expect_parse_error({'O', 'D', 'V', 'D', 'G', 'O', 'P', 'B', 1}, "truncated: version needs 4 bytes at offset 8");
  expect_parse_error({'O', 'D', 'V', 'D', 'G', 'x', 'P', 'x', 1, 0, 0, 0}, "bundle magic damaged: found 4f 44 56 44");
}

TEST(GopBundle, ReaderAppliesLimits) {
  const std::vector<uint8_t> b = serialize_bundle({make_record(0, 3, 0), make_record(3, 3, 1)});
  BundleLimits few;
  few.max_records = 1;
  expect_parse_error(b, "test.gop: 2 records exceed the limit of 1", few);
  BundleLimits small;
  small.max_record_bytes = 100;
  expect_parse_error(b, "record 0 of 2: body of ", small);
  BundleLimits packets;
  packets.max_packets_per_record = 2;
  expect_parse_error(b, "record 0 of 2: 3 packets exceed the limit of 2", packets);
  BundleLimits narrow;
  narrow.max_dimension = 32;
  expect_parse_error(b, "record 0 of 2: size 64x48 outside 1..32", narrow);
}

// The sweep: every single-byte change and every truncation of a small bundle must be
// rejected with MediaError (the CRC catches all changes in a body; the structure the
// rest); nothing may crash, read out of bounds (run it under ASan: tools/fuzz.sh) or
// throw another type.
TEST(GopBundle, CorruptionSweepRejectsEveryDamagedByte) {
  const std::vector<uint8_t> good = serialize_bundle({make_record(10, 4, 1, true), make_record(14, 3, 2)});
  ASSERT_GT(good.size(), 200u);
  ASSERT_LT(good.size(), 600u);
  // The two bodies: [32, end0) and [end0 + 16, size).
  const size_t end0 = 32 + load_le(&good[20], 8);
  auto in_body = [&](size_t at) { return (at >= 32 && at < end0) || at >= end0 + 16; };
  ASSERT_EQ(good.size(), end0 + 16 + load_le(&good[end0 + 4], 8));
  std::vector<std::string> escaped;  // changes that were not rejected as they must be
  for (size_t at = 0; at < good.size(); ++at) {
    for (int mask : {1, 2, 4, 8, 16, 32, 64, 128, 0xFF}) {
      std::vector<uint8_t> bad = good;
      bad[at] = static_cast<uint8_t>(bad[at] ^ mask);
      const std::string message = parse_error(bad);
      if (message.empty() || (in_body(at) && message.find("checksum mismatch") == std::string::npos)) {
        escaped.push_back(std::to_string(at) + "^" + std::to_string(mask) + ": " + message);
      }
    }
  }
  for (size_t len = 0; len < good.size(); ++len) {
    if (parse_error(std::vector<uint8_t>(good.begin(), good.begin() + len)).empty()) {
      escaped.push_back("prefix " + std::to_string(len));
    }
  }
  EXPECT_TRUE(escaped.empty()) << escaped.size() << " escaped, first: " << escaped.front();
}

}  // namespace
}  // namespace odvd
