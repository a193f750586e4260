// ForwardReader: one file as a sample-reader slot reads it — forward, frame after frame —
// on a streaming FileSession, with the next GOP decoded ahead, whole, on a second
// session in the background (Note [Decode ahead] in forward_reader.cpp).
//
// Thread-safety: none; one call at a time (the slot's), while the decode-ahead task runs
// on a thread of its own. The destructor waits for that task.
#pragma once

#include <cstddef>
#include <future>
#include <map>
#include <memory>

#include "decode/decode_engine.hpp"
#include "decode/file_session.hpp"
#include "ffmpeg/video_index.hpp"
#include "odvd/frame.hpp"

namespace odvd {

class ForwardReader {
 public:
  using FrameMap = std::map<int, VideoFrame>;

  // `ahead_bytes`: a GOP is decoded ahead only when its frames take at most this many
  // bytes (0: never). Creates no session yet.
  ForwardReader(DecodeEngine& engine, std::shared_ptr<const VideoIndex> index, size_t ahead_bytes);
  ~ForwardReader();
  ForwardReader(const ForwardReader&) = delete;
  ForwardReader& operator=(const ForwardReader&) = delete;

  const std::shared_ptr<const VideoIndex>& index_ptr() const { return index_; }

  // Puts frame `id` into `out`: from the GOP decoded ahead when it holds the frame, else
  // from the streaming session; then, if the reading moved forward, starts decoding the
  // next GOP ahead. Work counters go to the engine. Throws MediaError as
  // FileSession::decode_gop does (naming the file and frame); drop the reader then.
  void read(int id, FrameMap& out);

 private:
  bool take_ahead(int gop, int id, FrameMap& out);
  void start_ahead(int gop);
  void join_ahead();  // waits for the task (if any) and counts its work; keeps its frames or drops them on error
  void drop_ahead();  // join_ahead() and forget the GOP

  DecodeEngine& engine_;
  const std::shared_ptr<const VideoIndex> index_;
  const size_t ahead_bytes_;
  size_t frame_bytes_ = 0;              // one decoded frame, as the back end stores it (an upper bound)
  std::shared_ptr<FileSession> main_;   // streams; made by the first read
  std::shared_ptr<FileSession> ahead_;  // decodes whole GOPs; made by the first decode-ahead
  SessionStats ahead_counted_;          // the ahead session's counters already added to the engine
  int ahead_gop_ = -1;                  // the GOP decoded (or being decoded) ahead, -1 none
  std::future<FrameMap> ahead_task_;    // valid while the task runs or its result is unclaimed
  FrameMap ahead_frames_;               // the claimed result, frames not yet handed out
  int last_id_ = -1;                    // the previous read's frame
};

}  // namespace odvd
