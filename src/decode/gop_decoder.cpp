#include "odvd/gop_decoder.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>
#include <unordered_set>

#include "decode/backend_pool.hpp"
#include "decode/call_report.hpp"
#include "decode/content_check.hpp"
#include "decode/decode_engine.hpp"
#include "decode/file_session.hpp"
#include "decode/gop_stream.hpp"
#include "decode/nearest_frame.hpp"
#include "decode/planner.hpp"
#include "decode/record_decode.hpp"
#include "gop/gop_extract.hpp"
#include "gop/packet_list.hpp"
#include "odvd/error.hpp"
#include "odvd/mutex.hpp"
#include "odvd/option_limits.hpp"
#include "util/lru_cache.hpp"
#include "util/profile.hpp"
#include "util/thread_pool.hpp"

namespace odvd {

void GopDecoderOptions::validate() const {
  using L = OptionLimits;
  check_option_range("maxfiles", max_files, 1, L::kMaxEntries);
  check_option_range("worker_threads", worker_threads, 0, L::kMaxWorkerThreads, " (0: automatic)");
  check_option_range("decoder_threads", decoder_threads, 0, L::kMaxDecoderThreads, " (0: automatic)");
  check_video_stream(video_stream);
  check_option_range("parallel_calls", parallel_calls, 1, L::kMaxParallelCalls);
  check_option_range("session_cache_mib", session_cache_mib, 0, L::kMaxSessionCacheMib);
  if (static_cast<long long>(max_files) * parallel_calls > L::kMaxSessions) {
    throw ArgumentError("maxfiles * parallel_calls must be at most " + std::to_string(L::kMaxSessions) +
                        " decode sessions (got " + std::to_string(max_files) + " * " + std::to_string(parallel_calls) +
                        ")");
  }
}

namespace {

EngineOptions engine_options(const GopDecoderOptions& o) {
  o.validate();
  EngineOptions e(o.max_files * o.parallel_calls, o.device, o.suppress_no_color_range_warning, o.worker_threads,
                  o.decoder_threads);
  e.fallback = o.fallback;
  return e;
}

// The per-file state one call works with: warm decode sessions (at most `files` of them,
// within `session_bytes` of estimated decoder memory) and demuxers.
struct SessionSet {
  SessionSet(size_t files, size_t session_bytes) : sessions(files, session_bytes), extractors(files, SIZE_MAX) {}
  LruCache<std::string, FileSession> sessions;
  LruCache<std::string, GopExtractor> extractors;  // demux-only state of get_gops
};

}  // namespace

// Note [Parallel calls]: a call uses the warm per-file state of one SessionSet, and a set
// is used by one call at a time (sessions and demuxers are not thread-safe). With
// parallel_calls = N the decoder owns N sets, so N calls from different threads decode
// at once (each file's GOP decodes picture after picture on one session, so one call
// alone leaves NVDEC engines idle: bench/RESULTS.md §5); further calls wait for a set.
// A set returns to the free list after its call, and the most recently freed set is
// lent first, so a single caller always meets its own warm sessions.
struct GopDecoder::Impl {
  explicit Impl(const GopDecoderOptions& o)
      : engine(engine_options(o)),
        options(o),
        content_check(o.content_digests),
        record_backends(static_cast<size_t>(o.max_files * o.parallel_calls)),
        set_bytes((static_cast<size_t>(o.session_cache_mib) << 20) / static_cast<size_t>(o.parallel_calls)) {
    options.worker_threads = engine.options().worker_threads;
    options.decoder_threads = engine.options().decoder_threads;
    for (int i = 0; i < o.parallel_calls; ++i) {
      sets.push_back(std::make_unique<SessionSet>(static_cast<size_t>(o.max_files), set_bytes));
      free_sets.push_back(sets.back().get());
    }
  }

  // Lends a session set to one call for the lifetime of the lease.
  class Lease {
   public:
    explicit Lease(Impl& impl) : impl_(impl) {
      MutexLock lock(impl_.sets_mutex);
      while (impl_.free_sets.empty()) impl_.set_free.wait(impl_.sets_mutex);
      set_ = impl_.free_sets.back();
      impl_.free_sets.pop_back();
    }
    ~Lease() {
      {
        MutexLock lock(impl_.sets_mutex);
        impl_.free_sets.push_back(set_);
      }
      impl_.set_free.notify_one();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    SessionSet& operator*() const { return *set_; }

   private:
    Impl& impl_;
    SessionSet* set_;
  };

  using FrameMap = std::map<int, VideoFrame>;

  // What went wrong in one file of a call (Note [Damage policy]): failed frame ids with
  // their reasons, and the frame each got in its place (kNearest).
  struct FileOutcome {
    std::map<int, std::string> failed;
    std::map<int, int> substitute;
  };

  // The session a lane decodes on: lane 0 under the file's path (the file's usual
  // session), lane k under the path, a NUL (never in a path) and k (Note [GOP lanes]).
  static std::string lane_key(const std::string& path, int lane) {
    return lane == 0 ? path : path + std::string(1, '\0') + std::to_string(lane);
  }

  // Runs fn(session) on the warm session under `key` (made when there is none), counting
  // its work; a session that saw an exception is dropped from the set (never reuse state
  // that saw an error) and the exception goes on.
  template <typename Fn>
  void on_session(SessionSet& set, const std::string& key, const FileWork& work, Fn&& fn) {
    std::shared_ptr<FileSession> session = engine.session_in(set.sessions, key, work.index);
    const SessionStats before = session->stats();
    try {
      fn(*session);
    } catch (...) {
      engine.add_stats(stats_between(before, session->stats()));
      set.sessions.erase(key);
      throw;
    }
    engine.add_stats(stats_between(before, session->stats()));
  }

  // Decodes a lane's GOPs into `out`; damage fails the frames it reaches (in `failed`),
  // not the call.
  void decode_lane(SessionSet& set, const FileWork& work, const Lane& lane, FrameMap& out,
                   std::map<int, std::string>& failed) {
    const std::string key = lane_key(work.path, lane.lane);
    for (size_t g : lane.gops) {
      const GopWork& gop = work.gops[g];
      Refusals refused;
      try {
        on_session(set, key, work, [&](FileSession& s) { s.decode_gop(gop.gop, gop.frame_ids, out, false, &refused); });
      } catch (const MediaError& e) {  // the GOP's frames not out yet fail (the next GOP gets a new session)
        for (int id : gop.frame_ids) {
          if (out.count(id) == 0) refused.emplace_back(id, e.what());
        }
      }
      for (auto& [id, why] : refused) failed.emplace(id, std::move(why));
    }
  }

  // kNearest: a substitute for each failed frame of a file, decoded on its lane-0 session.
  void substitute_in_file(SessionSet& set, const FileWork& work, FrameMap& out, FileOutcome& outcome) {
    on_session(set, work.path, work,
               [&](FileSession& s) { outcome.substitute = substitute_nearest(s, outcome.failed, out); });
  }

  // Sessions a call may spread its GOPs over (Note [GOP lanes]): maxfiles, or fewer where
  // the set's warm-session budget holds fewer (more lanes would open sessions that the
  // cache drops after every call).
  size_t lane_sessions(const DecodePlan& plan) const {
    size_t largest = 1;
    for (const FileWork& f : plan.files) largest = std::max(largest, warm_session_bytes(*f.index));
    return std::min(static_cast<size_t>(options.max_files), set_bytes / largest);
  }

  // Decodes every file of the plan, its GOPs spread over lanes (Note [GOP lanes]).
  void decode_plan(SessionSet& set, const DecodePlan& plan, std::vector<FrameMap>& frames,
                   std::vector<FileOutcome>& outcomes) {
    const std::vector<Lane> lanes = plan_lanes(plan, lane_sessions(plan));
    std::vector<FrameMap> lane_frames(lanes.size());
    std::vector<std::map<int, std::string>> lane_failed(lanes.size());
    engine.pool().run_all(lanes.size(), [&](size_t k) {
      const Lane& lane = lanes[k];
      decode_lane(set, plan.files[lane.file], lane, lane_frames[k], lane_failed[k]);
    });
    for (size_t k = 0; k < lanes.size(); ++k) {
      frames[lanes[k].file].merge(lane_frames[k]);
      outcomes[lanes[k].file].failed.merge(lane_failed[k]);
    }
    if (options.on_error != OnError::kNearest) return;
    std::vector<size_t> damaged;
    for (size_t f = 0; f < plan.files.size(); ++f) {
      if (!outcomes[f].failed.empty()) damaged.push_back(f);
    }
    engine.pool().run_all(damaged.size(), [&](size_t k) {
      const size_t f = damaged[k];
      substitute_in_file(set, plan.files[f], frames[f], outcomes[f]);
    });
  }

  // The index of a file the call names, its content checked when digests were given.
  std::shared_ptr<const VideoIndex> index_of(const std::string& path) {
    std::shared_ptr<const VideoIndex> index = IndexCache::global().get(path, options.video_stream);
    content_check.verify(path, index->stamp);
    return index;
  }

  // Plans the call and decodes every file; returns each entry's frame (in `frames`; null
  // for an entry the damage policy left without one) and the call's report.
  std::vector<const VideoFrame*> run(SessionSet& set, const std::vector<std::string>& paths,
                                     const std::vector<int>& ids, std::vector<FrameMap>& frames) {
    check_entry_lists(paths.size(), ids.size(), static_cast<size_t>(options.max_files));
    ODVD_PROFILE_SCOPE("call.plan_and_decode");
    DecodePlan plan = make_plan(
        paths, ids, [this](const std::string& p) { return index_of(p); }, /*tolerate=*/true);
    if (!plan.files.empty()) engine.prepare_device();
    frames.assign(plan.files.size(), FrameMap{});
    std::vector<FileOutcome> outcomes(plan.files.size());
    for (size_t i = 0; i < ids.size(); ++i) {  // frames cut off from their file
      if (plan.entry_file[i] >= 0 && !plan.entry_error[i].empty()) {
        outcomes[plan.entry_file[i]].failed.emplace(ids[i], plan.entry_error[i]);
      }
    }
    decode_plan(set, plan, frames, outcomes);
    for (const FileWork& file : plan.files) engine.note_color_range(*file.index);
    std::vector<const VideoFrame*> picked(ids.size(), nullptr);
    std::vector<EntryReport> report;
    for (size_t i = 0; i < ids.size(); ++i) {
      const int f = plan.entry_file[i];
      std::string reason = plan.entry_error[i];
      if (f >= 0 && reason.empty()) {
        auto failed = outcomes[f].failed.find(ids[i]);
        if (failed == outcomes[f].failed.end()) {
          picked[i] = &frames[f].at(ids[i]);
          continue;
        }
        reason = failed->second;
      }
      EntryReport r{static_cast<int>(i), paths[i], ids[i], -1, reason};
      if (f >= 0) {
        auto sub = outcomes[f].substitute.find(ids[i]);
        if (sub != outcomes[f].substitute.end()) {
          r.returned = sub->second;
          picked[i] = &frames[f].at(sub->second);
        }
      }
      report.push_back(std::move(r));
    }
    finish_call(report, ids.size());
    return picked;
  }

  void finish_call(std::vector<EntryReport> report, size_t entries) {
    reports.finish(options.on_error, std::move(report), entries);
  }

  static std::shared_ptr<GopExtractor> extractor_for(SessionSet& set, const std::string& path,
                                                     const std::shared_ptr<const VideoIndex>& index) {
    std::shared_ptr<GopExtractor> extractor = set.extractors.get(path);
    if (extractor && extractor->index_ptr() == index) return extractor;
    extractor = std::make_shared<GopExtractor>(index);
    set.extractors.put(path, extractor, 1);
    return extractor;
  }

  std::vector<GopRecord> get_gops(SessionSet& set, const std::vector<std::string>& paths, const std::vector<int>& ids) {
    check_entry_lists(paths.size(), ids.size(), static_cast<size_t>(options.max_files));
    DecodePlan plan = make_plan(paths, ids, [this](const std::string& p) { return index_of(p); });
    std::vector<GopRecord> records(ids.size());
    engine.pool().run_all(plan.files.size(), [&](size_t f) {
      const FileWork& work = plan.files[f];
      std::shared_ptr<GopExtractor> extractor = extractor_for(set, work.path, work.index);
      try {
        std::map<int, GopRecord> by_gop;
        for (const GopWork& gop : work.gops) by_gop.emplace(gop.gop, extractor->extract(gop.gop));
        for (size_t i = 0; i < ids.size(); ++i) {
          if (plan.entry_file[i] == static_cast<int>(f))
            records[i] = by_gop.at(work.index->frames.gop_of_frame(ids[i]));
        }
      } catch (...) {
        set.extractors.erase(work.path);
        throw;
      }
    });
    return records;
  }

  // Checks the entries of a decode from records, then decodes each record once for all the
  // entries whose records are equal (Note [Shared records] in record_decode.hpp; one task a
  // record, on idle backends of the same stream where there are some). Returns each entry's
  // frame (in `frames`, one map a decoded record; null when the damage policy left the entry
  // without one), keeping the call's report as run() does.
  std::vector<const VideoFrame*> run_records(std::vector<GopRecord>& records, const std::vector<std::string>& labels,
                                             const std::vector<int>& ids, std::vector<FrameMap>& frames) {
    ODVD_PROFILE_SCOPE("records.call");
    check_entry_lists(labels.size(), ids.size(), static_cast<size_t>(options.max_files));
    check_records(records, labels, ids);
    engine.prepare_device();
    const RecordGroups groups = group_records(records, labels, ids);
    const size_t n = groups.first.size();
    frames.assign(n, FrameMap{});
    std::vector<std::string> failed(ids.size());  // per entry: why its frame did not come out
    std::vector<int> returned(ids.size(), -1);
    std::vector<std::vector<size_t>> members(n);
    for (size_t i = 0; i < ids.size(); ++i) members[groups.of_entry[i]].push_back(i);
    engine.pool().run_all(n, [&](size_t g) {
      const size_t first = groups.first[g];
      GopRecord& record = records[first];
      complete_stream_description(record);
      const std::string label = labels[first].empty() ? record.source : labels[first];
      const std::string what = quoted(label) + " (bundle record " + std::to_string(first) + ")";
      decode_shared_record(record, label, what, groups.frame_ids[g], members[g], ids, frames[g], failed, returned);
    });
    std::vector<const VideoFrame*> picked(ids.size(), nullptr);
    std::vector<EntryReport> report;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (returned[i] >= 0) picked[i] = &frames[groups.of_entry[i]].at(returned[i]);
      if (failed[i].empty()) continue;
      report.push_back(EntryReport{static_cast<int>(i), labels[i].empty() ? records[i].source : labels[i], ids[i],
                                   returned[i], failed[i]});
    }
    finish_call(std::move(report), ids.size());
    return picked;
  }

  // Decodes the frames `wanted` by the entries `members` (indices into `ids`) from their one
  // record into `out`, and says for each member which frame it gets (`returned`) or why it
  // gets none (`failed`), as each would have alone (Note [Shared records]).
  void decode_shared_record(const GopRecord& record, const std::string& label, const std::string& what,
                            const std::vector<int>& wanted, const std::vector<size_t>& members,
                            const std::vector<int>& ids, FrameMap& out, std::vector<std::string>& failed,
                            std::vector<int>& returned) {
    Refusals refused;
    const std::string reason = decode_record(record, label, what, wanted, out, &refused);
    // Failed with no frame refused: the decode failed as a whole (a MediaError), and `out`
    // may hold frames that were never checked.
    const bool whole = !reason.empty() && refused.empty();
    std::map<int, std::string> alone;  // after a decode that failed as a whole: each frame's own try
    if (whole) {
      // None of its frames counts; each is tried on its own, as without sharing, so a failure
      // later in the GOP does not take an earlier entry's frame.
      out.clear();
      for (int id : wanted) {
        FrameMap one;
        alone[id] = wanted.size() == 1 ? reason : decode_record(record, label, what, {id}, one);
        if (alone[id].empty()) out.emplace(id, std::move(one.at(id)));
      }
    }
    for (size_t i : members) {
      if (out.count(ids[i]) != 0) {
        returned[i] = ids[i];
        continue;
      }
      const auto own = std::find_if(refused.begin(), refused.end(), [&](const auto& r) { return r.first == ids[i]; });
      failed[i] = whole ? alone[ids[i]] : own != refused.end() ? own->second : reason;
      if (failed[i].empty()) failed[i] = what + ": frame " + std::to_string(ids[i]) + " did not come out";
      if (options.on_error == OnError::kNearest) returned[i] = nearest_in_record(record, label, what, ids[i], out);
    }
  }

  // Decodes `wanted` frames of a record into `out`; returns why the first refused one
  // failed ("" when all came out), and, given `refused_out`, every refused frame's reason
  // (none when the decode failed as a whole: a MediaError). Backends go back to the pool
  // only after a clean decode.
  std::string decode_record(const GopRecord& record, const std::string& label, const std::string& what,
                            const std::vector<int>& wanted, FrameMap& out, Refusals* refused_out = nullptr) {
    ODVD_PROFILE_SCOPE("records.decode_record");
    const std::string key = backend_key(record);
    std::unique_ptr<DecoderBackend> backend = record_backends.take(key);
    if (!backend) {
      ODVD_PROFILE_SCOPE("records.make_backend");  // an idle one of the stream's key was not there
      backend = engine.make_record_backend(record, label);
      record_backends_made.fetch_add(1, std::memory_order_relaxed);
    }
    GopRun run = run_for_record(record, what, wanted);
    WorkStats work;
    work.packets_sent = static_cast<int64_t>(run.packets.size());
    work.gop_starts = 1;
    engine.add_stats(work);
    Refusals refused;
    try {
      decode_gop_run(*backend, run, out, &refused);
    } catch (const MediaError& e) {
      return e.what();
    }
    if (refused_out != nullptr) *refused_out = refused;
    if (!refused.empty()) return refused.front().second;
    record_backends.give_back(key, std::move(backend));
    return "";
  }

  // kNearest within a record: the clean frame of its GOP closest to `id`, or -1.
  int nearest_in_record(const GopRecord& record, const std::string& label, const std::string& what, int id,
                        FrameMap& out) {
    std::vector<int> all;
    for (const BundlePacket& p : record.packets) {
      if (p.frame_id >= 0 && p.frame_id != id) all.push_back(p.frame_id);
    }
    FrameMap clean;
    decode_record(record, label, what, all, clean);  // frames before the damage come out
    int best = -1;
    for (const auto& kv : clean) {
      if (best < 0 || std::abs(kv.first - id) < std::abs(best - id)) best = kv.first;
    }
    if (best >= 0) out.emplace(best, clean[best]);  // another entry of the record may hold it already
    return best;
  }

  // Each record must hold its entry's frame and, on a decoder set to one video stream
  // (video_stream=K), come from that stream: a record of another stream would answer
  // with another stream's frame under the same id. Records of unknown origin (packet
  // lists, older bundles) and decoders on the default stream take any record.
  void check_records(const std::vector<GopRecord>& records, const std::vector<std::string>& labels,
                     const std::vector<int>& ids) const {
    if (records.size() != ids.size()) {
      throw ArgumentError("the GOP data holds " + std::to_string(records.size()) + " record(s) but the call has " +
                          std::to_string(ids.size()) + " entries (one record per entry, as GetGOP returns them)");
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      const GopRecord& r = records[i];
      const bool present =
          std::any_of(r.packets.begin(), r.packets.end(), [&](const BundlePacket& p) { return p.frame_id == ids[i]; });
      const int wanted = options.video_stream;
      if (wanted >= 0 && r.video_stream >= 0 && r.video_stream != wanted) {
        throw ArgumentError("entry " + std::to_string(i) + " (" + quoted(labels[i]) + "): record " + std::to_string(i) +
                            " holds video stream " + std::to_string(r.video_stream) + " of " + quoted(r.source) +
                            ", but this decoder reads video stream " + std::to_string(wanted) +
                            " (video_stream=" + std::to_string(wanted) + ")");
      }
      if (ids[i] >= r.first_frame_id && ids[i] - r.first_frame_id < r.frame_count && present) continue;
      throw ArgumentError("entry " + std::to_string(i) + " (" + quoted(labels[i]) + "): frame id " +
                          std::to_string(ids[i]) + " is not in the GOP of record " + std::to_string(i) + " (frames " +
                          std::to_string(r.first_frame_id) + ".." +
                          std::to_string(r.first_frame_id + r.frame_count - 1) + ")");
    }
  }

  CallReport reports;
  DecodeEngine engine;  // first of the decoding state: outlives the sessions and backends below
  GopDecoderOptions options;
  ContentCheck content_check;
  BackendPool record_backends;                   // idle backends of decode_records (thread-safe)
  std::atomic<int64_t> record_backends_made{0};  // Stats::record_decoders_made
  const size_t set_bytes;                        // each session set's warm-session budget (session_cache_mib)
  std::vector<std::unique_ptr<SessionSet>> sets;
  Mutex sets_mutex;
  CondVar set_free;
  std::vector<SessionSet*> free_sets ODVD_GUARDED_BY(sets_mutex);
};

GopDecoder::GopDecoder(const GopDecoderOptions& options)
    : impl_([options] { return std::make_unique<Impl>(options); }) {}
GopDecoder::~GopDecoder() = default;

const GopDecoderOptions& GopDecoder::options() const {
  return impl_->options;
}

std::vector<VideoFrame> GopDecoder::decode(const std::vector<std::string>& paths, const std::vector<int>& ids) {
  Impl::Lease set(impl_.get());
  std::vector<Impl::FrameMap> frames;
  return impl_->engine.hand_out(impl_->run(*set, paths, ids, frames));
}

std::vector<RgbImage> GopDecoder::decode_rgb(const std::vector<std::string>& paths, const std::vector<int>& ids,
                                             bool bgr) {
  Impl::Lease set(impl_.get());
  std::vector<Impl::FrameMap> frames;
  return impl_->engine.convert_all(impl_->run(*set, paths, ids, frames), bgr);
}

namespace {

// "entry i (label, frame id)" for each entry: how tensor messages name entries.
std::vector<std::string> entry_labels(const std::vector<std::string>& labels, const std::vector<int>& ids) {
  std::vector<std::string> out;
  out.reserve(labels.size());
  for (size_t i = 0; i < labels.size() && i < ids.size(); ++i) {
    out.push_back("entry " + std::to_string(i) + " (" + quoted(labels[i]) + ", frame " + std::to_string(ids[i]) + ")");
  }
  return out;
}

}  // namespace

TensorTarget GopDecoder::decode_tensor(const std::vector<std::string>& paths, const std::vector<int>& ids,
                                       const TensorOptions& options, TensorTarget out, void* stream) {
  options.validate();
  impl_->engine.check_tensor_request(out, ids.size(), stream);
  Impl::Lease set(impl_.get());
  std::vector<Impl::FrameMap> frames;
  const std::vector<const VideoFrame*> picked = impl_->run(*set, paths, ids, frames);
  return impl_->engine.write_tensor(picked, entry_labels(paths, ids), options, std::move(out), stream);
}

std::vector<GopRecord> GopDecoder::get_gops(const std::vector<std::string>& paths, const std::vector<int>& ids) {
  Impl::Lease set(impl_.get());
  return impl_->get_gops(*set, paths, ids);
}

// Calls from records hold a session set too, though their backends come from the shared
// pool: parallel_calls bounds the calls decoding at once on every path (a caller running
// more calls than that waits, as the README says), and the pool, sized for that many calls,
// keeps the backends they give back instead of dropping and remaking them.
std::vector<VideoFrame> GopDecoder::decode_records(std::vector<GopRecord> records,
                                                   const std::vector<std::string>& labels,
                                                   const std::vector<int>& ids) {
  Impl::Lease set(impl_.get());
  std::vector<Impl::FrameMap> frames;
  return impl_->engine.hand_out(impl_->run_records(records, labels, ids, frames));
}

std::vector<RgbImage> GopDecoder::decode_records_rgb(std::vector<GopRecord> records,
                                                     const std::vector<std::string>& labels,
                                                     const std::vector<int>& ids, bool bgr) {
  Impl::Lease set(impl_.get());
  std::vector<Impl::FrameMap> frames;
  return impl_->engine.convert_all(impl_->run_records(records, labels, ids, frames), bgr);
}

TensorTarget GopDecoder::decode_records_tensor(std::vector<GopRecord> records, const std::vector<std::string>& labels,
                                               const std::vector<int>& ids, const TensorOptions& options,
                                               TensorTarget out, void* stream) {
  options.validate();
  impl_->engine.check_tensor_request(out, ids.size(), stream);
  Impl::Lease set(impl_.get());
  std::vector<Impl::FrameMap> frames;
  const std::vector<const VideoFrame*> picked = impl_->run_records(records, labels, ids, frames);
  return impl_->engine.write_tensor(picked, entry_labels(labels, ids), options, std::move(out), stream);
}

void GopDecoder::set_packet_list_codecs(const std::vector<int>& codec_ids) {
  std::vector<Codec> codecs = packet_list_codecs(codec_ids, "codec_ids");
  MutexLock lock(packet_lists_mutex_);
  packet_list_codecs_ = std::move(codecs);
}

std::vector<RgbImage> GopDecoder::decode_packet_lists_rgb(std::vector<std::vector<std::vector<uint8_t>>> packets,
                                                          const std::vector<std::vector<int>>& packet_frame_ids,
                                                          const std::vector<int>& widths,
                                                          const std::vector<int>& heights,
                                                          const std::vector<int>& frame_ids, bool bgr) {
  const size_t n = frame_ids.size();
  if (packets.size() != n || packet_frame_ids.size() != n || widths.size() != n || heights.size() != n) {
    throw ArgumentError("numpy_datas, packet_idxs, widths, heights and frame_ids must have one item per entry");
  }
  std::vector<Codec> codecs;
  {
    MutexLock lock(packet_lists_mutex_);
    codecs = packet_list_codecs_;
  }
  if (codecs.size() != n) {
    throw MediaError("DecodeFromPacketListInitialize was called for " + std::to_string(codecs.size()) +
                     " entries, this call has " + std::to_string(n) + " (call it first with one codec id per entry)");
  }
  const int64_t base = packet_list_base(packet_frame_ids);
  std::vector<GopRecord> records;
  std::vector<std::string> labels;
  for (size_t i = 0; i < n; ++i) {
    records.push_back(record_from_packet_list(codecs[i], std::move(packets[i]), packet_frame_ids[i], widths[i],
                                              heights[i], "entry " + std::to_string(i), base));
    labels.push_back("packet list " + std::to_string(i));
  }
  std::vector<RgbImage> images = decode_records_rgb(std::move(records), labels, frame_ids, bgr);
  for (RgbImage& image : images) image.pts -= base;  // the made-up timestamps: frame f is f + base
  return images;
}

std::vector<EntryReport> GopDecoder::last_report() const {
  return impl_->reports.last();
}

GopDecoder::Stats GopDecoder::stats() const {
  const WorkStats s = impl_->engine.stats();
  const DecodeEngine::MemoryUse m = impl_->engine.memory_use();
  Stats out;
  out.packets_sent = s.packets_sent;
  out.gop_starts = s.gop_starts;
  out.continuations = s.continuations;
  out.device_live_bytes = m.live_bytes;
  out.device_cached_bytes = m.cached_bytes;
  out.record_decoders_made = impl_->record_backends_made.load(std::memory_order_relaxed);
  out.nvdec_sessions_made = impl_->engine.hardware_sessions_made();
  for (const auto& set : impl_->sets) {
    out.warm_sessions += static_cast<int64_t>(set->sessions.size());
    out.warm_session_bytes += static_cast<int64_t>(set->sessions.bytes());
  }
  return out;
}

std::vector<std::string> GopDecoder::take_warnings() {
  return impl_->engine.take_warnings();
}

void GopDecoder::release_decoder() {
  // Waits for every call in progress: each set is cleared while it is lent to us.
  std::vector<std::unique_ptr<Impl::Lease>> all;
  for (size_t i = 0; i < impl_->sets.size(); ++i) {
    all.push_back(std::make_unique<Impl::Lease>(impl_.get()));
    (**all.back()).sessions.clear();
    (**all.back()).extractors.clear();
  }
  impl_->record_backends.clear();
  impl_->engine.release_decoders();
}

void GopDecoder::release_device_memory() {
  // The CPU back end allocates frames per call and keeps no pool. On a GPU, memory that
  // live frames or tensors still use stays (Note [Device memory pool]).
  impl_->engine.release_memory();
}

std::vector<StreamInfo> video_streams_of(const std::string& path) {
  return list_video_streams(path);
}

StreamInfo probe_stream(const std::string& path, int video_stream) {
  return IndexCache::global().get(path, video_stream)->stream;
}

VideoSummary describe_video(const std::string& path, int video_stream) {
  std::shared_ptr<const VideoIndex> index = IndexCache::global().get(path, video_stream);
  VideoSummary s;
  s.stream = index->stream;
  s.container = index->container;
  s.frame_count = index->frames.frame_count();
  s.declared_frames = index->declared_frames;
  s.packet_count = index->frames.packet_count();
  for (int g = 0; g < index->frames.gop_count(); ++g) {
    s.gop_first_frame_ids.push_back(index->frames.gop(g).first_frame_id);
    s.gop_lengths.push_back(index->frames.gop(g).frame_count);
  }
  s.frame_pts.reserve(static_cast<size_t>(s.frame_count));
  for (int f = 0; f < s.frame_count; ++f)
    s.frame_pts.push_back(index->frames.packet(index->frames.packet_of_frame(f)).pts);
  return s;
}

}  // namespace odvd
