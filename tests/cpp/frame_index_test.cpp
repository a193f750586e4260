// FrameIndex rules (Note [Frame identity and GOPs]) on synthetic packet lists.
#include <gtest/gtest.h>

#include "ffmpeg/frame_index.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

// Packet in decode order with the given display slot (pts = 10 * slot).
ScannedPacket pkt(int slot, bool key = false, bool skippable = false, bool discard = false) {
  ScannedPacket p;
  p.pts = 10 * slot;
  p.dts = p.pts;
  p.size = 100;
  p.key = key;
  p.skippable = skippable;
  p.discard = discard;
  return p;
}

TEST(FrameIndex, ClosedGopsWithoutReordering) {
  std::vector<ScannedPacket> packets;
  for (int i = 0; i < 10; ++i) packets.push_back(pkt(i, i % 4 == 0));
  FrameIndex index = FrameIndex::build(packets, true);
  EXPECT_EQ(index.frame_count(), 10);
  ASSERT_EQ(index.gop_count(), 3);
  EXPECT_EQ(index.gop(1).first_frame_id, 4);
  EXPECT_EQ(index.gop(1).frame_count, 4);
  EXPECT_EQ(index.gop(2).frame_count, 2);
  EXPECT_EQ(index.gop_of_frame(7), 1);
  EXPECT_EQ(index.packets_to_decode(1, {6}), (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(index.packet_of_pts(70), 7);
  EXPECT_EQ(index.packet_of_pts(75), -1);
}

TEST(FrameIndex, BFramesRankByPresentationTime) {
  // Decode order I0 P3 B1 B2 P6 B4 B5 (slots are display positions).
  std::vector<ScannedPacket> packets = {
      pkt(0, true), pkt(3), pkt(1, false, true), pkt(2, false, true), pkt(6), pkt(4, false, true), pkt(5, false, true)};
  FrameIndex index = FrameIndex::build(packets, true);
  ASSERT_EQ(index.frame_count(), 7);
  for (int f = 0; f < 7; ++f) EXPECT_EQ(index.packet(index.packet_of_frame(f)).pts, 10 * f);
  // Frame 4 needs I0 P3 P6 B4; the unrequested non-reference B1 B2 are skipped.
  EXPECT_EQ(index.packets_to_decode(0, {4}), (std::vector<int>{0, 1, 4, 5}));
  // Asking for B1 and B5 feeds them, still skipping B2 and B4.
  EXPECT_EQ(index.packets_to_decode(0, {1, 5}), (std::vector<int>{0, 1, 2, 4, 6}));
}

TEST(FrameIndex, OpenGopLeadingPicturesBelongToThePreviousGop) {
  // GOP 0: I0 P1 P2 P3 (display 0..3). Then CRA at display 6 with leading RASL at 4, 5
  // (decode order after the CRA), then trailing P7.
  std::vector<ScannedPacket> packets = {pkt(0, true), pkt(1), pkt(2), pkt(3), pkt(6, true), pkt(4), pkt(5), pkt(7)};
  FrameIndex index = FrameIndex::build(packets, /*skip_leading=*/true);
  ASSERT_EQ(index.gop_count(), 2);
  EXPECT_EQ(index.gop(0).frame_count, 6);  // 0..5: the leading pictures are GOP 0's
  EXPECT_EQ(index.gop(1).first_frame_id, 6);
  EXPECT_EQ(index.gop_of_frame(5), 0);
  // Frame 5 needs GOP 0 from its key plus the CRA it references.
  EXPECT_EQ(index.packets_to_decode(0, {5}), (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(index.gop(0).decode_end, 7);
  // Frame 7 starts at the CRA; with skip_leading the RASL pictures are omitted.
  EXPECT_EQ(index.packets_to_decode(1, {7}), (std::vector<int>{4, 7}));
  // Without skip_leading (H.264) they are decoded, though never returned.
  FrameIndex h264 = FrameIndex::build(packets, /*skip_leading=*/false);
  EXPECT_EQ(h264.packets_to_decode(1, {7}), (std::vector<int>{4, 5, 6, 7}));
}

TEST(FrameIndex, DiscardedPacketsAreDecodedButAreNotFrames) {
  // Edit list: the first two displayed pictures are to be discarded.
  std::vector<ScannedPacket> packets = {pkt(0, true, false, true), pkt(3), pkt(1, false, false, true), pkt(2), pkt(4)};
  FrameIndex index = FrameIndex::build(packets, true);
  EXPECT_EQ(index.frame_count(), 3);
  EXPECT_EQ(index.packet(index.packet_of_frame(0)).pts, 20);
  EXPECT_EQ(index.packet(2).frame_id, -1);
  ASSERT_EQ(index.gop_count(), 1);
  EXPECT_EQ(index.gop(0).first_frame_id, 0);
  // Frame 0 (display slot 2) needs the discarded key and P3.
  EXPECT_EQ(index.packets_to_decode(0, {0}), (std::vector<int>{0, 1, 2, 3}));
}

TEST(FrameIndex, PicturesBeforeTheFirstKeyAreNotFrames) {
  std::vector<ScannedPacket> packets = {pkt(1), pkt(2), pkt(3, true), pkt(4)};
  FrameIndex index = FrameIndex::build(packets, true);
  EXPECT_EQ(index.frame_count(), 2);
  EXPECT_EQ(index.packet(0).gop, -1);
  EXPECT_EQ(index.packet(index.packet_of_frame(0)).pts, 30);
}

TEST(FrameIndex, GopsWithoutFramesAreDropped) {
  std::vector<ScannedPacket> packets = {pkt(0, true, false, true), pkt(1, false, false, true), pkt(2, true), pkt(3)};
  FrameIndex index = FrameIndex::build(packets, true);
  ASSERT_EQ(index.gop_count(), 1);
  EXPECT_EQ(index.gop(0).key_packet, 2);
  EXPECT_EQ(index.gop_of_frame(0), 0);
  EXPECT_EQ(index.packet(0).gop, -1);
}

TEST(FrameIndex, RejectsStreamsWithoutPacketsOrKeys) {
  EXPECT_THROW(FrameIndex::build({}, true), MediaError);
  EXPECT_THROW(FrameIndex::build({pkt(0), pkt(1)}, true), MediaError);
  // A key whose only picture the edit list discards presents nothing (a fuzzer find).
  EXPECT_THROW(FrameIndex::build({pkt(0, true, false, true)}, true), MediaError);
}

TEST(FrameIndex, AllIntra) {
  std::vector<ScannedPacket> packets;
  for (int i = 0; i < 5; ++i) packets.push_back(pkt(i, true));
  FrameIndex index = FrameIndex::build(packets, true);
  EXPECT_EQ(index.gop_count(), 5);
  EXPECT_EQ(index.packets_to_decode(3, {3}), (std::vector<int>{3}));
}

}  // namespace
}  // namespace odvd
