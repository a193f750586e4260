#include "odvd/sample_reader.hpp"

#include <future>
#include <map>

#include "decode/call_report.hpp"
#include "decode/content_check.hpp"
#include "decode/decode_engine.hpp"
#include "decode/forward_reader.hpp"
#include "decode/nearest_frame.hpp"
#include "decode/planner.hpp"
#include "odvd/error.hpp"
#include "odvd/mutex.hpp"
#include "odvd/option_limits.hpp"
#include "util/lru_cache.hpp"

namespace odvd {

void SampleReaderOptions::validate() const {
  using L = OptionLimits;
  check_option_range("num_of_set", num_of_set, 1, L::kMaxFilesPerSlot);
  check_option_range("num_of_file", num_of_file, 1, L::kMaxEntries);
  check_option_range("worker_threads", worker_threads, 0, L::kMaxWorkerThreads, " (0: automatic)");
  check_option_range("decoder_threads", decoder_threads, 0, L::kMaxDecoderThreads, " (0: automatic)");
  if (static_cast<long long>(num_of_file) * num_of_set > L::kMaxSessions) {
    throw ArgumentError("num_of_file * num_of_set must be at most " + std::to_string(L::kMaxSessions) +
                        " open files (got " + std::to_string(num_of_file) + " * " + std::to_string(num_of_set) + ")");
  }
  check_video_stream(video_stream);
  if (decode_ahead_mib < -1 || decode_ahead_mib > kMaxDecodeAheadMib) {
    throw ArgumentError("decode_ahead_mib must be -1 (the default), 0 (off) or a budget up to " +
                        std::to_string(kMaxDecodeAheadMib) + " MiB (got " + std::to_string(decode_ahead_mib) + ")");
  }
}

size_t SampleReaderOptions::ahead_bytes() const {
  const int mib = decode_ahead_mib >= 0 ? decode_ahead_mib : device >= 0 ? kDefaultDecodeAheadMib : 0;
  return static_cast<size_t>(mib) << 20;
}

namespace {

EngineOptions engine_options(const SampleReaderOptions& o) {
  o.validate();
  EngineOptions e(o.num_of_file * o.num_of_set, o.device, o.suppress_no_color_range_warning, o.worker_threads,
                  o.decoder_threads);
  e.fallback = o.fallback;
  return e;
}

using FrameMap = std::map<int, VideoFrame>;

// The arguments of the pending asynchronous request, to match its claim against.
struct AsyncArgs {
  std::vector<std::string> paths;
  std::vector<int> ids;
  bool bgr = false;
  bool operator==(const AsyncArgs& o) const { return paths == o.paths && ids == o.ids && bgr == o.bgr; }
};

std::string describe(const AsyncArgs& a) {
  std::string s = "[";
  for (size_t i = 0; i < a.paths.size() && i < 4; ++i) {
    s += (i ? ", " : "") + quoted(a.paths[i]) + ":" + std::to_string(a.ids[i]);
  }
  return s + (a.paths.size() > 4 ? ", ...]" : "]") + (a.bgr ? " as BGR" : " as RGB");
}

}  // namespace

struct SampleReader::Impl {
  explicit Impl(const SampleReaderOptions& o)
      : engine(engine_options(o)), options(o), content_check(o.content_digests) {
    options.worker_threads = engine.options().worker_threads;
    options.decoder_threads = engine.options().decoder_threads;
    for (int i = 0; i < o.num_of_file; ++i) {
      slots.push_back(
          std::make_unique<LruCache<std::string, ForwardReader>>(static_cast<size_t>(o.num_of_set), SIZE_MAX));
    }
  }

  // Checks a call's entries before any work: one list of ids per file. Files that cannot
  // be opened (null index) and frames cut off from their file fail in `failed` (Note
  // [Damage policy]); argument errors throw.
  void check(const std::vector<std::string>& paths, const std::vector<std::vector<int>>& lists,
             std::vector<std::shared_ptr<const VideoIndex>>& indexes,
             std::vector<std::map<int, std::string>>& failed) const {
    check_entry_lists(paths.size(), lists.size(), static_cast<size_t>(options.num_of_file), "num_of_file");
    for (size_t v = 0; v < paths.size(); ++v) {
      if (paths[v].empty()) throw ArgumentError("entry " + std::to_string(v) + ": the file path is empty");
    }
    failed.assign(paths.size(), {});
    for (size_t v = 0; v < paths.size(); ++v) {
      try {
        std::shared_ptr<const VideoIndex> index = IndexCache::global().get(paths[v], options.video_stream);
        content_check.verify(paths[v], index->stamp);
        indexes.push_back(std::move(index));
      } catch (const MediaError& e) {
        indexes.emplace_back();
        for (int id : lists[v]) failed[v].emplace(id, e.what());
        continue;
      }
      for (int id : lists[v]) {
        try {
          check_frame_id(*indexes.back(), v, id);
        } catch (const MediaError& e) {
          failed[v].emplace(id, e.what());
        }
      }
    }
  }

  // Slot v reads frames lists[v] of paths[v], in order, into frames[v]; a frame that
  // fails goes into `failed` and the slot reads on with a fresh reader.
  void read(size_t v, const std::string& path, const std::shared_ptr<const VideoIndex>& index,
            const std::vector<int>& ids, FrameMap& out, std::map<int, std::string>& failed,
            std::map<int, int>& substitute) {
    if (!index) return;
    auto reader = [&] {
      std::shared_ptr<ForwardReader> file = slots[v]->get(path);
      if (!file || file->index_ptr() != index) {  // new, or rescanned (changed) on disk
        file = std::make_shared<ForwardReader>(engine, index, options.ahead_bytes());
        slots[v]->put(path, file, 1);
      }
      return file;
    };
    std::shared_ptr<ForwardReader> file = reader();
    for (int id : ids) {
      if (out.count(id) != 0 || failed.count(id) != 0) continue;
      try {
        file->read(id, out);
      } catch (const MediaError& e) {
        failed.emplace(id, e.what());
        const FileSession::RememberedDamage damage = file->remembered_damage();  // facts, not state
        slots[v]->erase(path);                                                   // never reuse state that saw an error
        file = reader();
        if (file->index_ptr() == index) file->remember(damage);  // Note [Damage remembered]
      } catch (...) {
        slots[v]->erase(path);
        throw;
      }
    }
    if (options.on_error == OnError::kNearest && !failed.empty()) {
      substitute = substitute_nearest(*engine.make_session(index), failed, out);
    }
  }

  // Decodes every list; returns each requested frame, list by list, in order (null for an
  // entry the damage policy leaves without a frame).
  std::vector<std::vector<const VideoFrame*>> run(const std::vector<std::string>& paths,
                                                  const std::vector<std::vector<int>>& lists,
                                                  std::vector<FrameMap>& frames) ODVD_REQUIRES(call_mutex) {
    std::vector<std::shared_ptr<const VideoIndex>> indexes;
    std::vector<std::map<int, std::string>> failed;
    check(paths, lists, indexes, failed);
    std::vector<std::map<int, int>> substitute(paths.size());  // per file: requested -> returned
    engine.prepare_device();
    frames.assign(paths.size(), FrameMap{});
    engine.pool().run_all(
        paths.size(), [&](size_t v) { read(v, paths[v], indexes[v], lists[v], frames[v], failed[v], substitute[v]); });
    for (const auto& index : indexes) {
      if (index) engine.note_color_range(*index);
    }
    std::vector<std::vector<const VideoFrame*>> picked(paths.size());
    std::vector<EntryReport> report;
    size_t entries = 0;
    for (size_t v = 0; v < paths.size(); ++v) {
      for (int id : lists[v]) {
        ++entries;
        auto bad = failed[v].find(id);
        if (bad == failed[v].end()) {
          picked[v].push_back(&frames[v].at(id));
          continue;
        }
        auto sub = substitute[v].find(id);
        const int returned = sub != substitute[v].end() ? sub->second : -1;
        picked[v].push_back(returned >= 0 ? &frames[v].at(returned) : nullptr);
        report.push_back(EntryReport{static_cast<int>(v), paths[v], id, returned, bad->second});
      }
    }
    reports.finish(options.on_error, std::move(report), entries);
    return picked;
  }

  static std::vector<std::vector<int>> one_each(const std::vector<int>& ids) {
    std::vector<std::vector<int>> lists;
    for (int id : ids) lists.push_back({id});
    return lists;
  }

  static std::vector<const VideoFrame*> flat(const std::vector<std::vector<const VideoFrame*>>& picked) {
    std::vector<const VideoFrame*> out;
    for (const auto& list : picked) out.insert(out.end(), list.begin(), list.end());
    return out;
  }

  std::vector<RgbImage> decode_rgb_locked(const std::vector<std::string>& paths, const std::vector<int>& ids, bool bgr)
      ODVD_REQUIRES(call_mutex) {
    std::vector<FrameMap> frames;
    return engine.convert_all(flat(run(paths, one_each(ids), frames)), bgr);
  }

  // Waits for the pending asynchronous request, keeping its result for async_result().
  void wait_pending() {
    MutexLock lock(async_mutex);
    if (pending.valid()) pending.wait();
  }

  CallReport reports;
  DecodeEngine engine;  // first of the decoding state: outlives the sessions in the slots
  SampleReaderOptions options;
  ContentCheck content_check;
  // Serialises the work of calls (synchronous or in the background): run() requires it.
  // The readers in `slots` are what it protects: one call's pool tasks use them, slot v by
  // task v only (the analysis cannot follow into those tasks, so `slots` is not annotated;
  // the vector itself never changes after construction).
  Mutex call_mutex;
  std::vector<std::unique_ptr<LruCache<std::string, ForwardReader>>> slots;
  Mutex async_mutex;
  std::future<std::vector<RgbImage>> pending ODVD_GUARDED_BY(async_mutex);
  AsyncArgs pending_args ODVD_GUARDED_BY(async_mutex);
};

SampleReader::SampleReader(const SampleReaderOptions& options)
    : impl_([options] { return std::make_unique<Impl>(options); }) {}

SampleReader::~SampleReader() {
  if (!impl_.inherited()) impl_->wait_pending();  // a parent's request has no thread here
}

std::vector<VideoFrame> SampleReader::decode(const std::vector<std::string>& paths, const std::vector<int>& ids) {
  impl_->wait_pending();
  MutexLock lock(impl_->call_mutex);
  std::vector<FrameMap> frames;
  return impl_->engine.hand_out(Impl::flat(impl_->run(paths, Impl::one_each(ids), frames)));
}

std::vector<RgbImage> SampleReader::decode_rgb(const std::vector<std::string>& paths, const std::vector<int>& ids,
                                               bool bgr) {
  impl_->wait_pending();
  MutexLock lock(impl_->call_mutex);
  return impl_->decode_rgb_locked(paths, ids, bgr);
}

std::vector<std::vector<VideoFrame>> SampleReader::decode_batch(const std::vector<std::string>& paths,
                                                                const std::vector<std::vector<int>>& lists) {
  impl_->wait_pending();
  MutexLock lock(impl_->call_mutex);
  std::vector<FrameMap> frames;
  const auto picked = impl_->run(paths, lists, frames);
  std::vector<VideoFrame> all = impl_->engine.hand_out(Impl::flat(picked));
  std::vector<std::vector<VideoFrame>> out(picked.size());
  size_t next = 0;
  for (size_t v = 0; v < picked.size(); ++v) {
    for (size_t k = 0; k < picked[v].size(); ++k) out[v].push_back(std::move(all[next++]));
  }
  return out;
}

std::vector<std::vector<RgbImage>> SampleReader::decode_batch_rgb(const std::vector<std::string>& paths,
                                                                  const std::vector<std::vector<int>>& lists,
                                                                  bool bgr) {
  impl_->wait_pending();
  MutexLock lock(impl_->call_mutex);
  std::vector<FrameMap> frames;
  const auto picked = impl_->run(paths, lists, frames);
  std::vector<RgbImage> all = impl_->engine.convert_all(Impl::flat(picked), bgr);
  std::vector<std::vector<RgbImage>> out(picked.size());
  size_t next = 0;
  for (size_t v = 0; v < picked.size(); ++v) {
    for (size_t k = 0; k < picked[v].size(); ++k) out[v].push_back(std::move(all[next++]));
  }
  return out;
}

TensorTarget SampleReader::decode_batch_tensor(const std::vector<std::string>& paths,
                                               const std::vector<std::vector<int>>& lists, const TensorOptions& options,
                                               TensorTarget out, void* stream) {
  options.validate();
  size_t entries = 0;
  for (size_t v = 0; v < lists.size(); ++v) {
    if (lists[v].size() != lists[0].size()) {
      throw ArgumentError("frame_id_lists: a batch needs one number of frames per file (list 0 has " +
                          std::to_string(lists[0].size()) + ", list " + std::to_string(v) + " has " +
                          std::to_string(lists[v].size()) + ")");
    }
    entries += lists[v].size();
  }
  impl_->engine.check_tensor_request(out, entries, stream);
  impl_->wait_pending();
  MutexLock lock(impl_->call_mutex);
  std::vector<FrameMap> frames;
  const auto picked = impl_->run(paths, lists, frames);
  std::vector<std::string> labels;
  for (size_t v = 0; v < lists.size() && v < paths.size(); ++v) {
    for (int id : lists[v]) {
      labels.push_back("file " + std::to_string(v) + " (" + quoted(paths[v]) + ", frame " + std::to_string(id) + ")");
    }
  }
  return impl_->engine.write_tensor(Impl::flat(picked), labels, options, std::move(out), stream);
}

void SampleReader::decode_rgb_async(const std::vector<std::string>& paths, const std::vector<int>& ids, bool bgr) {
  check_entry_lists(paths.size(), ids.size(), static_cast<size_t>(impl_->options.num_of_file), "num_of_file");
  MutexLock lock(impl_->async_mutex);
  if (impl_->pending.valid()) {
    impl_->pending.wait();
    impl_->pending = {};  // an unclaimed result (or error) is discarded, as documented
  }
  impl_->pending_args = AsyncArgs{paths, ids, bgr};
  Impl* impl = &impl_.get();
  impl_->pending = std::async(std::launch::async, [impl, paths, ids, bgr] {
    MutexLock call(impl->call_mutex);
    return impl->decode_rgb_locked(paths, ids, bgr);
  });
}

std::vector<RgbImage> SampleReader::async_result(const std::vector<std::string>& paths, const std::vector<int>& ids,
                                                 bool bgr) {
  MutexLock lock(impl_->async_mutex);
  if (!impl_->pending.valid()) {
    throw MediaError(
        "DecodeN12ToRGBAsyncGetBuffer: no asynchronous request is pending (call DecodeN12ToRGBAsync "
        "first)");
  }
  const AsyncArgs asked{paths, ids, bgr};
  if (!(asked == impl_->pending_args)) {
    throw MediaError("DecodeN12ToRGBAsyncGetBuffer: the arguments " + describe(asked) +
                     " differ from the pending request's " + describe(impl_->pending_args));
  }
  std::future<std::vector<RgbImage>> done = std::move(impl_->pending);
  return done.get();  // rethrows the background error with its message
}

void SampleReader::clear_all_readers() {
  impl_->wait_pending();
  MutexLock lock(impl_->call_mutex);
  for (auto& slot : impl_->slots) slot->clear();
}

void SampleReader::release_decoder() {
  clear_all_readers();
  MutexLock lock(impl_->call_mutex);
  impl_->engine.release_decoders();
}

void SampleReader::release_device_memory() {
  impl_->wait_pending();
  MutexLock lock(impl_->call_mutex);
  impl_->engine.release_memory();
}

const SampleReaderOptions& SampleReader::options() const {
  return impl_->options;
}

std::vector<std::string> SampleReader::take_warnings() {
  MutexLock lock(impl_->call_mutex);
  return impl_->engine.take_warnings();
}

std::vector<EntryReport> SampleReader::last_report() const {
  return impl_->reports.last();
}

SampleReader::Stats SampleReader::stats() const {
  const WorkStats s = impl_->engine.stats();
  const DecodeEngine::MemoryUse m = impl_->engine.memory_use();
  Stats out;
  out.packets_sent = s.packets_sent;
  out.gop_starts = s.gop_starts;
  out.continuations = s.continuations;
  out.ahead_gops = s.ahead_gops;
  out.ahead_frames = s.ahead_frames;
  out.ahead_failed = s.ahead_failed;
  out.ahead_peak_bytes = s.ahead_peak_bytes;
  out.device_live_bytes = m.live_bytes;
  out.device_cached_bytes = m.cached_bytes;
  return out;
}

}  // namespace odvd
