#include "odvd/gop_decoder.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "color/color_convert.hpp"
#include "decode/file_session.hpp"
#include "decode/planner.hpp"
#include "odvd/error.hpp"
#include "util/lru_cache.hpp"
#include "util/thread_pool.hpp"

namespace odvd {

void GopDecoderOptions::validate() const {
  if (max_files < 1) throw ArgumentError("maxfiles must be at least 1 (got " + std::to_string(max_files) + ")");
  if (worker_threads < 0) throw ArgumentError("worker_threads must be >= 0");
  if (decoder_threads < 0) throw ArgumentError("decoder_threads must be >= 0");
}

namespace {

int hardware_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

GopDecoderOptions resolved(GopDecoderOptions o) {
  o.validate();
  if (o.device < -1) {
    throw MediaError("iGpu=" + std::to_string(o.device) +
                     " is not a CUDA device ordinal (use -1 for the CPU back end)");
  }
  if (o.device >= 0) {
    throw MediaError("iGpu=" + std::to_string(o.device) +
                     ": the NVDEC back end is not available in this build yet; use iGpu=-1 for the CPU back end");
  }
  if (o.worker_threads == 0) o.worker_threads = hardware_threads();
  // Files decode in parallel (up to max_files at once); split the machine between them.
  if (o.decoder_threads == 0)
    o.decoder_threads = std::max(1, hardware_threads() / std::min(o.max_files, o.worker_threads));
  return o;
}

}  // namespace

struct GopDecoder::Impl {
  explicit Impl(const GopDecoderOptions& o)
      : options(resolved(o)),
        pool(static_cast<size_t>(options.worker_threads - 1)),
        sessions(static_cast<size_t>(options.max_files), SIZE_MAX) {}

  using FrameMap = std::map<int, VideoFrame>;

  std::shared_ptr<FileSession> session_for(const FileWork& work) {
    std::shared_ptr<FileSession> session = sessions.get(work.path);
    if (session && session->index_ptr() == work.index) return session;
    session = std::make_shared<FileSession>(work.index, options.decoder_threads);
    sessions.put(work.path, session, 1);
    return session;
  }

  void decode_file(const FileWork& work, FrameMap& out) {
    std::shared_ptr<FileSession> session = session_for(work);
    try {
      for (const GopWork& gop : work.gops) session->decode_gop(gop.gop, gop.frame_ids, out);
    } catch (...) {
      sessions.erase(work.path);  // never reuse state that saw an error
      throw;
    }
  }

  // Plans the call and decodes every file; frames[f] holds file f's frames by id.
  DecodePlan run(const std::vector<std::string>& paths, const std::vector<int>& ids, std::vector<FrameMap>& frames) {
    check_entry_lists(paths.size(), ids.size(), static_cast<size_t>(options.max_files));
    DecodePlan plan = make_plan(paths, ids, [](const std::string& p) { return IndexCache::global().get(p); });
    frames.assign(plan.files.size(), FrameMap{});
    pool.run_all(plan.files.size(), [&](size_t f) { decode_file(plan.files[f], frames[f]); });
    note_color_warnings(plan);
    return plan;
  }

  void note_color_warnings(const DecodePlan& plan) {
    if (options.suppress_no_color_range_warning) return;
    for (const FileWork& file : plan.files) {
      if (file.index->stream.color.range != ColorRange::kUnspecified) continue;
      if (!warned_paths.insert(file.path).second) continue;
      warnings.push_back("'" + file.path +
                         "' does not signal its colour range; limited (MPEG) range is assumed "
                         "(pass suppressNoColorRangeWarning=True to silence this warning)");
    }
  }

  GopDecoderOptions options;
  std::mutex call_mutex;  // serialises calls
  ThreadPool pool;
  LruCache<std::string, FileSession> sessions;
  std::vector<std::string> warnings;             // GUARDED_BY(call_mutex)
  std::unordered_set<std::string> warned_paths;  // GUARDED_BY(call_mutex)
};

GopDecoder::GopDecoder(const GopDecoderOptions& options) : impl_(std::make_unique<Impl>(options)) {}
GopDecoder::~GopDecoder() = default;

const GopDecoderOptions& GopDecoder::options() const {
  return impl_->options;
}

std::vector<VideoFrame> GopDecoder::decode(const std::vector<std::string>& paths, const std::vector<int>& ids) {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  std::vector<Impl::FrameMap> frames;
  DecodePlan plan = impl_->run(paths, ids, frames);
  std::vector<VideoFrame> out;
  out.reserve(ids.size());
  std::vector<std::unordered_set<int>> handed_out(frames.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const int f = plan.entry_file[i];
    const VideoFrame& frame = frames[f].at(ids[i]);
    // The first entry takes the decoded frame; repeats get their own copy.
    out.push_back(handed_out[f].insert(ids[i]).second ? frame : copy_frame(frame));
  }
  return out;
}

std::vector<RgbImage> GopDecoder::decode_rgb(const std::vector<std::string>& paths, const std::vector<int>& ids,
                                             bool bgr) {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  std::vector<Impl::FrameMap> frames;
  DecodePlan plan = impl_->run(paths, ids, frames);
  // Convert in bands of rows so that a call with few entries still uses every worker.
  std::vector<RgbImage> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) out[i] = allocate_rgb(frames[plan.entry_file[i]].at(ids[i]), bgr);
  const size_t workers = impl_->pool.size() + 1;
  const size_t bands = ids.empty() ? 1 : std::max<size_t>(1, (2 * workers + ids.size() - 1) / ids.size());
  impl_->pool.run_all(ids.size() * bands, [&](size_t task) {
    const size_t i = task / bands;
    const size_t band = task % bands;
    const int rows = out[i].height;
    const int begin = static_cast<int>(rows * band / bands);
    const int end = static_cast<int>(rows * (band + 1) / bands);
    convert_rows(frames[plan.entry_file[i]].at(ids[i]), out[i], begin, end);
  });
  return out;
}

std::vector<std::string> GopDecoder::take_warnings() {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  return std::exchange(impl_->warnings, {});
}

void GopDecoder::release_decoder() {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  impl_->sessions.clear();
}

void GopDecoder::release_device_memory() {
  // The CPU back end allocates frames per call and keeps no pool.
}

StreamInfo probe_stream(const std::string& path) {
  return IndexCache::global().get(path)->stream;
}

VideoSummary describe_video(const std::string& path) {
  std::shared_ptr<const VideoIndex> index = IndexCache::global().get(path);
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
  return s;
}

}  // namespace odvd
