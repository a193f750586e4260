// Packet classification on hand-made H.264/HEVC NAL units, both framings.
#include <gtest/gtest.h>

#include <vector>

#include "ffmpeg/nal_units.hpp"

namespace odvd {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes annexb(std::initializer_list<Bytes> nals) {
  Bytes out;
  for (const Bytes& n : nals) {
    out.insert(out.end(), {0, 0, 0, 1});
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

Bytes length_prefixed(std::initializer_list<Bytes> nals) {
  Bytes out;
  for (const Bytes& n : nals) {
    const auto len = static_cast<uint32_t>(n.size());
    out.insert(out.end(), {uint8_t(len >> 24), uint8_t(len >> 16), uint8_t(len >> 8), uint8_t(len)});
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

PacketTraits inspect(Codec codec, const Bytes& data, NalLayout layout = {}) {
  return inspect_packet(codec, layout, data.data(), data.size());
}

// H.264 NAL header byte: forbidden_zero(1) nal_ref_idc(2) type(5).
uint8_t h264(int ref_idc, int type) {
  return static_cast<uint8_t>(ref_idc << 5 | type);
}
// HEVC NAL header: type(6) in bits 1..6 of byte 0, TemporalId+1 in byte 1.
Bytes hevc(int type, int temporal_id = 0) {
  return {static_cast<uint8_t>(type << 1), static_cast<uint8_t>(temporal_id + 1), 0xAF};
}

TEST(NalUnits, H264IdrWithParameterSets) {
  auto t = inspect(Codec::kH264, annexb({{h264(3, 7), 0x42}, {h264(3, 8), 0xCE}, {h264(3, 5), 0x88, 0x80}}));
  EXPECT_FALSE(t.malformed);
  EXPECT_TRUE(t.has_picture);
  EXPECT_TRUE(t.idr);
  EXPECT_TRUE(t.parameter_sets);
  EXPECT_FALSE(t.non_reference);
}

TEST(NalUnits, H264NonReferenceSlice) {
  auto t = inspect(Codec::kH264, annexb({{h264(0, 1), 0x9A}}));
  EXPECT_TRUE(t.non_reference);
  EXPECT_FALSE(t.idr);
  EXPECT_FALSE(inspect(Codec::kH264, annexb({{h264(2, 1), 0x9A}})).non_reference);
}

TEST(NalUnits, H264RecoveryPointSei) {
  // SEI: payload type 5 (user data, 3 bytes), then type 6 (recovery point), then trailing bits.
  Bytes sei = {h264(0, 6), 5, 3, 0xAA, 0xBB, 0xCC, 6, 1, 0x84, 0x80};
  auto t = inspect(Codec::kH264, annexb({sei, {h264(3, 1), 0x88}}));
  EXPECT_TRUE(t.recovery_point);
  EXPECT_FALSE(t.idr);
  Bytes other = {h264(0, 6), 5, 1, 0xAA, 0x80};
  EXPECT_FALSE(inspect(Codec::kH264, annexb({other, {h264(3, 1), 0x88}})).recovery_point);
}

TEST(NalUnits, LengthPrefixedFraming) {
  NalLayout layout{false, 4};
  auto t = inspect(Codec::kH264, length_prefixed({{h264(3, 5), 0x88}}), layout);
  EXPECT_TRUE(t.idr);
  Bytes broken = length_prefixed({{h264(3, 5), 0x88}});
  broken[3] = 200;  // length runs past the end
  EXPECT_TRUE(inspect(Codec::kH264, broken, layout).malformed);
  EXPECT_TRUE(inspect(Codec::kH264, Bytes{0, 0}, layout).malformed);
}

TEST(NalUnits, AnnexBWithoutStartCodeIsMalformed) {
  EXPECT_TRUE(inspect(Codec::kH264, Bytes{0x65, 0x88, 0x80}).malformed);
  EXPECT_FALSE(inspect(Codec::kH264, Bytes{}).malformed);
}

TEST(NalUnits, HevcPictureTypes) {
  EXPECT_TRUE(inspect(Codec::kHevc, annexb({hevc(19)})).idr);  // IDR_W_RADL
  auto cra = inspect(Codec::kHevc, annexb({hevc(32), hevc(33), hevc(34), hevc(21)}));
  EXPECT_TRUE(cra.irap);
  EXPECT_FALSE(cra.idr);
  EXPECT_TRUE(cra.parameter_sets);
  EXPECT_TRUE(inspect(Codec::kHevc, annexb({hevc(0)})).non_reference);   // TRAIL_N
  EXPECT_FALSE(inspect(Codec::kHevc, annexb({hevc(1)})).non_reference);  // TRAIL_R
  EXPECT_TRUE(inspect(Codec::kHevc, annexb({hevc(8)})).non_reference);   // RASL_N
  EXPECT_EQ(inspect(Codec::kHevc, annexb({hevc(1, 2)})).temporal_id, 2);
}

// Note [Skippable packets]: a non-reference picture's packet that also carries a parameter
// set or an end of sequence changes later decoding; only descriptive units may ride along.
TEST(NalUnits, NonReferencePacketsCarryingStateAreNotSkippable) {
  EXPECT_TRUE(inspect(Codec::kHevc, annexb({hevc(35), hevc(39), hevc(0), hevc(40)})).non_reference);  // AUD, SEI
  EXPECT_TRUE(inspect(Codec::kHevc, annexb({hevc(38), hevc(0)})).non_reference);                      // filler
  EXPECT_FALSE(inspect(Codec::kHevc, annexb({hevc(34), hevc(0)})).non_reference);                     // PPS
  EXPECT_FALSE(inspect(Codec::kHevc, annexb({hevc(33), hevc(34), hevc(2)})).non_reference);           // SPS
  EXPECT_FALSE(inspect(Codec::kHevc, annexb({hevc(0), hevc(36)})).non_reference);                     // EOS
  EXPECT_FALSE(inspect(Codec::kHevc, annexb({hevc(45), hevc(0)})).non_reference);                     // reserved
  EXPECT_TRUE(
      inspect(Codec::kH264, annexb({{h264(0, 9), 0x10}, {h264(0, 6), 0x05}, {h264(0, 1), 0x9A}})).non_reference);
  EXPECT_FALSE(inspect(Codec::kH264, annexb({{h264(3, 8), 0xCE}, {h264(0, 1), 0x9A}})).non_reference);  // PPS
  EXPECT_FALSE(inspect(Codec::kH264, annexb({{h264(0, 1), 0x9A}, {h264(0, 10)}})).non_reference);       // EOS
}

TEST(NalUnits, DetectLayoutFromExtradata) {
  Bytes avcc = {1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0};
  EXPECT_FALSE(detect_nal_layout(Codec::kH264, avcc.data(), avcc.size()).annex_b);
  EXPECT_EQ(detect_nal_layout(Codec::kH264, avcc.data(), avcc.size()).length_size, 4);
  Bytes annex = {0, 0, 0, 1, h264(3, 7), 0x42, 0};
  EXPECT_TRUE(detect_nal_layout(Codec::kH264, annex.data(), annex.size()).annex_b);
  EXPECT_TRUE(detect_nal_layout(Codec::kH264, nullptr, 0).annex_b);
}

}  // namespace
}  // namespace odvd
