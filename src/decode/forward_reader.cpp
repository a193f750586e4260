#include "decode/forward_reader.hpp"

#include <pthread.h>

#include <algorithm>
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

 private:
  TaskCount() { ::pthread_atfork(&TaskCount::before_fork, &TaskCount::after_fork, &TaskCount::after_fork); }

  // Runs in the forking thread: waits until no task runs, and keeps the lock so that none
  // starts before the fork is done; both sides release it after.
  // The lock escapes the function by design, which the analysis cannot express.
  static void before_fork() ODVD_NO_THREAD_SAFETY_ANALYSIS {
    TaskCount& c = global();
    c.mutex_.lock();
    while (c.running_ != 0) c.idle_.wait(c.mutex_);
  }
  static void after_fork() ODVD_NO_THREAD_SAFETY_ANALYSIS { global().mutex_.unlock(); }

  Mutex mutex_;
  CondVar idle_;
  int running_ ODVD_GUARDED_BY(mutex_) = 0;
};

}  // namespace

// Note [Decode ahead]
//   A stream's pictures depend on each other, so a session decodes one picture at a time
//   and reading N cameras forward keeps at most N sessions busy: 6 cameras on an H100's 7
//   NVDEC engines read at ~10.3k frames/s, while 12 independent streams reach ~12.5k at
//   99% NVML (bench/probe_streams.py, bench/RESULTS.md §12). GOPs are independent decode
//   units (the random-access path decodes any GOP from its key, bit-exactly), so a
//   camera read forward can keep more sessions busy: the file's GOPs are grouped into
//   runs of consecutive GOPs holding at least kRunFrames frames, and while the reader is
//   in run r, the next kAheadRuns runs decode whole, each on a session of its own, in
//   the background, into frames held here. A read of a run decoded ahead waits for it
//   (if need be) and takes its frame without decoding; the session that decoded it goes
//   on with the next run not yet ahead. The streaming session decodes only what is not
//   ahead: the first run read, and frames after a jump.
//   * When: a read that moves forward (a later frame, in the same or the next GOP — the
//     sequential pattern of Note [Continuing a GOP]) starts the runs after its own; a
//     reader that jumps about starts nothing, so random access costs nothing extra.
//   * Runs, not GOPs: a run decoded ahead costs a thread, a restart at its key and a
//     flush at its end, which a one-frame GOP does not repay (all-intra video read 0.75x
//     as fast with one GOP per task; GOP 12 gained 1.11x: RESULTS §12). A run streams
//     through its GOPs (FileSession's streaming path) and flushes after its last frame,
//     so nothing past it is decoded.
//   * Why two: with one run ahead a camera's second session idles from the moment its
//     run is done until the reader has taken it; with two, one of them is always
//     decoding while the reader takes frames (measured: RESULTS §12).
//   * Memory: the frames held and being decoded ahead (each run's frame count times a
//     frame's bytes, estimated from the stream's size, bit depth and chroma format) stay
//     within `ahead_bytes` (the reader's decode_ahead_mib), counting the frames of the
//     run being read that are not handed out yet; a run that does not fit waits for a
//     later read (so a budget of two runs alternates: one ahead while the streaming
//     session decodes the other), and one larger than the budget is never decoded
//     ahead. Frames are freed as they are handed out, and earlier ones with them (a
//     forward reader will not ask for them again; if it does, the streaming session
//     decodes them).
//   * Errors: the background decode's error is never the reader's. A run whose decode
//     failed is dropped and the streaming session decodes the frame instead, giving
//     exactly the frames or the error a reader without decode-ahead gives (a damaged
//     packet late in the run does not fail a read of an earlier frame).
//   * Work counters: a background session's packets count when its task is joined.
//   * fork(): a child process (a data loader's worker) inherits the tasks but not their
//     threads, and any lock a task held at that moment stays locked in the child
//     forever. So fork() waits until no task runs (a pthread_atfork handler, TaskCount),
//     and no task starts until it is done: the child finds every task finished.
ForwardReader::ForwardReader(DecodeEngine& engine, std::shared_ptr<const VideoIndex> index, size_t ahead_bytes)
    : engine_(engine), index_(std::move(index)), ahead_bytes_(ahead_bytes), ahead_(kAheadRuns) {
  frame_bytes_ = decoded_frame_bytes(index_->stream);
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
  if (!take_current(run, id, out) && !(claim(run) && take_current(run, id, out))) {
    if (run != current_run_) {  // the frames decoded ahead are behind the reader now
      current_.clear();
      current_run_ = -1;
    }
    if (!main_) main_ = engine_.make_session(index_, /*always_stream=*/true);
    const SessionStats before = main_->stats();
    try {
      main_->decode_gop(gop, {id}, out);
    } catch (...) {
      engine_.add_stats(stats_between(before, main_->stats()));
      throw;
    }
    engine_.add_stats(stats_between(before, main_->stats()));
  }
  if (forward) schedule(run);
}

bool ForwardReader::take_current(int run, int id, FrameMap& out) {
  if (run != current_run_) return false;
  auto it = current_.find(id);
  if (it == current_.end()) return false;  // its decode failed, or handed out already
  out[id] = std::move(it->second);
  current_.erase(current_.begin(), std::next(it));
  WorkStats work;
  work.ahead_frames = 1;
  engine_.add_stats(work);
  return true;
}

bool ForwardReader::claim(int run) {
  for (Ahead& a : ahead_) {
    if (a.run != run) continue;
    current_ = join(a);
    current_run_ = run;
    a.run = -1;
    return true;
  }
  return false;
}

// Starts the runs after `run`, up to kAheadRuns of them, that are not ahead yet, on
// sessions that are free or hold a run the reader has passed.
void ForwardReader::schedule(int run) {
  if (ahead_bytes_ == 0) return;
  const int last = std::min(run + kAheadRuns, static_cast<int>(runs_.size()) - 1);
  for (int next = run + 1; next <= last; ++next) {
    if (next == current_run_ ||
        std::any_of(ahead_.begin(), ahead_.end(), [&](const Ahead& a) { return a.run == next; })) {
      continue;
    }
    auto slot =
        std::find_if(ahead_.begin(), ahead_.end(), [&](const Ahead& a) { return a.run <= run || a.run > last; });
    if (slot == ahead_.end()) return;
    drop(*slot);
    if (!start(*slot, next)) return;
  }
}

bool ForwardReader::start(Ahead& slot, int run) {
  const Run& r = runs_[static_cast<size_t>(run)];
  const double bytes =
      static_cast<double>(held_frames() + static_cast<size_t>(r.frame_count)) * static_cast<double>(frame_bytes_);
  if (bytes > static_cast<double>(ahead_bytes_)) return false;
  if (!slot.session) slot.session = engine_.make_session(index_, /*always_stream=*/true);
  slot.run = run;
  std::promise<FrameMap> result;
  slot.task = result.get_future();
  // The thread gets its own reference to the session and drops it before it hands over
  // the result: once the future is ready, it touches nothing of this reader (so the
  // destructor need only wait for the future), and once it has left TaskCount it holds
  // no lock a fork() could catch. The run streams through its GOPs and ends with a
  // flush, so no picture past it is decoded.
  TaskCount::global().begin();
  try {
    std::thread([session = slot.session, index = index_, r, result = std::move(result)]() mutable {
      {
        ODVD_PROFILE_SCOPE("reader.decode_ahead");
        try {
          FrameMap decoded;
          for (int g = r.first_gop; g <= r.last_gop; ++g) {
            const GopInfo& info = index->frames.gop(g);
            std::vector<int> ids(static_cast<size_t>(info.frame_count));
            std::iota(ids.begin(), ids.end(), info.first_frame_id);
            session->decode_gop(g, ids, decoded, /*flush=*/g == r.last_gop);
          }
          session.reset();
          index.reset();
          result.set_value(std::move(decoded));
        } catch (...) {
          session.reset();
          index.reset();
          result.set_exception(std::current_exception());
        }
      }
      TaskCount::global().end();
    }).detach();
  } catch (...) {  // no thread: the promise is gone, so the future reports a broken promise
    TaskCount::global().end();
  }
  return true;
}

ForwardReader::FrameMap ForwardReader::join(Ahead& slot) {
  if (!slot.task.valid()) return {};
  FrameMap frames;
  bool whole = true;
  try {
    frames = slot.task.get();
  } catch (...) {
    frames.clear();  // Note [Decode ahead]: the streaming session decodes instead
    whole = false;
  }
  // The task is over: its session's counters are stable now.
  WorkStats work = stats_between(slot.counted, slot.session->stats());
  const Run& r = runs_[static_cast<size_t>(slot.run)];
  (whole ? work.ahead_gops : work.ahead_failed) = r.last_gop - r.first_gop + 1;
  engine_.add_stats(work);
  slot.counted = slot.session->stats();
  return frames;
}

void ForwardReader::drop(Ahead& slot) {
  join(slot);
  slot.run = -1;
}

size_t ForwardReader::held_frames() const {
  size_t n = current_.size();
  for (const Ahead& a : ahead_) {
    if (a.run >= 0) n += static_cast<size_t>(runs_[static_cast<size_t>(a.run)].frame_count);
  }
  return n;
}

}  // namespace odvd
