// The decode layer's stream logic against a fake Device (fake_device.hpp): FileSession
// (which packets it sends for which frames, continuing a GOP, what a damaged or lost
// picture refuses, recovering after an error, the StreamDescription it asks for),
// FallbackDevice (a GPU that refuses a stream: it decodes on the real CPU device) and
// GopStream (the damage rules of Note [Damage propagates]). Real files and their
// indexes (the generated test videos), a fake decoder: the rules are tested on their
// own, the same on every back end.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "cpu/cpu_device.hpp"
#include "decode/fallback_device.hpp"
#include "decode/file_session.hpp"
#include "decode/gop_stream.hpp"
#include "decode/record_decode.hpp"
#include "fake_device.hpp"
#include "ffmpeg/codec_ids.hpp"
#include "ffmpeg/video_index.hpp"
#include "gop/record_stream.hpp"
#include "odvd/error.hpp"
#include "test_videos.hpp"

namespace odvd {
namespace {

using testing::FakeBackend;
using testing::FakeDevice;
using testing::video;

int64_t pts_of(const VideoIndex& index, int frame_id) {
  return index.frames.packet(index.frames.packet_of_frame(frame_id)).pts;
}

int decode_index_of(const VideoIndex& index, int frame_id) {
  return index.frames.packet_of_frame(frame_id);
}

// ---- FileSession ----------------------------------------------------------------

TEST(FileSession, AsksTheDeviceForTheFilesStream) {
  INDEX_OR_SKIP(mp4, "h264_bframes_gop24.mp4");
  INDEX_OR_SKIP(ts, "hevc_bframes.ts");
  FakeDevice device;
  FileSession a(mp4, device);
  FileSession b(ts, device);
  ASSERT_EQ(device.described.size(), 2u);
  const StreamDescription& d = device.described[0];
  EXPECT_EQ(d.label, video("h264_bframes_gop24.mp4"));
  EXPECT_EQ(d.codec, Codec::kH264);
  EXPECT_EQ(d.width, 192);
  EXPECT_EQ(d.height, 108);
  EXPECT_EQ(d.bit_depth, 8);
  EXPECT_EQ(d.chroma_format, 1);
  EXPECT_NE(d.file_parameters, nullptr);
  // avcC in MP4: packets reach the decoder as Annex-B, so its parameter sets go ahead
  // (start code first); MPEG-TS carries them in band.
  ASSERT_GE(d.extradata.size(), 4u);
  EXPECT_EQ(d.extradata[0], 0);
  EXPECT_EQ(d.extradata[1], 0);
  EXPECT_TRUE(device.described[1].extradata.empty());
  EXPECT_EQ(device.described[1].codec, Codec::kHevc);
}

TEST(FileSession, ReturnsEachRequestedFrameByItsPts) {
  INDEX_OR_SKIP(index, "h264_bframes_gop24.mp4");
  FakeDevice device;
  FileSession session(index, device);
  std::map<int, VideoFrame> out;
  session.decode_gop(1, {25, 30, 31}, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out.at(30).pts, 15360);  // the manifest's pts of frame 30 (25 fps, 1/12800)
  for (int id : {25, 30, 31}) {
    EXPECT_EQ(out.at(id).pts, pts_of(*index, id)) << id;
    EXPECT_EQ(FakeBackend::pts_in(out.at(id)), pts_of(*index, id)) << id;
  }
  // Random access starts at the GOP's key: no packet of GOP 0 was sent.
  EXPECT_LE(device.backends[0]->packets_sent, 24);
}

TEST(FileSession, ContinuesAnOpenGopForSequentialCalls) {
  INDEX_OR_SKIP(index, "h264_gop30.mp4");
  FakeDevice device;
  FileSession session(index, device);
  for (int id = 0; id < 12; ++id) {
    std::map<int, VideoFrame> out;
    session.decode_gop(0, {id}, out);
    ASSERT_EQ(out.count(id), 1u) << id;
    EXPECT_EQ(out.at(id).pts, pts_of(*index, id));
  }
  EXPECT_GT(session.stats().continuations, 0);
  // Streaming sends each packet about once; restarting at the key for every call would
  // send 1 + 2 + ... + 12 = 78.
  EXPECT_LT(session.stats().packets_sent, 40);
}

TEST(FileSession, RefusesFramesAfterADamagedPictureAndKeepsTheOnesBefore) {
  INDEX_OR_SKIP(index, "h264_gop30.mp4");
  FakeDevice device;
  device.behaviour.damaged = {decode_index_of(*index, 35)};
  FileSession session(index, device);
  std::map<int, VideoFrame> out;
  Refusals refused;
  session.decode_gop(1, {32, 34, 35, 40}, out, false, &refused);
  EXPECT_EQ(out.count(32), 1u);
  EXPECT_EQ(out.count(34), 1u);
  EXPECT_EQ(out.count(35), 0u);
  EXPECT_EQ(out.count(40), 0u);
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].first, 35);
  EXPECT_EQ(refused[1].first, 40);
  EXPECT_NE(refused[1].second.find("h264_gop30.mp4"), std::string::npos) << refused[1].second;
  EXPECT_NE(refused[1].second.find("is damaged"), std::string::npos) << refused[1].second;
  EXPECT_NE(refused[1].second.find("fake damage"), std::string::npos) << refused[1].second;
}

TEST(FileSession, ThrowsForADamagedFrameAndStaysUsable) {
  INDEX_OR_SKIP(index, "h264_gop30.mp4");
  FakeDevice device;
  device.behaviour.damaged = {decode_index_of(*index, 3)};
  FileSession session(index, device);
  std::map<int, VideoFrame> out;
  try {
    session.decode_gop(0, {5}, out);
    FAIL() << "frame 5 depends on damaged frame 3";
  } catch (const MediaError& e) {
    EXPECT_NE(std::string(e.what()).find("frame 5 cannot be decoded correctly"), std::string::npos) << e.what();
  }
  // The next GOP decodes on the same session (the backend was reset, not replaced).
  out.clear();
  session.decode_gop(2, {61}, out);
  EXPECT_EQ(out.at(61).pts, pts_of(*index, 61));
  EXPECT_EQ(device.backends.size(), 1u);
}

TEST(FileSession, APictureThatNeverComesOutIsRefused) {
  INDEX_OR_SKIP(index, "h264_gop30.mp4");
  FakeDevice device;
  device.behaviour.lost = {decode_index_of(*index, 7)};
  FileSession session(index, device);
  std::map<int, VideoFrame> out;
  Refusals refused;
  session.decode_gop(0, {6, 7, 8}, out, false, &refused);
  EXPECT_EQ(out.count(6), 1u);
  ASSERT_EQ(refused.size(), 2u);  // 7 never came out; 8 may depend on it
  EXPECT_EQ(refused[0].first, 7);
  EXPECT_EQ(refused[1].first, 8);
}

TEST(FileSession, ADeviceThatRefusesTheStreamFailsTheSession) {
  INDEX_OR_SKIP(index, "h264_gop30.mp4");
  FakeDevice device;
  device.behaviour.refuse_streams = true;
  EXPECT_THROW(FileSession(index, device), MediaError);
}

// ---- GOP records written by another FFmpeg ---------------------------------------

TEST(RecordStream, ANamedCodecDecodesByItsCodecNotTheWritersFfmpegNumber) {
  // AVCodecID numbers move between FFmpeg versions (AV1: 226 in 5.1, 225 in 7.1); a
  // record stores its writer's. What this FFmpeg calls the codec is what counts.
  GopRecord r;
  r.codec = Codec::kAv1;
  r.av_codec_id = av_codec_id_of(Codec::kAv1) + 1;  // another FFmpeg's number
  complete_stream_description(r);
  EXPECT_EQ(r.av_codec_id, av_codec_id_of(Codec::kAv1));
  EXPECT_EQ(codec_from_av(r.av_codec_id), Codec::kAv1);
  GopRecord unnamed;  // codec -1: the stored number is its only name, kept
  unnamed.codec = Codec::kUnknown;
  unnamed.av_codec_id = 12345;
  complete_stream_description(unnamed);
  EXPECT_EQ(unnamed.av_codec_id, 12345);
  for (Codec c : {Codec::kH264, Codec::kHevc, Codec::kVp9, Codec::kMpeg4, Codec::kJpeg}) {
    EXPECT_EQ(codec_from_av(av_codec_id_of(c)), c);
  }
}

// ---- FallbackDevice ----------------------------------------------------------------

struct Fallen {
  std::vector<std::pair<std::string, std::string>> notes;
  ThreadPool pool{1};
  FakeDevice* gpu = nullptr;
  std::unique_ptr<FallbackDevice> device;
  Fallen() {
    auto fake = std::make_unique<FakeDevice>();
    gpu = fake.get();
    device = std::make_unique<FallbackDevice>(
        std::move(fake), std::make_unique<CpuDevice>(1, pool),
        [this](const std::string& label, const std::string& reason) { notes.emplace_back(label, reason); });
  }
};

TEST(FallbackDevice, StreamsTheGpuRefusesDecodeOnTheCpu) {
  INDEX_OR_SKIP(index, "h264_bframes_gop24.mp4");
  Fallen f;
  f.gpu->behaviour.unsupported = true;
  FileSession session(index, *f.device);
  std::map<int, VideoFrame> out;
  session.decode_gop(2, {50, 53}, out);
  for (int id : {50, 53}) {
    EXPECT_EQ(out.at(id).pts, pts_of(*index, id));
    EXPECT_STREQ(out.at(id).decoded_by, "cpu");  // libavcodec's picture, not the fake's
    EXPECT_EQ(out.at(id).buffer->kind(), MemoryKind::kHost);
    EXPECT_EQ(out.at(id).width, 192);
  }
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_EQ(f.notes[0].first, video("h264_bframes_gop24.mp4"));
  EXPECT_EQ(f.notes[0].second, "the fake device cannot decode it");
  // Frames leave through the GPU device (which uploads frames decoded elsewhere).
  const std::vector<const VideoFrame*> picked = {&out.at(50), &out.at(50)};
  EXPECT_EQ(f.device->hand_out(picked).size(), 2u);
}

TEST(FallbackDevice, StreamsTheGpuAcceptsStayOnIt) {
  INDEX_OR_SKIP(index, "h264_gop30.mp4");
  Fallen f;
  FileSession session(index, *f.device);
  std::map<int, VideoFrame> out;
  session.decode_gop(0, {4}, out);
  EXPECT_STREQ(out.at(4).decoded_by, "fake");
  EXPECT_TRUE(f.notes.empty());
}

TEST(FallbackDevice, OtherErrorsAreNotFallenBackFrom) {
  INDEX_OR_SKIP(index, "h264_gop30.mp4");
  Fallen f;
  f.gpu->behaviour.refuse_streams = true;  // a MediaError that is not UnsupportedStream
  EXPECT_THROW(FileSession(index, *f.device), MediaError);
  EXPECT_TRUE(f.notes.empty());
}

// ---- GopStream --------------------------------------------------------------------

// A GOP of 8 pictures in decode order I0 P4 B2 b1 b3 P8 B6 b5 b7 (frame id = pts / 10),
// the key's leading pictures absent.
struct Gop {
  std::vector<EncodedPacket> packets;
  std::vector<PacketRole> roles;
  Gop() {
    const int display[] = {0, 4, 2, 1, 3, 8, 6, 5, 7};
    for (int i = 0; i < 9; ++i) {
      EncodedPacket p;
      p.pts = display[i] * 10;
      p.dts = i * 10;
      p.decode_index = i;
      p.key = i == 0;
      packets.push_back(p);
      // Frames 1, 3, 5 and 7 are the pyramid's leaves: no picture references them.
      roles.push_back(PacketRole{i, p.pts, display[i], false, display[i] % 2 == 1});
    }
  }
  GopRun run(std::vector<int> frame_ids) const {
    GopRun r;
    r.what = "'gop'";
    r.packets = packets;
    r.roles = roles;
    r.frame_ids = std::move(frame_ids);
    return r;
  }
};

TEST(GopStream, PutsOutOnlyWantedFramesInDisplayOrder) {
  testing::FakeBehaviour behaviour;
  FakeBackend backend(behaviour);
  std::map<int, VideoFrame> out;
  decode_gop_run(backend, Gop().run({1, 6, 8}), out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out.at(1).pts, 10);
  EXPECT_EQ(out.at(6).pts, 60);
  EXPECT_EQ(out.at(8).pts, 80);
}

TEST(GopStream, StampsTheContainersColourWhereItIsSpecified) {
  testing::FakeBehaviour behaviour;
  FakeBackend backend(behaviour);
  GopRun run = Gop().run({2});
  run.color.range = ColorRange::kFull;
  std::map<int, VideoFrame> out;
  decode_gop_run(backend, run, out);
  EXPECT_EQ(out.at(2).color.range, ColorRange::kFull);
}

TEST(GopStream, DamageRefusesEveryWantedFrameDecodedFromThere) {
  testing::FakeBehaviour behaviour;
  behaviour.damaged = {5};  // P8: B6, b5 and b7 are decoded after it
  FakeBackend backend(behaviour);
  std::map<int, VideoFrame> out;
  Refusals refused;
  decode_gop_run(backend, Gop().run({3, 4, 5, 8}), out, &refused);
  EXPECT_EQ(out.count(3), 1u);  // decoded (index 4) before the damage
  EXPECT_EQ(out.count(4), 1u);
  ASSERT_EQ(refused.size(), 2u);  // in decode order: 8 (index 5), then 5 (index 7)
  EXPECT_EQ(refused[0].first, 8);
  EXPECT_EQ(refused[1].first, 5);
  EXPECT_NE(refused[0].second.find("packet 5 in decode order"), std::string::npos) << refused[0].second;
}

TEST(GopStream, DamageThatCannotBePinnedCountsFromWhereItMayStart) {
  testing::FakeBehaviour behaviour;
  behaviour.unpinned_damage_at = 2;
  FakeBackend backend(behaviour);
  std::map<int, VideoFrame> out;
  Refusals refused;
  decode_gop_run(backend, Gop().run({4, 2, 1}), out, &refused);
  EXPECT_EQ(out.count(4), 1u);  // index 1
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].first, 2);
  EXPECT_EQ(refused[1].first, 1);
  EXPECT_NE(refused[0].second.find("fake unpinned damage"), std::string::npos) << refused[0].second;
}

TEST(GopStream, DamagedLeadingPicturesDoNotRefuseTheGop) {
  // Leading pictures of an open GOP's key (displayed before it) reference the previous
  // GOP: decoders complain about them, and nothing of this GOP depends on them.
  testing::FakeBehaviour behaviour;
  behaviour.damaged = {1};
  FakeBackend backend(behaviour);
  GopRun run;
  run.what = "'open'";
  const int64_t pts[] = {20, 0, 10, 40, 30};  // I2, leading b0 b1, P4, B3
  const int ids[] = {0, -1, -1, 2, 1};
  for (int i = 0; i < 5; ++i) {
    EncodedPacket p;
    p.pts = pts[i];
    p.decode_index = i;
    run.packets.push_back(p);
    run.roles.push_back(PacketRole{i, pts[i], ids[i], pts[i] < 20});
  }
  run.frame_ids = {0, 1, 2};
  std::map<int, VideoFrame> out;
  decode_gop_run(backend, run, out);
  EXPECT_EQ(out.size(), 3u);
}

TEST(GopStream, AnUnreadablePacketExplainsTheDamageItStarts) {
  testing::FakeBehaviour behaviour;
  FakeBackend backend(behaviour);
  const Gop gop;
  GopStream stream(backend, "'gop'", ColorInfo{});
  std::map<int, VideoFrame> out;
  stream.start();
  stream.want({1, 8}, &out);
  for (int i = 0; i < 5; ++i) stream.send(gop.packets[i], gop.roles[i]);
  stream.note_unreadable(5, "packet 5 could not be read (unexpected end of file)");
  stream.finish();
  const Refusals refused = stream.refusals();
  EXPECT_EQ(out.count(1), 1u);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].first, 8);
  EXPECT_NE(refused[0].second.find("unexpected end of file"), std::string::npos) << refused[0].second;
}

// Note [Judged before returned]: frame 1 (packet 3) comes out before frame 4 (packet 1),
// which it may reference; the stream is complete only once frame 4 has come out too
// (frame 3, packet 4, is a leaf: nobody waits for it).
TEST(GopStream, IsCompleteOnlyWhenTheReferencesOfWantedFramesHaveComeOut) {
  testing::FakeBehaviour behaviour;
  behaviour.reorder_delay = 1;  // a picture comes out once one more is held
  FakeBackend backend(behaviour);
  const Gop gop;
  GopStream stream(backend, "'gop'", ColorInfo{});
  std::map<int, VideoFrame> out;
  stream.start();
  stream.want({1}, &out);
  for (int i = 0; i < 4; ++i) stream.send(gop.packets[i], gop.roles[i]);
  EXPECT_EQ(out.count(1), 1u);  // out, but frame 4 is not
  EXPECT_FALSE(stream.complete());
  stream.send(gop.packets[4], gop.roles[4]);
  EXPECT_FALSE(stream.complete());
  stream.send(gop.packets[5], gop.roles[5]);  // frame 4 comes out
  EXPECT_TRUE(stream.complete());
  EXPECT_TRUE(stream.refusals().empty());
}

// A wanted picture that will not come out (a picture displayed after it did) is lost: the
// stream is complete once the references before it are out too, without sending on.
TEST(GopStream, DoesNotWaitForALostPicture) {
  testing::FakeBehaviour behaviour;
  behaviour.reorder_delay = 1;
  behaviour.lost = {2};  // frame 2's picture
  FakeBackend backend(behaviour);
  const Gop gop;
  GopStream stream(backend, "'gop'", ColorInfo{});
  std::map<int, VideoFrame> out;
  stream.start();
  stream.want({2}, &out);
  for (int i = 0; i < 4; ++i) stream.send(gop.packets[i], gop.roles[i]);
  EXPECT_FALSE(stream.complete());  // frame 1 is out, frame 2 may still come
  stream.send(gop.packets[4], gop.roles[4]);
  EXPECT_FALSE(stream.complete());  // frame 3 is out: 2 is lost; frame 4 (a reference) is not out yet
  stream.send(gop.packets[5], gop.roles[5]);
  EXPECT_TRUE(stream.complete());
  const Refusals refused = stream.refusals();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].first, 2);
}

TEST(GopStream, SparesLaterFramesForAStreamingReader) {
  testing::FakeBehaviour behaviour;
  behaviour.reorder_delay = 0;  // every picture out as soon as it is decoded
  FakeBackend backend(behaviour);
  const Gop gop;
  GopStream stream(backend, "'gop'", ColorInfo{});
  std::map<int, VideoFrame> out;
  std::map<int, VideoFrame> spare;
  stream.start();
  stream.want({0}, &out);
  stream.keep_later_than(0, &spare);
  stream.send(gop.packets[0], gop.roles[0]);
  stream.send(gop.packets[1], gop.roles[1]);
  EXPECT_TRUE(stream.complete());
  EXPECT_EQ(out.count(0), 1u);
  EXPECT_EQ(spare.count(4), 1u);  // came out early (no reordering here): kept, not dropped
}

// Note [Shared records]: a record of one GOP of `source`, `packets` packets presenting frames `first` on.
GopRecord record_of(const std::string& source, int first, int packets) {
  GopRecord r;
  r.source = source;
  r.first_frame_id = first;
  r.frame_count = packets;
  for (int k = 0; k < packets; ++k) {
    BundlePacket p;
    p.pts = p.dts = k;
    p.frame_id = first + k;
    p.key = k == 0;
    p.data = {0, 0, 1, static_cast<uint8_t>(k)};
    r.packets.push_back(p);
  }
  return r;
}

TEST(GroupRecords, EqualRecordsDecodeOnceForEveryFrameTheirEntriesWant) {
  const GopRecord a = record_of("cam0.mp4", 0, 8), b = record_of("cam1.mp4", 0, 8);
  // A clip of 3 frames of each camera in one GOP, as GetGOP writes it: a record per entry.
  const std::vector<GopRecord> records{a, a, a, b, b, b};
  const std::vector<std::string> labels{"cam0.mp4", "cam0.mp4", "cam0.mp4", "cam1.mp4", "cam1.mp4", "cam1.mp4"};
  const RecordGroups g = group_records(records, labels, {5, 2, 5, 1, 2, 3});
  ASSERT_EQ(g.first, (std::vector<size_t>{0, 3}));
  EXPECT_EQ(g.frame_ids[0], (std::vector<int>{2, 5}));  // ascending, each once
  EXPECT_EQ(g.frame_ids[1], (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(g.of_entry, (std::vector<size_t>{0, 0, 0, 1, 1, 1}));
}

TEST(GroupRecords, RecordsMerelyAlikeStayApart) {
  const GopRecord a = record_of("cam0.mp4", 0, 8);
  GopRecord other_data = a;
  other_data.packets[3].data.back() ^= 1;  // same file, GOP and sizes; one byte differs
  GopRecord other_range = record_of("cam0.mp4", 8, 8);
  GopRecord other_stream = a;
  other_stream.video_stream = 1;
  const std::vector<GopRecord> records{a, other_data, other_range, other_stream, a, a};
  // The last entry has the first one's record under another label (messages name it).
  const std::vector<std::string> labels{"x", "x", "x", "x", "x", "y"};
  const RecordGroups g = group_records(records, labels, {1, 1, 9, 1, 4, 1});
  EXPECT_EQ(g.first, (std::vector<size_t>{0, 1, 2, 3, 5}));
  EXPECT_EQ(g.of_entry, (std::vector<size_t>{0, 1, 2, 3, 0, 4}));
  EXPECT_EQ(g.frame_ids[0], (std::vector<int>{1, 4}));
}

TEST(GroupRecords, ManyRecordsAlikeAreComparedWithAFewGroupsOnlyAndNeverMisgrouped) {
  // 200 records of one range of one file under one label, each with other bytes, then each
  // again: linear work, and every group holds equal records only.
  std::vector<GopRecord> records;
  for (int k = 0; k < 400; ++k) {
    records.push_back(record_of("cam0.mp4", 0, 4));
    records.back().packets[2].data.push_back(static_cast<uint8_t>(k % 200));
    records.back().packets[2].data.push_back(static_cast<uint8_t>(k % 200 / 100));
  }
  const std::vector<int> ids(records.size(), 1);
  const RecordGroups g = group_records(records, std::vector<std::string>(records.size(), "x"), ids);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_TRUE(records[g.first[g.of_entry[i]]] == records[i]) << i;
  // The first copies find their groups while few exist; later ones decode on their own.
  EXPECT_EQ(g.of_entry[200], 0u);
  EXPECT_EQ(g.of_entry[207], 7u);
  EXPECT_EQ(g.first.size(), 400u - 8u);
}

TEST(GroupRecords, NoEntriesNoGroups) {
  const RecordGroups g = group_records({}, {}, {});
  EXPECT_TRUE(g.first.empty() && g.frame_ids.empty() && g.of_entry.empty());
}

}  // namespace
}  // namespace odvd
