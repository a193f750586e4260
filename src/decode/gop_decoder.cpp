#include "odvd/gop_decoder.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "color/color_convert.hpp"
#include "cpu/cpu_backend.hpp"
#include "decode/file_session.hpp"
#include "decode/planner.hpp"
#include "odvd/error.hpp"
#include "util/lru_cache.hpp"
#include "util/thread_pool.hpp"

#if ODVD_WITH_NVDEC
#include "cuda/gpu_workspace.hpp"
#endif

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
#if !ODVD_WITH_NVDEC
  if (o.device >= 0) {
    throw MediaError("iGpu=" + std::to_string(o.device) +
                     ": this build of on_demand_video_decoder has no NVDEC back end (it was built without CUDA); "
                     "use iGpu=-1 for the CPU back end");
  }
#endif
  if (o.worker_threads == 0) o.worker_threads = hardware_threads();
  // Files decode in parallel (up to max_files at once); split the machine between them.
  if (o.decoder_threads == 0)
    o.decoder_threads = std::max(1, hardware_threads() / std::min(o.max_files, o.worker_threads));
  return o;
}

// 0 = 4:0:0, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4 (4:2:0 when FFmpeg does not say).
int chroma_format_of(int av_pixel_format) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(av_pixel_format));
  if (desc == nullptr) return 1;
  if (desc->nb_components < 3) return 0;
  if (desc->log2_chroma_w == 1) return desc->log2_chroma_h == 1 ? 1 : 2;
  return 3;
}

}  // namespace

struct GopDecoder::Impl {
  explicit Impl(const GopDecoderOptions& o)
      : options(resolved(o)),
        pool(static_cast<size_t>(options.worker_threads - 1)),
        sessions(static_cast<size_t>(options.max_files), SIZE_MAX) {
#if ODVD_WITH_NVDEC
    if (options.device >= 0) gpu = std::make_unique<cuda::GpuWorkspace>(options.device, options.max_files);
#endif
  }

  bool on_gpu() const {
    return options.device >= 0;
  }

  std::unique_ptr<DecoderBackend> make_backend(const VideoIndex& index, const std::vector<uint8_t>& extradata) {
#if ODVD_WITH_NVDEC
    if (gpu) {
      cuda::NvdecStream stream;
      stream.codec = index.stream.codec;
      stream.bit_depth = index.stream.bit_depth;
      stream.chroma_format = chroma_format_of(index.stream.av_pixel_format);
      stream.width = index.stream.width;
      stream.height = index.stream.height;
      return gpu->make_backend(stream, index.path);
    }
#endif
    return std::make_unique<CpuBackend>(index.codecpar.get(), extradata, options.decoder_threads, index.path);
  }

  using FrameMap = std::map<int, VideoFrame>;

  std::shared_ptr<FileSession> session_for(const FileWork& work) {
    std::shared_ptr<FileSession> session = sessions.get(work.path);
    if (session && session->index_ptr() == work.index) return session;
    session = std::make_shared<FileSession>(work.index,
                                            [this](const VideoIndex& index, const std::vector<uint8_t>& extradata) {
                                              return make_backend(index, extradata);
                                            });
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
#if ODVD_WITH_NVDEC
  std::unique_ptr<cuda::GpuWorkspace> gpu;  // null on the CPU back end
#endif
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
    if (handed_out[f].insert(ids[i]).second) {
      out.push_back(frame);
#if ODVD_WITH_NVDEC
    } else if (impl_->gpu) {
      out.push_back(impl_->gpu->copy(frame));
#endif
    } else {
      out.push_back(copy_frame(frame));
    }
  }
#if ODVD_WITH_NVDEC
  if (impl_->gpu) impl_->gpu->synchronize();
#endif
  return out;
}

std::vector<RgbImage> GopDecoder::decode_rgb(const std::vector<std::string>& paths, const std::vector<int>& ids,
                                             bool bgr) {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  std::vector<Impl::FrameMap> frames;
  DecodePlan plan = impl_->run(paths, ids, frames);
#if ODVD_WITH_NVDEC
  if (impl_->gpu) {
    std::vector<RgbImage> out;
    out.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i)
      out.push_back(impl_->gpu->convert(frames[plan.entry_file[i]].at(ids[i]), bgr));
    impl_->gpu->synchronize();
    return out;
  }
#endif
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
#if ODVD_WITH_NVDEC
  if (impl_->gpu) impl_->gpu->release_decoders();
#endif
}

void GopDecoder::release_device_memory() {
  // The CPU back end allocates frames per call and keeps no pool. On a GPU, memory that
  // live frames or tensors still use stays (Note [Device memory pool]).
#if ODVD_WITH_NVDEC
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  if (impl_->gpu) impl_->gpu->release_memory();
#endif
}

int cuda_device_count() {
#if ODVD_WITH_NVDEC
  return cuda::device_count();
#else
  return 0;
#endif
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
