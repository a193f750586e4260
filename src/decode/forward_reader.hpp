// ForwardReader: one file as a sample-reader slot reads it — forward, frame after frame —
// on a streaming FileSession, with the next runs of GOPs decoded ahead, whole, on two
// more sessions in the background (Note [Decode ahead] in forward_reader.cpp).
//
// Thread-safety: none; one call at a time (the slot's), while the decode-ahead task runs
// on a thread of its own. The destructor waits for that task.
#pragma once

#include <cstddef>
#include <future>
#include <map>
#include <memory>
#include <vector>

#include "decode/decode_engine.hpp"
#include "decode/file_session.hpp"
#include "ffmpeg/video_index.hpp"
#include "odvd/frame.hpp"

namespace odvd {

class ForwardReader {
 public:
  using FrameMap = std::map<int, VideoFrame>;

  // Runs of GOPs decoded ahead at once, at most (each on a session of its own), and the
  // frames a run holds at least (its GOPs together; the file's last run may hold fewer):
  // Note [Decode ahead].
  static constexpr int kAheadRuns = 2;
  static constexpr int kRunFrames = 16;

  // `ahead_bytes`: the most the frames decoded ahead (held and being decoded) may take;
  // 0 = no decode-ahead. Creates no session yet.
  ForwardReader(DecodeEngine& engine, std::shared_ptr<const VideoIndex> index, size_t ahead_bytes);
  ~ForwardReader();
  ForwardReader(const ForwardReader&) = delete;
  ForwardReader& operator=(const ForwardReader&) = delete;

  const std::shared_ptr<const VideoIndex>& index_ptr() const { return index_; }

  // Puts frame `id` into `out`: from a GOP decoded ahead when one holds the frame, else
  // from the streaming session; then, if the reading moved forward, starts decoding the
  // next GOPs ahead. Work counters go to the engine. Throws MediaError as
  // FileSession::decode_gop does (naming the file and frame); drop the reader then.
  void read(int id, FrameMap& out);

 private:
  // Consecutive GOPs decoded ahead as one stream.
  struct Run {
    int first_gop = 0;
    int last_gop = 0;
    int frame_count = 0;
  };
  // A session of its own and the run it decodes (or has decoded) ahead.
  struct Ahead {
    std::shared_ptr<FileSession> session;  // made on first use
    SessionStats counted;                  // its counters already added to the engine
    int run = -1;                          // -1: free
    std::future<FrameMap> task;            // valid from start until claimed or dropped
  };

  bool take_current(int run, int id, FrameMap& out);
  bool claim(int run);  // moves the frames of `run` decoded ahead into current_
  void schedule(int run);
  bool start(Ahead& slot, int run);
  FrameMap join(Ahead& slot);  // waits for the task, counts its work; empty if it failed
  void drop(Ahead& slot);
  size_t held_frames() const;

  DecodeEngine& engine_;
  const std::shared_ptr<const VideoIndex> index_;
  const size_t ahead_bytes_;
  size_t frame_bytes_ = 0;             // one decoded frame, as the back end stores it (an upper bound)
  std::shared_ptr<FileSession> main_;  // streams; made by the first read that needs it
  std::vector<Run> runs_;              // the file's GOPs, grouped
  std::vector<int> run_of_gop_;
  std::vector<Ahead> ahead_;  // kAheadRuns sessions
  int current_run_ = -1;      // the run decoded ahead that reads take frames from now
  FrameMap current_;          // its frames not yet handed out
  int last_id_ = -1;          // the previous read's frame
};

}  // namespace odvd
