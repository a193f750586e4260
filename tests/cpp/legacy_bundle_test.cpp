// Legacy (accvlab) bundles: conversion, rejection of damaged ones, and the corruption
// sweep (docs/formats/gop-bundle.md, "Legacy bundles (accvlab)"). The bundles come from
// the independent test writer in bundle_test_util.hpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bundle_test_util.hpp"
#include "gop/gop_bundle.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

using namespace bundle_test;

std::vector<GopRecord> parse(const std::vector<uint8_t>& b, const BundleLimits& limits = {}) {
  return parse_bundle(b.data(), b.size(), "old.bin", limits);
}

void expect_parse_error(const std::vector<uint8_t>& b, const std::string& fragment, const BundleLimits& limits = {}) {
  try {
    parse(b, limits);
    ADD_FAILURE() << "parsed; expected an error containing: " << fragment;
  } catch (const MediaError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what();
  }
}

// Byte offsets inside one encoded legacy record with `c` size-list entries.
constexpr size_t kCodecAt = 4, kFrameSizeAt = 16, kGopLenAt = 20, kFirstIdAt = 24, kSizeCountAt = 28;
size_t id_count_at(size_t c) {
  return 32 + 4 * c;
}
size_t ids_at(size_t c) {
  return 36 + 4 * c;
}
size_t payload_size_at(size_t c) {
  return 36 + 8 * c;
}

// One record (GOP 30..35, 6 packets, c = 8) alone in a bundle: record 0 starts at 12.
constexpr size_t kRec = 12, kC = 8;
std::vector<uint8_t> one(bool relative = false) {
  return write_legacy({make_legacy(30, 6, relative, 1)});
}

void expect_converted(const GopRecord& g, const LegacyRecord& l) {
  EXPECT_EQ(g.codec, Codec::kH264);
  EXPECT_EQ(g.av_codec_id, 0);  // a legacy bundle names no FFmpeg id: the decoder derives it from the codec
  EXPECT_EQ(g.av_pixel_format, -1);
  EXPECT_EQ(g.width, l.width);
  EXPECT_EQ(g.height, l.height);
  EXPECT_EQ(g.bit_depth, 8);
  EXPECT_EQ(g.chroma_format, 1);
  EXPECT_EQ(g.color.range, static_cast<ColorRange>(l.color_range));
  EXPECT_EQ(g.color.matrix, ColorMatrix::kUnspecified);
  EXPECT_EQ(g.time_base_num, 1);
  EXPECT_EQ(g.time_base_den, 1);
  EXPECT_EQ(g.first_frame_id, l.first_frame_id);
  EXPECT_EQ(g.frame_count, l.gop_len);
  EXPECT_TRUE(g.parameter_sets.empty());
  EXPECT_TRUE(g.source.empty());
  const GopRecord shape = make_record(l.first_frame_id, l.gop_len, 0);  // same frame order
  ASSERT_EQ(g.packets.size(), l.packets.size());
  for (size_t i = 0; i < g.packets.size(); ++i) {
    EXPECT_EQ(g.packets[i].frame_id, shape.packets[i].frame_id);
    EXPECT_EQ(g.packets[i].pts, g.packets[i].frame_id);
    EXPECT_EQ(g.packets[i].dts, g.packets[i].frame_id);
    EXPECT_EQ(g.packets[i].key, i == 0);
    EXPECT_FALSE(g.packets[i].skippable);
    EXPECT_EQ(g.packets[i].data, l.packets[i]);
  }
}

TEST(LegacyBundle, AbsoluteAndRelativeDisplayIdsConvert) {
  const LegacyRecord abs = make_legacy(30, 6, false, 1);
  const LegacyRecord rel = make_legacy(100, 5, true, 2);
  LegacyRecord zero = make_legacy(0, 4, false, 3);
  zero.codec = 8;  // HEVC
  zero.color_range = 2;
  const std::vector<GopRecord> got = parse(write_legacy({abs, rel, zero}));
  ASSERT_EQ(got.size(), 3u);
  expect_converted(got[0], abs);
  expect_converted(got[1], rel);
  EXPECT_EQ(got[2].codec, Codec::kHevc);
  EXPECT_EQ(got[2].av_codec_id, 0);
  EXPECT_EQ(got[2].color.range, ColorRange::kFull);
  LegacyRecord av1 = make_legacy(7, 3, true, 4);
  av1.codec = 11;
  EXPECT_EQ(parse(write_legacy({av1}))[0].codec, Codec::kAv1);
}

TEST(LegacyBundle, MergeWritesOurFormat) {
  const std::vector<uint8_t> legacy = one();
  const std::vector<uint8_t> ours = serialize_bundle({make_record(0, 2, 5)});
  const std::vector<uint8_t> merged = merge_bundles({{legacy.data(), legacy.size()}, {ours.data(), ours.size()}});
  std::vector<GopRecord> expected = parse(legacy);
  expected.push_back(make_record(0, 2, 5));
  EXPECT_EQ(merged, serialize_bundle(expected));
}

TEST(LegacyBundle, DamagedLayoutsAreRejected) {
  const std::vector<uint8_t> good = one();
  auto with = [&](size_t at, int32_t v) {
    std::vector<uint8_t> b = good;
    patch_i32(b, at, v);
    return b;
  };
  const std::string rec = "old.bin: legacy (accvlab) bundle: record 0 of 1: ";
  // Input that begins like neither layout is no bundle at all (check_bundle_head): zeros,
  // a count of 0, a short header, a first offset that is not where the table ends.
  const std::string none = "old.bin: not a GOP bundle: ";
  expect_parse_error({0, 0, 0, 0}, none + "4 bytes beginning 00 00 00 00 (a bundle of ours begins with 'ODVDGOPB'");
  expect_parse_error(std::vector<uint8_t>(10, 0), none + "10 bytes beginning 00 00 00 00 00 00 00 00 00 00 (");
  expect_parse_error({1, 0, 0}, none + "3 bytes beginning 01 00 00");
  expect_parse_error({9, 0, 0, 0, 1}, none + "5 bytes");
  expect_parse_error(with(4, 13), none);
  std::vector<uint8_t> zero_count = good;
  patch_i32(zero_count, 0, 0);
  expect_parse_error(zero_count, none);
  // Past the head, the legacy reader's own rules name what is wrong.
  std::vector<uint8_t> short_table = good;
  short_table.resize(12);
  expect_parse_error(short_table, rec + "truncated: colour range needs 4 bytes at offset 12, only 0 remain");
  expect_parse_error(with(kRec + kCodecAt, 7), rec + "codec 7 is not a cudaVideoCodec number");
  expect_parse_error(with(kRec + kCodecAt, -1), rec + "codec -1 is not");
  expect_parse_error(with(kRec + kFrameSizeAt, -1), rec + "frame size -1 is negative");
  expect_parse_error(with(kRec + kSizeCountAt, 2), rec + "packet-size list of 2 entries");
  expect_parse_error(with(kRec + kSizeCountAt, 9), rec + "packet-size list ends in");
  expect_parse_error(with(kRec + 32 + 4 * (kC - 1), 0), rec + "packet-size list ends in 0, 0, not the sentinels 0, -1");
  expect_parse_error(with(kRec + 32 + 4, 0), rec + "packet 1: size 0 (at least 1)");
  expect_parse_error(with(kRec + id_count_at(kC), 7), rec + "display-id list of 7 entries for 6 packets");
  expect_parse_error(with(kRec + ids_at(kC) + 4 * (kC - 1), 5),
                     rec + "display-id list ends in 0, 5, not the sentinels 0, 0");
  expect_parse_error(with(kRec + payload_size_at(kC), 5), rec + "payload size 5 is not the sum");
  expect_parse_error(with(kRec + ids_at(kC) + 4, 99), rec + "display ids fit neither the GOP's frames 30..35");
  expect_parse_error(with(kRec + ids_at(kC) + 4, 31), rec + "packet 2: frame id 31 also presented by packet 1");
  expect_parse_error(with(kRec + kGopLenAt, 0), rec + "GOP of 0 frames from frame 30");
  expect_parse_error(with(kRec + kFirstIdAt, 2147483647), rec + "GOP of 6 frames from frame 2147483647");
  expect_parse_error(with(kRec + kGopLenAt, 7), rec + "GOP of 7 frames but only 6 packets");
  expect_parse_error(with(kRec + 8, 0), rec + "size 0x48 outside");
  expect_parse_error(with(kRec, 5), rec + "colour range 5 outside 0..2");
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  expect_parse_error(longer, "old.bin: legacy (accvlab) bundle: 1 trailing bytes after the last record");
  expect_parse_error(std::vector<uint8_t>(good.begin(), good.end() - 1), rec + "truncated: payload needs");
}

TEST(LegacyBundle, RecordsMustFollowEachOtherBackToBack) {
  std::vector<uint8_t> two = write_legacy({make_legacy(0, 3, false, 1), make_legacy(3, 3, false, 2)});
  ASSERT_EQ(parse(two).size(), 2u);
  two[12] += 1;  // the second offset: low byte
  expect_parse_error(two, "record 1 of 2: starts at offset");
}

TEST(LegacyBundle, LimitsApply) {
  const std::vector<uint8_t> b = one();
  BundleLimits packets;
  packets.max_packets_per_record = 5;
  expect_parse_error(b, "6 packets exceed the limit of 5", packets);
  BundleLimits bytes;
  bytes.max_record_bytes = 10;
  expect_parse_error(b, "bytes exceeds the limit of 10", bytes);
  BundleLimits records;
  records.max_records = 0;
  expect_parse_error(b, "1 records exceed the limit of 0", records);
}

// Every single-byte change and truncation of a small legacy bundle either raises
// MediaError or gives records that pass every rule (the layout has no checksum, so a
// change in a payload, say, goes through). Never a crash, never another exception.
TEST(LegacyBundle, CorruptionSweepNeverCrashes) {
  const std::vector<uint8_t> good = write_legacy({make_legacy(10, 4, false, 1), make_legacy(14, 3, true, 2)});
  ASSERT_LT(good.size(), 400u);
  size_t rejected = 0, accepted = 0;
  auto check = [&](const std::vector<uint8_t>& bad) {
    std::vector<GopRecord> records;
    try {
      records = parse(bad);
    } catch (const MediaError&) {
      ++rejected;
      return;
    }
    ++accepted;
    EXPECT_NO_THROW(serialize_bundle(records));  // the records pass every rule
  };
  for (size_t at = 0; at < good.size(); ++at) {
    for (int mask : {1, 2, 4, 8, 16, 32, 64, 128, 0xFF}) {
      std::vector<uint8_t> bad = good;
      bad[at] = static_cast<uint8_t>(bad[at] ^ mask);
      check(bad);
    }
  }
  for (size_t len = 0; len < good.size(); ++len) {
    const size_t before = rejected;
    check(std::vector<uint8_t>(good.begin(), good.begin() + len));
    EXPECT_EQ(rejected, before + 1) << "prefix " << len << " parsed";  // truncation is always structural
  }
  EXPECT_GT(rejected, accepted);  // the structure catches most changes
  EXPECT_GT(accepted, 0u);        // payload changes go through: there is no checksum
}

}  // namespace
}  // namespace odvd
