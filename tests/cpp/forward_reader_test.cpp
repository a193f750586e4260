// ForwardReader (Note [Decode ahead]) on the CPU back end and the generated test videos:
// frames read with decode-ahead are the frames read without it, at every budget, for a
// fast or a slow reader, through jumps; the frames held ahead stay within the budget plus
// one chunk; a reader dropped while its tasks wait for room does not hang. Also built
// under ThreadSanitizer by tools/fuzz.sh (the lanes share the shelf with the reader).
#include "decode/forward_reader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "decode/decode_engine.hpp"
#include "decode/file_session.hpp"
#include "ffmpeg/video_index.hpp"
#include "test_videos.hpp"

namespace odvd {
namespace {

// A frame's identity for comparison: its timestamp and every byte of its planes.
std::string fingerprint(const VideoFrame& f) {
  std::string s = std::to_string(f.pts) + ":";
  s.append(reinterpret_cast<const char*>(f.buffer->data()), f.byte_size());
  return s;
}

EngineOptions cpu_engine() {
  return EngineOptions(/*sessions=*/4, /*device=*/-1, /*suppress_warning=*/true, /*workers=*/2,
                       /*decoder_threads=*/1);
}

// Reads `ids` in order with decode-ahead at `budget` bytes; `pause` between reads.
std::vector<std::string> read_all(DecodeEngine& engine, const std::shared_ptr<const VideoIndex>& index, size_t budget,
                                  const std::vector<int>& ids,
                                  std::chrono::microseconds pause = std::chrono::microseconds(0)) {
  ForwardReader reader(engine, index, budget);
  std::vector<std::string> out;
  for (int id : ids) {
    ForwardReader::FrameMap got;
    reader.read(id, got);
    out.push_back(fingerprint(got.at(id)));
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
  return out;
}

std::vector<int> every_frame(const VideoIndex& index) {
  std::vector<int> ids(static_cast<size_t>(index.frames.frame_count()));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
  return ids;
}

TEST(ForwardReader, FramesAheadAreTheStreamingFramesAtEveryBudgetWithinIt) {
  for (const char* name : {"h264_gop30.mp4", "hevc_bframes.ts", "h264_bframes_gop24.mp4"}) {
    INDEX_OR_SKIP(index, name);
    const std::vector<int> ids = every_frame(*index);
    const size_t frame = decoded_frame_bytes(index->stream);
    DecodeEngine plain(cpu_engine());
    const std::vector<std::string> want = read_all(plain, index, 0, ids);
    for (size_t frames : {1, 3, 7, 20, 45, 1000}) {
      DecodeEngine engine(cpu_engine());
      EXPECT_EQ(read_all(engine, index, frames * frame, ids), want) << name << " budget " << frames;
      const WorkStats st = engine.stats();
      EXPECT_GT(st.ahead_frames, 0) << name << " budget " << frames;
      EXPECT_EQ(st.ahead_failed, 0) << name;
      EXPECT_LE(static_cast<size_t>(st.ahead_peak_bytes), (frames + ForwardReader::kChunkFrames) * frame)
          << name << " budget " << frames;
    }
  }
}

TEST(ForwardReader, ASlowReaderKeepsTheBudget) {
  INDEX_OR_SKIP(index, "h264_gop30.mp4");  // 90 frames, GOP 30: runs 1 and 2 go ahead
  const std::vector<int> ids = every_frame(*index);
  const size_t frame = decoded_frame_bytes(index->stream);
  DecodeEngine plain(cpu_engine());
  const std::vector<std::string> want = read_all(plain, index, 0, ids);
  for (size_t frames : {2, 10, 40}) {
    DecodeEngine engine(cpu_engine());
    EXPECT_EQ(read_all(engine, index, frames * frame, ids, std::chrono::microseconds(3000)), want);
    const WorkStats st = engine.stats();
    // Both later runs came from the lanes: every frame of them handed over ahead.
    EXPECT_EQ(st.ahead_frames, 60) << frames;
    EXPECT_LE(static_cast<size_t>(st.ahead_peak_bytes), (frames + ForwardReader::kChunkFrames) * frame) << frames;
  }
}

TEST(ForwardReader, AShortClipDecodesNothingAhead) {
  // Clips shorter than kInOrderBeforeAhead frames, read in order from anywhere, do exactly the
  // work of a reader without decode-ahead: no lane, no session, no run nobody reads (the H100
  // soak's 8-frame clips ran 2.7x slower with the lanes started at their second frame).
  INDEX_OR_SKIP(index, "h264_gop30.mp4");  // 90 frames, GOP 30: three runs
  const size_t budget = 1000 * decoded_frame_bytes(index->stream);
  for (int first : {0, 5, 20, 29, 60}) {
    std::vector<int> ids;
    for (int i = first; i < first + ForwardReader::kInOrderBeforeAhead - 1; ++i) ids.push_back(i);
    DecodeEngine plain(cpu_engine());
    DecodeEngine ahead(cpu_engine());
    EXPECT_EQ(read_all(ahead, index, budget, ids), read_all(plain, index, 0, ids)) << first;
    const WorkStats a = ahead.stats();
    const WorkStats p = plain.stats();
    EXPECT_EQ(a.packets_sent, p.packets_sent) << first;
    EXPECT_EQ(a.gop_starts, p.gop_starts) << first;
    EXPECT_EQ(a.ahead_frames, 0) << first;
  }
  // One frame more in order is a stream: the runs after it decode ahead.
  std::vector<int> ids;
  for (int i = 0; i < 60; ++i) ids.push_back(i);
  DecodeEngine engine(cpu_engine());
  read_all(engine, index, budget, ids);
  EXPECT_EQ(engine.stats().ahead_frames, 30);  // run 1 (frames 30-59), started at frame 15
}

TEST(ForwardReader, JumpsAndSkipsGiveTheRightFrames) {
  INDEX_OR_SKIP(index, "hevc_long_gop.mp4");
  std::vector<int> ids;
  for (int i = 0; i < 70; ++i) ids.push_back(i);                    // forward: lanes start
  for (int i : {10, 11, 12, 200, 201, 202, 203}) ids.push_back(i);  // back, then far ahead
  for (int i = 204; i < 320; i += 3) ids.push_back(i);              // forward, skipping frames
  DecodeEngine plain(cpu_engine());
  const std::vector<std::string> want = read_all(plain, index, 0, ids);
  for (size_t frames : {1, 8, 300}) {
    DecodeEngine engine(cpu_engine());
    EXPECT_EQ(read_all(engine, index, frames * decoded_frame_bytes(index->stream), ids), want) << frames;
  }
}

TEST(ForwardReader, ADroppedReaderStopsTasksWaitingForRoom) {
  INDEX_OR_SKIP(index, "hevc_long_gop.mp4");
  for (int round = 0; round < 20; ++round) {
    DecodeEngine engine(cpu_engine());
    const auto start = std::chrono::steady_clock::now();
    {
      ForwardReader reader(engine, index, decoded_frame_bytes(index->stream));   // one frame
      for (int id = 0; id < ForwardReader::kInOrderBeforeAhead + round; ++id) {  // lanes start at the 16th
        ForwardReader::FrameMap got;
        reader.read(id, got);
      }
    }  // lanes wait for room here, or decode; the destructor stops them
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  }
}

}  // namespace
}  // namespace odvd
