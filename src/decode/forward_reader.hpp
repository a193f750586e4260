// ForwardReader: one file as a sample-reader slot reads it — forward, frame after frame —
// on a streaming FileSession, with the next runs of GOPs decoded ahead on two more
// sessions in the background, their frames handed over as they come out, within a byte
// budget (Note [Decode ahead] in forward_reader.cpp).
//
// Thread-safety: none; one call at a time (the slot's), while the decode-ahead tasks run
// on threads of their own and share only the Shelf with it. The destructor stops and
// waits for those tasks.
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
#include "odvd/mutex.hpp"

namespace odvd {

class ForwardReader {
 public:
  using FrameMap = std::map<int, VideoFrame>;

  // Sessions decoding ahead, each a run of GOPs at a time, and the frames a run holds at
  // least (its GOPs together; the file's last run may hold fewer): Note [Decode ahead].
  static constexpr int kAheadLanes = 2;
  static constexpr int kRunFrames = 16;
  // Frames a task decodes between two hand-overs (and the most it decodes past the
  // budget: Note [Decode ahead], memory).
  static constexpr int kChunkFrames = 4;
  // Frames read in order (each later than the one before, in the same or the next GOP)
  // before any run is decoded ahead: a stream, not a short clip (Note [Decode ahead], When).
  static constexpr int kInOrderBeforeAhead = kRunFrames;

  // `ahead_bytes`: the most the frames decoded ahead and not yet handed out may take
  // (plus one chunk); 0 = no decode-ahead. Creates no session yet.
  ForwardReader(DecodeEngine& engine, std::shared_ptr<const VideoIndex> index, size_t ahead_bytes);
  ~ForwardReader();
  ForwardReader(const ForwardReader&) = delete;
  ForwardReader& operator=(const ForwardReader&) = delete;

  const std::shared_ptr<const VideoIndex>& index_ptr() const { return index_; }

  // Puts frame `id` into `out`: from a run decoded ahead when one holds the frame
  // (waiting for it to come out if need be), else from the streaming session; then, if
  // the reading moved forward, starts decoding the next runs ahead. Work counters go to
  // the engine. Throws MediaError as FileSession::decode_gop does (naming the file and
  // frame); drop the reader then.
  void read(int id, FrameMap& out);

  // What the streaming session remembers of the file's damage, and starting this reader's
  // session with it (a reader that replaces one dropped after an error: Note [Damage
  // remembered] in file_session.cpp).
  FileSession::RememberedDamage remembered_damage() const;
  void remember(const FileSession::RememberedDamage& damage) { remembered_ = damage; }

 private:
  // Consecutive GOPs decoded ahead as one stream.
  struct Run {
    int first_gop = 0;
    int last_gop = 0;
    int frame_count = 0;
  };
  // What the reader and the decode-ahead tasks share (Note [Decode ahead], memory): the
  // frames each lane has handed over, and how many frames are held in all.
  struct Shelf {
    struct Lane {
      int run = -1;         // the run its task decodes (or decoded); -1: free
      FrameMap frames;      // handed over, not taken yet
      int through = -1;     // every frame of the run up to this id is out (or never comes)
      bool ended = false;   // the task stopped: done, failed or cancelled
      bool whole = false;   // ... after the last frame of its run
      bool failed = false;  // ... on an error
      bool cancel = false;  // the reader wants the task to stop
    };
    Mutex mutex;
    CondVar changed;
    std::vector<Lane> lanes ODVD_GUARDED_BY(mutex);
    size_t held ODVD_GUARDED_BY(mutex) = 0;  // frames on the shelf and reserved by tasks
    size_t peak ODVD_GUARDED_BY(mutex) = 0;
    size_t limit = 0;  // frames the budget holds (set before any task starts)

    // Whether lane `i` may reserve `n` frames now (Note [Decode ahead], memory).
    bool may_decode(size_t i, size_t n) const ODVD_REQUIRES(mutex);
  };
  // A lane's session, its work counted so far and its running task.
  struct Ahead {
    std::shared_ptr<FileSession> session;  // made on first use
    SessionStats counted;                  // its counters already added to the engine
    std::future<void> task;                // valid from start until dropped
  };

  bool take_ahead(int run, int id, FrameMap& out);
  void schedule(int run);
  void start(size_t lane, int run);
  void report(size_t lane);  // once its task has ended: counts its work (once)
  void drop(size_t lane);    // stops its task, waits for it, counts its work, frees the lane

  DecodeEngine& engine_;
  const std::shared_ptr<const VideoIndex> index_;
  const size_t ahead_bytes_;
  size_t frame_bytes_ = 1;                    // one decoded frame, as the back end stores it (an upper bound)
  std::shared_ptr<FileSession> main_;         // streams; made by the first read that needs it
  FileSession::RememberedDamage remembered_;  // given to main_ when it is made
  std::vector<Run> runs_;                     // the file's GOPs, grouped
  std::vector<int> run_of_gop_;
  std::shared_ptr<Shelf> shelf_;  // the tasks hold it too
  std::vector<Ahead> ahead_;      // kAheadLanes, indexed as shelf_->lanes
  int last_id_ = -1;              // the previous read's frame
  int in_order_ = 0;              // frames read in order up to and including the previous read
};

}  // namespace odvd
