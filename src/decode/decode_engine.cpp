#include "decode/decode_engine.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include "color/color_convert.hpp"
#include "cpu/cpu_backend.hpp"
#include "decode/record_decode.hpp"
#include "odvd/error.hpp"
#include "odvd/option_limits.hpp"
#include "util/profile.hpp"

#if ODVD_WITH_NVDEC
#include "cuda/gpu_workspace.hpp"
#else
namespace odvd::cuda {
class GpuWorkspace {};  // never instantiated: this build has no NVDEC back end
}  // namespace odvd::cuda
#endif

namespace odvd {
namespace {

int hardware_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

EngineOptions resolved(EngineOptions o) {
  check_option_range("worker_threads", o.worker_threads, 0, OptionLimits::kMaxWorkerThreads, " (0: automatic)");
  check_option_range("decoder_threads", o.decoder_threads, 0, OptionLimits::kMaxDecoderThreads, " (0: automatic)");
  if (o.device < -1) {
    throw MediaError("iGpu=" + std::to_string(o.device) +
                     " is not a CUDA device ordinal (use -1 for the CPU back end)");
  }
#if !ODVD_WITH_NVDEC
  if (o.device >= 0) {
    throw MediaError("iGpu=" + std::to_string(o.device) +
                     ": this build of on_demand_video_decoder has no NVDEC back end (it was built without CUDA); "
                     "use iGpu=-1 for the CPU back end");
  }
#endif
  // NVDEC tasks mostly wait on the engines (each file's pictures decode one after the
  // other), so on a GPU every session may have its thread; CPU decoding wants the cores.
  if (o.worker_threads == 0) {
    o.worker_threads = o.device >= 0 ? std::max(hardware_threads(), o.max_sessions) : hardware_threads();
    o.worker_threads = std::min(o.worker_threads, OptionLimits::kMaxWorkerThreads);
  }
  // Files decode in parallel (up to max_sessions at once); split the machine between them.
  if (o.decoder_threads == 0)
    o.decoder_threads =
        std::min(OptionLimits::kMaxDecoderThreads,
                 std::max(1, hardware_threads() / std::min(std::max(1, o.max_sessions), o.worker_threads)));
  return o;
}

}  // namespace

WorkStats stats_between(const SessionStats& before, const SessionStats& after) {
  WorkStats d;
  d.packets_sent = after.packets_sent - before.packets_sent;
  d.gop_starts = after.gop_starts - before.gop_starts;
  d.continuations = after.continuations - before.continuations;
  return d;
}

DecodeEngine::DecodeEngine(const EngineOptions& options)
    : options_(resolved(options)), pool_(static_cast<size_t>(options_.worker_threads - 1)) {
  // No CUDA here, not even cuInit: the driver is first touched by the first decoding call
  // (ensure_gpu, which checks the ordinal), so a GPU decoder object made before a fork
  // still works for demux-only calls in the child (Note [Fork]). Only a machine without
  // the driver's libraries is refused at once.
#if ODVD_WITH_NVDEC
  if (options_.device >= 0) cuda::require_driver_libraries();
#endif
}

DecodeEngine::~DecodeEngine() = default;

void DecodeEngine::ensure_gpu() {
#if ODVD_WITH_NVDEC
  MutexLock lock(gpu_mutex_);
  if (options_.device >= 0 && !gpu_) {
    gpu_ = std::make_unique<cuda::GpuWorkspace>(options_.device, static_cast<size_t>(options_.max_sessions));
  }
#endif
}

std::unique_ptr<DecoderBackend> DecodeEngine::make_backend(const StreamInfo& s, const AVCodecParameters* par,
                                                           const std::vector<uint8_t>& extradata,
                                                           const std::string& label) {
#if ODVD_WITH_NVDEC
  if (gpu_) {
    cuda::NvdecStream stream;
    stream.codec = s.codec;
    stream.bit_depth = s.bit_depth;
    stream.chroma_format = chroma_format_of(s.av_pixel_format);
    stream.width = s.width;
    stream.height = s.height;
    return gpu_->make_backend(stream, label);
  }
#endif
  (void)s;
  return std::make_unique<CpuBackend>(par, extradata, options_.decoder_threads, label);
}

std::shared_ptr<FileSession> DecodeEngine::make_session(std::shared_ptr<const VideoIndex> index, bool always_stream) {
  return std::make_shared<FileSession>(
      std::move(index),
      [this](const VideoIndex& i, const std::vector<uint8_t>& extradata) { return make_file_backend(i, extradata); },
      always_stream);
}

std::shared_ptr<FileSession> DecodeEngine::session_in(LruCache<std::string, FileSession>& sessions,
                                                      const std::shared_ptr<const VideoIndex>& index,
                                                      bool always_stream) {
  std::shared_ptr<FileSession> session = sessions.get(index->path);
  if (session && session->index_ptr() == index) return session;
  session = make_session(index, always_stream);
  sessions.put(index->path, session, 1);
  return session;
}

std::unique_ptr<DecoderBackend> DecodeEngine::make_file_backend(const VideoIndex& index,
                                                                const std::vector<uint8_t>& annexb_extradata) {
  return make_backend(index.stream, index.codecpar.get(), annexb_extradata, index.path);
}

std::unique_ptr<DecoderBackend> DecodeEngine::make_record_backend(const GopRecord& r, const std::string& label) {
  StreamInfo s;
  s.codec = r.codec;
  s.bit_depth = r.bit_depth;
  s.av_pixel_format = r.av_pixel_format;
  s.width = r.width;
  s.height = r.height;
  av::CodecParametersPtr par = codec_parameters_for(r);
  return make_backend(s, par.get(), r.parameter_sets, label);
}

std::vector<VideoFrame> DecodeEngine::hand_out(const std::vector<const VideoFrame*>& picked) {
#if ODVD_WITH_NVDEC
  std::unique_lock<Mutex> gpu_lock(gpu_mutex_, std::defer_lock);  // held only on the GPU
  if (gpu_) gpu_lock.lock();
#endif
  std::vector<VideoFrame> out;
  out.reserve(picked.size());
  std::unordered_set<const VideoFrame*> handed_out;
  for (const VideoFrame* frame : picked) {
    if (frame == nullptr) {
      out.emplace_back();  // an entry the damage policy left without a frame
    } else if (handed_out.insert(frame).second) {
      out.push_back(*frame);
#if ODVD_WITH_NVDEC
    } else if (gpu_) {
      out.push_back(gpu_->copy(*frame));
#endif
    } else {
      out.push_back(copy_frame(*frame));
    }
  }
#if ODVD_WITH_NVDEC
  if (gpu_) gpu_->synchronize();
#endif
  return out;
}

std::vector<RgbImage> DecodeEngine::convert_all(const std::vector<const VideoFrame*>& picked, bool bgr) {
  ODVD_PROFILE_SCOPE("call.convert_and_sync");
#if ODVD_WITH_NVDEC
  if (gpu_) {
    MutexLock lock(gpu_mutex_);
    std::vector<RgbImage> out;
    out.reserve(picked.size());
    for (const VideoFrame* frame : picked) out.push_back(frame != nullptr ? gpu_->convert(*frame, bgr) : RgbImage{});
    gpu_->synchronize();
    return out;
  }
#endif
  // Convert in bands of rows so that a call with few entries still uses every worker.
  std::vector<RgbImage> out(picked.size());
  for (size_t i = 0; i < picked.size(); ++i) {
    if (picked[i] != nullptr) out[i] = allocate_rgb(*picked[i], bgr);
  }
  const size_t workers = pool_.size() + 1;
  const size_t bands = picked.empty() ? 1 : std::max<size_t>(1, (2 * workers + picked.size() - 1) / picked.size());
  pool_.run_all(picked.size() * bands, [&](size_t task) {
    const size_t i = task / bands;
    const size_t band = task % bands;
    if (picked[i] == nullptr) return;
    const int rows = out[i].height;
    convert_rows(*picked[i], out[i], static_cast<int>(rows * band / bands),
                 static_cast<int>(rows * (band + 1) / bands));
  });
  return out;
}

void DecodeEngine::note_color_range(const VideoIndex& index) {
  if (options_.suppress_no_color_range_warning || index.stream.color.range != ColorRange::kUnspecified) return;
  MutexLock lock(warnings_mutex_);
  if (!warned_paths_.insert(index.path).second) return;
  warnings_.push_back(quoted(index.path) +
                      " does not signal its colour range; limited (MPEG) range is assumed "
                      "(pass suppressNoColorRangeWarning=True to silence this warning)");
}

std::vector<std::string> DecodeEngine::take_warnings() {
  MutexLock lock(warnings_mutex_);
  return std::exchange(warnings_, {});
}

void DecodeEngine::add_stats(const WorkStats& d) {
  MutexLock lock(stats_mutex_);
  totals_.packets_sent += d.packets_sent;
  totals_.gop_starts += d.gop_starts;
  totals_.continuations += d.continuations;
  totals_.ahead_gops += d.ahead_gops;
  totals_.ahead_frames += d.ahead_frames;
  totals_.ahead_failed += d.ahead_failed;
}

WorkStats DecodeEngine::stats() const {
  MutexLock lock(stats_mutex_);
  return totals_;
}

void DecodeEngine::release_decoders() {
#if ODVD_WITH_NVDEC
  MutexLock lock(gpu_mutex_);
  if (gpu_) gpu_->release_decoders();
#endif
}

DecodeEngine::MemoryUse DecodeEngine::memory_use() const {
  MemoryUse use;
#if ODVD_WITH_NVDEC
  MutexLock lock(gpu_mutex_);
  if (gpu_) {
    use.live_bytes = static_cast<int64_t>(gpu_->memory().live_bytes());
    use.cached_bytes = static_cast<int64_t>(gpu_->memory().cached_bytes());
  }
#endif
  return use;
}

void DecodeEngine::release_memory() {
#if ODVD_WITH_NVDEC
  MutexLock lock(gpu_mutex_);
  if (gpu_) gpu_->release_memory();
#endif
}

}  // namespace odvd
