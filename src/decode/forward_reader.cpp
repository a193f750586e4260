#include "decode/forward_reader.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <exception>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "odvd/mutex.hpp"
#include "util/profile.hpp"

namespace odvd {
namespace {

// The decode-ahead tasks running in this process, and the fork() handlers that wait for
// them (Note [Decode ahead], fork()).
class TaskCount {
 public:
  static TaskCount& global() {
    static TaskCount* count = new TaskCount;  // never destroyed: tasks may end after exit starts
    return *count;
  }

  void begin() {
    MutexLock lock(mutex_);  // blocks while a fork() is under way
    ++running_;
  }

  void end() {
    MutexLock lock(mutex_);
    if (--running_ == 0) idle_.notify_all();
  }

  // Whether a fork() waits for the tasks to end: a task waiting for room in its budget
  // stops then instead (it polls this; nobody can notify it without a lock the fork holds).
  bool forking() const { return forking_.load(std::memory_order_acquire); }

 private:
  TaskCount() { ::pthread_atfork(&TaskCount::before_fork, &TaskCount::after_fork, &TaskCount::after_fork); }

  // Runs in the forking thread: waits until no task runs, and keeps the lock so that none
  // starts before the fork is done; both sides release it after.
  // The lock escapes the function by design, which the analysis cannot express.
  static void before_fork() ODVD_NO_THREAD_SAFETY_ANALYSIS {
    TaskCount& c = global();
    c.forking_.store(true, std::memory_order_release);
    c.mutex_.lock();
    while (c.running_ != 0) c.idle_.wait(c.mutex_);
  }
  static void after_fork() ODVD_NO_THREAD_SAFETY_ANALYSIS {
    global().forking_.store(false, std::memory_order_release);
    global().mutex_.unlock();
  }

  Mutex mutex_;
  CondVar idle_;
  int running_ ODVD_GUARDED_BY(mutex_) = 0;
  std::atomic<bool> forking_{false};
};

// The frame ids of GOP `g`, in order.
std::vector<int> frames_of_gop(const FrameIndex& frames, int g) {
  const GopInfo& info = frames.gop(g);
  std::vector<int> ids(static_cast<size_t>(info.frame_count));
  std::iota(ids.begin(), ids.end(), info.first_frame_id);
  return ids;
}

}  // namespace

// Note [Decode ahead]
//   A stream's pictures depend on each other, so a session decodes one picture at a time
//   and reading N cameras forward keeps at most N sessions busy: 6 cameras on an H100's 7
//   NVDEC engines read at ~10.3k frames/s, while 12 independent streams reach ~12.5k at
//   99% NVML (bench/probe_streams.py, bench/RESULTS.md §12). GOPs are independent decode
//   units (the random-access path decodes any GOP from its key, bit-exactly), so a
//   camera read forward can keep more sessions busy: the file's GOPs are grouped into
//   runs of consecutive GOPs holding at least kRunFrames frames, and while the reader is
//   in run r, the next runs decode in the background, each on a lane (a session and a
//   thread) of its own: kAheadLanes lanes, so the lane of the run being read goes on
//   decoding while the other decodes the next run. Each task hands its frames over
//   kChunkFrames at a time, onto the reader's shelf, and a read of a run decoded ahead
//   takes its frame from there, waiting for it to come out if need be. The streaming
//   session decodes only what no lane does: the first run read, and frames after a jump.
//   * When: a read that moves forward (a later frame, in the same or the next GOP — the
//     sequential pattern of Note [Continuing a GOP]) starts the runs after its own on
//     free lanes, once kInOrderBeforeAhead (16) frames have been read in order; a reader
//     that jumps about starts nothing, so random access costs nothing extra. Why wait for
//     16: a reader of short clips (8 frames of a file, then another file) started two
//     lanes — two more sessions and decoding of runs nobody read — at its second frame;
//     on an H100 that made 3,000 such reads 2.7x slower than without decode-ahead
//     (bench/RESULTS.md §21.1). A stream pays for it once, at its first 16 frames; a run
//     holds 16 frames or more, so the first run is still being read when the next starts.
//     A lane is free once the reader has passed its run (its task is stopped and its
//     frames let go).
//   * Runs, not GOPs: a run costs a thread, a restart at its key and a flush at its end,
//     which a one-frame GOP does not repay (all-intra video read 0.75x as fast with one
//     GOP per task; GOP 12 gained 1.11x: RESULTS §12). A run streams through its GOPs
//     (FileSession's streaming path) and flushes after its last frame, so nothing past
//     it is decoded.
//   * Why hand over as they come (not a run at a time): the lane of the run being read
//     is consumed while it decodes, so in steady state the shelf holds about one run —
//     the next one, decoded while the reader takes the current one — for two sessions
//     busy per camera. Handing runs over whole held three (the one being read and two
//     decoding) for the same two sessions, and a long GOP never fitted a budget of a
//     few hundred MiB (GOP 250 at 1600x900 is 540 MB a run).
//   * Memory: the frames on the shelf, and those a task is decoding (it reserves a chunk
//     before it decodes it), stay within the budget (`ahead_bytes`, the reader's
//     decode_ahead_mib; a frame's bytes estimated from the stream's size, bit depth and
//     chroma format): a task waits for room before each chunk. The one exception keeps
//     the reader from waiting forever: the lane of the earliest run still decoding may
//     decode a chunk while none of its frames is on the shelf. So at most one chunk
//     past the budget, and a run larger than the budget still goes ahead as far as the
//     budget allows (the later lane stops there until the reader takes frames). The
//     reader lets go of every frame of its run before the one it takes (a forward
//     reader will not ask for them again; if it does, the streaming session decodes
//     them), and of every lane whose run it has passed.
//   * Errors: the background decode's error is never the reader's. A task that fails
//     stops; the frames it handed over before are the ones any decode gives (the same
//     packets from the same key), and the streaming session decodes the rest, giving
//     exactly the frames or the error a reader without decode-ahead gives (a damaged
//     packet late in the run does not fail a read of an earlier frame).
//   * Work counters: a lane's packets count once its task has ended (when the reader
//     meets that, or lets go of the lane).
//   * fork(): a child process (a data loader's worker) inherits the tasks but not their
//     threads, and any lock a task held at that moment stays locked in the child
//     forever. So fork() waits until no task runs (a pthread_atfork handler, TaskCount),
//     and no task starts until it is done: the child finds every task ended. A task
//     waiting for room stops when a fork() begins (it would wait for the reader, which
//     may be the very thread that forks); the streaming session decodes what it had
//     not handed over.
ForwardReader::ForwardReader(DecodeEngine& engine, std::shared_ptr<const VideoIndex> index, size_t ahead_bytes)
    : engine_(engine),
      index_(std::move(index)),
      ahead_bytes_(ahead_bytes),
      shelf_(std::make_shared<Shelf>()),
      ahead_(kAheadLanes) {
  {
    MutexLock lock(shelf_->mutex);
    shelf_->lanes.resize(kAheadLanes);
  }
  frame_bytes_ = std::max<size_t>(1, decoded_frame_bytes(index_->stream));
  shelf_->limit = ahead_bytes_ / frame_bytes_;
  // Runs: consecutive GOPs, each run closed once it holds kRunFrames frames.
  const FrameIndex& frames = index_->frames;
  for (int g = 0; g < frames.gop_count(); ++g) {
    if (runs_.empty() || runs_.back().frame_count >= kRunFrames) {
      runs_.push_back(Run{g, g, 0});
    }
    runs_.back().last_gop = g;
    runs_.back().frame_count += frames.gop(g).frame_count;
    run_of_gop_.push_back(static_cast<int>(runs_.size()) - 1);
  }
}

ForwardReader::~ForwardReader() {
  {
    MutexLock lock(shelf_->mutex);
    for (Shelf::Lane& lane : shelf_->lanes) lane.cancel = true;
    shelf_->changed.notify_all();
  }
  for (Ahead& a : ahead_) {
    if (a.task.valid()) a.task.wait();  // the task uses the session; never outlive it
  }
}

void ForwardReader::read(int id, FrameMap& out) {
  const FrameIndex& frames = index_->frames;
  const int gop = frames.gop_of_frame(id);
  const int run = run_of_gop_[static_cast<size_t>(gop)];
  const bool forward = last_id_ >= 0 && id > last_id_ && gop <= frames.gop_of_frame(last_id_) + 1;
  last_id_ = id;
  in_order_ = forward ? in_order_ + 1 : 1;
  if (!take_ahead(run, id, out)) {
    if (!main_) {
      main_ = engine_.make_session(index_, /*always_stream=*/true);
      main_->remember(remembered_);
    }
    const SessionStats before = main_->stats();
    try {
      main_->decode_gop(gop, {id}, out);
    } catch (...) {
      engine_.add_stats(stats_between(before, main_->stats()));
      throw;
    }
    engine_.add_stats(stats_between(before, main_->stats()));
  }
  if (forward && in_order_ >= kInOrderBeforeAhead) schedule(run);
}

FileSession::RememberedDamage ForwardReader::remembered_damage() const {
  return main_ ? main_->remembered_damage() : remembered_;
}

bool ForwardReader::take_ahead(int run, int id, FrameMap& out) {
  // Let go of the lanes of runs passed (Note [Decode ahead], memory: and so the lane of
  // this run, if any, is the earliest one decoding, which never waits for room forever).
  int lane = -1;
  for (size_t i = 0; i < ahead_.size(); ++i) {
    int lane_run = -1;
    {
      MutexLock lock(shelf_->mutex);
      lane_run = shelf_->lanes[i].run;
    }
    if (lane_run >= 0 && lane_run < run) drop(i);
    if (lane_run == run) lane = static_cast<int>(i);
  }
  if (lane < 0) return false;
  bool took = false;
  bool ended = false;
  size_t peak = 0;
  {
    Shelf& shelf = *shelf_;
    MutexLock lock(shelf.mutex);
    Shelf::Lane& l = shelf.lanes[static_cast<size_t>(lane)];
    // Frames before this one will not be asked for again: room for the tasks.
    const size_t before = l.frames.size();
    l.frames.erase(l.frames.begin(), l.frames.lower_bound(id));
    shelf.held -= before - l.frames.size();
    if (before != l.frames.size()) shelf.changed.notify_all();
    while (l.through < id && !l.ended) shelf.changed.wait(shelf.mutex);
    auto it = l.frames.find(id);
    if (it != l.frames.end()) {  // else its task stopped before it (failed, or a fork)
      out[id] = std::move(it->second);
      l.frames.erase(it);
      --shelf.held;
      shelf.changed.notify_all();
      took = true;
    }
    ended = l.ended;
    peak = shelf.peak;
  }
  Ahead& a = ahead_[static_cast<size_t>(lane)];
  if (ended && a.task.valid()) report(static_cast<size_t>(lane));
  if (took) {
    WorkStats work;
    work.ahead_frames = 1;
    work.ahead_peak_bytes = static_cast<int64_t>(peak * frame_bytes_);
    engine_.add_stats(work);
  }
  return took;
}

// Starts the runs after `run`, up to kAheadLanes of them, that no lane has yet, on lanes
// that are free or hold a run too far ahead.
void ForwardReader::schedule(int run) {
  if (ahead_bytes_ == 0) return;
  const int last = std::min(run + kAheadLanes, static_cast<int>(runs_.size()) - 1);
  for (int next = run + 1; next <= last; ++next) {
    int found = -1;
    int spare = -1;
    {
      MutexLock lock(shelf_->mutex);
      for (size_t i = 0; i < shelf_->lanes.size(); ++i) {
        const int r = shelf_->lanes[i].run;
        if (r == next) found = static_cast<int>(i);
        if (spare < 0 && (r < 0 || r > last)) spare = static_cast<int>(i);
      }
    }
    if (found >= 0) continue;
    if (spare < 0) return;
    drop(static_cast<size_t>(spare));
    start(static_cast<size_t>(spare), next);
  }
}

bool ForwardReader::Shelf::may_decode(size_t i, size_t n) const {
  if (held + n <= limit) return true;
  if (!lanes[i].frames.empty()) return false;
  for (size_t j = 0; j < lanes.size(); ++j) {
    const Lane& o = lanes[j];
    // An earlier run decoding, or ended with frames still on the shelf, goes first.
    if (j != i && o.run >= 0 && o.run < lanes[i].run && (!o.ended || !o.frames.empty())) return false;
  }
  return true;  // the earliest run on the shelf, with nothing there: never starved
}

void ForwardReader::start(size_t lane, int run) {
  Ahead& slot = ahead_[lane];
  if (!slot.session) slot.session = engine_.make_session(index_, /*always_stream=*/true);
  {
    MutexLock lock(shelf_->mutex);
    shelf_->lanes[lane] = Shelf::Lane{};
    shelf_->lanes[lane].run = run;
  }
  std::promise<void> done;
  slot.task = done.get_future();
  // The thread holds its own references (session, index, shelf) and drops them before
  // it signals the future: once the future is ready it touches nothing of this reader
  // (so the destructor need only wait for the future), and once it has left TaskCount it
  // holds no lock a fork() could catch. The run streams through its GOPs and ends with a
  // flush, so no picture past it is decoded.
  TaskCount::global().begin();
  try {
    std::thread([session = slot.session, index = index_, shelf = shelf_, r = runs_[static_cast<size_t>(run)], lane,
                 done = std::move(done)]() mutable {
      {
        ODVD_PROFILE_SCOPE("reader.decode_ahead");
        bool whole = true;
        bool failed = false;
        try {
          for (int g = r.first_gop; g <= r.last_gop && whole; ++g) {
            const std::vector<int> ids = frames_of_gop(index->frames, g);
            for (size_t k = 0; k < ids.size() && whole; k += kChunkFrames) {
              const std::vector<int> chunk(
                  ids.begin() + static_cast<std::ptrdiff_t>(k),
                  ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), k + kChunkFrames)));
              {
                MutexLock lock(shelf->mutex);
                Shelf::Lane& l = shelf->lanes[lane];
                // Waiting for room; a fork() stops the wait (Note [Decode ahead], fork()).
                bool stop = l.cancel;
                while (!stop && !shelf->may_decode(lane, chunk.size())) {
                  shelf->changed.wait_for(shelf->mutex, std::chrono::milliseconds(20));
                  stop = l.cancel || TaskCount::global().forking();
                }
                if (stop) {
                  whole = false;
                  break;
                }
                shelf->held += chunk.size();
                shelf->peak = std::max(shelf->peak, shelf->held);
              }
              FrameMap got;
              const bool last = g == r.last_gop && k + chunk.size() >= ids.size();
              try {
                session->decode_gop(g, chunk, got, /*flush=*/last);
              } catch (...) {
                MutexLock lock(shelf->mutex);
                shelf->held -= chunk.size();
                throw;
              }
              MutexLock lock(shelf->mutex);
              Shelf::Lane& l = shelf->lanes[lane];
              shelf->held += got.size();
              shelf->held -= chunk.size();
              l.frames.merge(got);
              l.through = chunk.back();
              shelf->changed.notify_all();
            }
          }
        } catch (...) {
          whole = false;
          failed = true;
        }
        session.reset();
        index.reset();
        {
          MutexLock lock(shelf->mutex);
          Shelf::Lane& l = shelf->lanes[lane];
          l.ended = true;
          l.whole = whole;
          l.failed = failed;
          shelf->changed.notify_all();
        }
        shelf.reset();
        done.set_value();
      }
      TaskCount::global().end();
    }).detach();
  } catch (...) {  // no thread: the promise is gone, so the future reports a broken promise
    TaskCount::global().end();
    MutexLock lock(shelf_->mutex);
    shelf_->lanes[lane].ended = true;
  }
}

// The lane's task has ended (or never started): counts its session's work once.
void ForwardReader::report(size_t lane) {
  Ahead& slot = ahead_[lane];
  if (!slot.task.valid()) return;
  try {
    slot.task.get();
  } catch (...) {  // a broken promise: no thread ran
  }
  WorkStats work = stats_between(slot.counted, slot.session->stats());
  slot.counted = slot.session->stats();
  int gops = 0;
  bool whole = false;
  bool failed = false;
  {
    MutexLock lock(shelf_->mutex);
    const Shelf::Lane& l = shelf_->lanes[lane];
    const Run& r = runs_[static_cast<size_t>(l.run)];
    gops = r.last_gop - r.first_gop + 1;
    whole = l.whole;
    failed = l.failed;
  }
  if (whole) work.ahead_gops = gops;
  if (failed) work.ahead_failed = gops;
  engine_.add_stats(work);
}

void ForwardReader::drop(size_t lane) {
  {
    MutexLock lock(shelf_->mutex);
    Shelf::Lane& l = shelf_->lanes[lane];
    if (l.run < 0) return;
    l.cancel = true;
    shelf_->changed.notify_all();
  }
  if (ahead_[lane].task.valid()) ahead_[lane].task.wait();
  report(lane);
  MutexLock lock(shelf_->mutex);
  Shelf::Lane& l = shelf_->lanes[lane];
  shelf_->held -= l.frames.size();
  shelf_->changed.notify_all();
  l = Shelf::Lane{};
}

}  // namespace odvd
