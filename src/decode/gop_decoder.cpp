#include "odvd/gop_decoder.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "color/color_convert.hpp"
#include "cpu/cpu_backend.hpp"
#include "decode/backend_pool.hpp"
#include "decode/file_session.hpp"
#include "decode/gop_stream.hpp"
#include "decode/planner.hpp"
#include "decode/record_decode.hpp"
#include "gop/gop_extract.hpp"
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

}  // namespace

struct GopDecoder::Impl {
  explicit Impl(const GopDecoderOptions& o)
      : options(resolved(o)),
        pool(static_cast<size_t>(options.worker_threads - 1)),
        sessions(static_cast<size_t>(options.max_files), SIZE_MAX),
        extractors(static_cast<size_t>(options.max_files), SIZE_MAX),
        record_backends(static_cast<size_t>(options.max_files)) {
#if ODVD_WITH_NVDEC
    // Only check the ordinal: the device's context is made by the first decoding call,
    // so demux-only calls (GetGOP in data-loader workers) never create one.
    if (options.device >= 0) cuda::check_device(options.device);
#endif
  }

  bool on_gpu() const {
    return options.device >= 0;
  }

  // Creates the GPU workspace on first use. Called on the calling thread by every
  // decoding entry point, before any worker runs.
  void ensure_gpu() {
#if ODVD_WITH_NVDEC
    if (on_gpu() && !gpu) gpu = std::make_unique<cuda::GpuWorkspace>(options.device, options.max_files);
#endif
  }

  std::unique_ptr<DecoderBackend> make_backend(const StreamInfo& s, const AVCodecParameters* par,
                                               const std::vector<uint8_t>& extradata, const std::string& label) {
#if ODVD_WITH_NVDEC
    if (gpu) {
      cuda::NvdecStream stream;
      stream.codec = s.codec;
      stream.bit_depth = s.bit_depth;
      stream.chroma_format = chroma_format_of(s.av_pixel_format);
      stream.width = s.width;
      stream.height = s.height;
      return gpu->make_backend(stream, label);
    }
#endif
    (void)s;
    return std::make_unique<CpuBackend>(par, extradata, options.decoder_threads, label);
  }

  std::unique_ptr<DecoderBackend> make_record_backend(const GopRecord& r, const std::string& label) {
    StreamInfo s;
    s.codec = r.codec;
    s.bit_depth = r.bit_depth;
    s.av_pixel_format = r.av_pixel_format;
    s.width = r.width;
    s.height = r.height;
    av::CodecParametersPtr par = codec_parameters_for(r);
    return make_backend(s, par.get(), r.parameter_sets, label);
  }

  using FrameMap = std::map<int, VideoFrame>;

  std::shared_ptr<FileSession> session_for(const FileWork& work) {
    std::shared_ptr<FileSession> session = sessions.get(work.path);
    if (session && session->index_ptr() == work.index) return session;
    session = std::make_shared<FileSession>(
        work.index, [this](const VideoIndex& index, const std::vector<uint8_t>& extradata) {
          return make_backend(index.stream, index.codecpar.get(), extradata, index.path);
        });
    sessions.put(work.path, session, 1);
    return session;
  }

  void decode_file(const FileWork& work, FrameMap& out) {
    std::shared_ptr<FileSession> session = session_for(work);
    const SessionStats before = session->stats();
    struct Count {  // adds this call's work to the decoder's counters, even on errors
      Impl& impl;
      const FileSession& session;
      const SessionStats& before;
      ~Count() {
        const SessionStats& now = session.stats();
        impl.add_stats(now.packets_sent - before.packets_sent, now.gop_starts - before.gop_starts,
                       now.continuations - before.continuations);
      }
    } count{*this, *session, before};
    try {
      for (const GopWork& gop : work.gops) session->decode_gop(gop.gop, gop.frame_ids, out);
    } catch (...) {
      sessions.erase(work.path);  // never reuse state that saw an error
      throw;
    }
  }

  void add_stats(int64_t packets, int64_t starts, int64_t continuations) {
    std::lock_guard<std::mutex> lock(stats_mutex);
    totals.packets_sent += packets;
    totals.gop_starts += starts;
    totals.continuations += continuations;
  }

  // Plans the call and decodes every file; returns each entry's frame (in `frames`).
  std::vector<const VideoFrame*> run(const std::vector<std::string>& paths, const std::vector<int>& ids,
                                     std::vector<FrameMap>& frames) {
    check_entry_lists(paths.size(), ids.size(), static_cast<size_t>(options.max_files));
    DecodePlan plan = make_plan(paths, ids, [](const std::string& p) { return IndexCache::global().get(p); });
    ensure_gpu();
    frames.assign(plan.files.size(), FrameMap{});
    pool.run_all(plan.files.size(), [&](size_t f) { decode_file(plan.files[f], frames[f]); });
    note_color_warnings(plan);
    std::vector<const VideoFrame*> picked;
    for (size_t i = 0; i < ids.size(); ++i) picked.push_back(&frames[plan.entry_file[i]].at(ids[i]));
    return picked;
  }

  std::shared_ptr<GopExtractor> extractor_for(const std::string& path, const std::shared_ptr<const VideoIndex>& index) {
    std::shared_ptr<GopExtractor> extractor = extractors.get(path);
    if (extractor && extractor->index_ptr() == index) return extractor;
    extractor = std::make_shared<GopExtractor>(index);
    extractors.put(path, extractor, 1);
    return extractor;
  }

  std::vector<GopRecord> get_gops(const std::vector<std::string>& paths, const std::vector<int>& ids) {
    check_entry_lists(paths.size(), ids.size(), static_cast<size_t>(options.max_files));
    DecodePlan plan = make_plan(paths, ids, [](const std::string& p) { return IndexCache::global().get(p); });
    std::vector<GopRecord> records(ids.size());
    pool.run_all(plan.files.size(), [&](size_t f) {
      const FileWork& work = plan.files[f];
      std::shared_ptr<GopExtractor> extractor = extractor_for(work.path, work.index);
      try {
        std::map<int, GopRecord> by_gop;
        for (const GopWork& gop : work.gops) by_gop.emplace(gop.gop, extractor->extract(gop.gop));
        for (size_t i = 0; i < ids.size(); ++i) {
          if (plan.entry_file[i] == static_cast<int>(f))
            records[i] = by_gop.at(work.index->frames.gop_of_frame(ids[i]));
        }
      } catch (...) {
        extractors.erase(work.path);
        throw;
      }
    });
    return records;
  }

  // Checks the entries of a decode from records, then decodes each record (one task
  // per record, on idle backends of the same stream where there are some).
  std::vector<FrameMap> run_records(std::vector<GopRecord>& records, const std::vector<std::string>& labels,
                                    const std::vector<int>& ids) {
    check_entry_lists(labels.size(), ids.size(), static_cast<size_t>(options.max_files));
    check_records(records, labels, ids);
    ensure_gpu();
    std::vector<FrameMap> frames(records.size());
    pool.run_all(records.size(), [&](size_t i) {
      GopRecord& record = records[i];
      complete_stream_description(record);
      const std::string label = labels[i].empty() ? record.source : labels[i];
      const std::string what = quoted(label) + " (bundle record " + std::to_string(i) + ")";
      const std::string key = backend_key(record);
      std::unique_ptr<DecoderBackend> backend = record_backends.take(key);
      if (!backend) backend = make_record_backend(record, label);
      GopRun run = run_for_record(record, what, {ids[i]});
      add_stats(static_cast<int64_t>(run.packets.size()), 1, 0);
      decode_gop_run(*backend, run, frames[i]);
      record_backends.give_back(key, std::move(backend));  // only after success
    });
    return frames;
  }

  static void check_records(const std::vector<GopRecord>& records, const std::vector<std::string>& labels,
                            const std::vector<int>& ids) {
    if (records.size() != ids.size()) {
      throw ArgumentError("the GOP data holds " + std::to_string(records.size()) + " record(s) but the call has " +
                          std::to_string(ids.size()) + " entries (one record per entry, as GetGOP returns them)");
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      const GopRecord& r = records[i];
      const bool present =
          std::any_of(r.packets.begin(), r.packets.end(), [&](const BundlePacket& p) { return p.frame_id == ids[i]; });
      if (ids[i] >= r.first_frame_id && ids[i] - r.first_frame_id < r.frame_count && present) continue;
      throw ArgumentError("entry " + std::to_string(i) + " (" + quoted(labels[i]) + "): frame id " +
                          std::to_string(ids[i]) + " is not in the GOP of record " + std::to_string(i) + " (frames " +
                          std::to_string(r.first_frame_id) + ".." +
                          std::to_string(r.first_frame_id + r.frame_count - 1) + ")");
    }
  }

  // Each entry's frame as a caller-owned YUV frame: repeats of one frame get copies.
  std::vector<VideoFrame> hand_out(const std::vector<const VideoFrame*>& picked) {
    std::vector<VideoFrame> out;
    out.reserve(picked.size());
    std::unordered_set<const VideoFrame*> handed_out;
    for (const VideoFrame* frame : picked) {
      if (handed_out.insert(frame).second) {
        out.push_back(*frame);
#if ODVD_WITH_NVDEC
      } else if (gpu) {
        out.push_back(gpu->copy(*frame));
#endif
      } else {
        out.push_back(copy_frame(*frame));
      }
    }
#if ODVD_WITH_NVDEC
    if (gpu) gpu->synchronize();
#endif
    return out;
  }

  std::vector<RgbImage> convert_all(const std::vector<const VideoFrame*>& picked, bool bgr) {
#if ODVD_WITH_NVDEC
    if (gpu) {
      std::vector<RgbImage> out;
      out.reserve(picked.size());
      for (const VideoFrame* frame : picked) out.push_back(gpu->convert(*frame, bgr));
      gpu->synchronize();
      return out;
    }
#endif
    // Convert in bands of rows so that a call with few entries still uses every worker.
    std::vector<RgbImage> out(picked.size());
    for (size_t i = 0; i < picked.size(); ++i) out[i] = allocate_rgb(*picked[i], bgr);
    const size_t workers = pool.size() + 1;
    const size_t bands = picked.empty() ? 1 : std::max<size_t>(1, (2 * workers + picked.size() - 1) / picked.size());
    pool.run_all(picked.size() * bands, [&](size_t task) {
      const size_t i = task / bands;
      const size_t band = task % bands;
      const int rows = out[i].height;
      convert_rows(*picked[i], out[i], static_cast<int>(rows * band / bands),
                   static_cast<int>(rows * (band + 1) / bands));
    });
    return out;
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
  LruCache<std::string, GopExtractor> extractors;  // demux-only state of get_gops
  BackendPool record_backends;                     // idle backends of decode_records
  std::mutex stats_mutex;
  Stats totals;                                  // GUARDED_BY(stats_mutex)
  std::vector<std::string> warnings;             // GUARDED_BY(call_mutex)
  std::unordered_set<std::string> warned_paths;  // GUARDED_BY(call_mutex)
#if ODVD_WITH_NVDEC
  std::unique_ptr<cuda::GpuWorkspace> gpu;  // null on the CPU back end and until the first decode
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
  return impl_->hand_out(impl_->run(paths, ids, frames));
}

std::vector<RgbImage> GopDecoder::decode_rgb(const std::vector<std::string>& paths, const std::vector<int>& ids,
                                             bool bgr) {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  std::vector<Impl::FrameMap> frames;
  return impl_->convert_all(impl_->run(paths, ids, frames), bgr);
}

std::vector<GopRecord> GopDecoder::get_gops(const std::vector<std::string>& paths, const std::vector<int>& ids) {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  return impl_->get_gops(paths, ids);
}

namespace {
std::vector<const VideoFrame*> pick(const std::vector<std::map<int, VideoFrame>>& frames, const std::vector<int>& ids) {
  std::vector<const VideoFrame*> picked;
  for (size_t i = 0; i < ids.size(); ++i) picked.push_back(&frames[i].at(ids[i]));
  return picked;
}
}  // namespace

std::vector<VideoFrame> GopDecoder::decode_records(std::vector<GopRecord> records,
                                                   const std::vector<std::string>& labels,
                                                   const std::vector<int>& ids) {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  std::vector<Impl::FrameMap> frames = impl_->run_records(records, labels, ids);
  return impl_->hand_out(pick(frames, ids));
}

std::vector<RgbImage> GopDecoder::decode_records_rgb(std::vector<GopRecord> records,
                                                     const std::vector<std::string>& labels,
                                                     const std::vector<int>& ids, bool bgr) {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  std::vector<Impl::FrameMap> frames = impl_->run_records(records, labels, ids);
  return impl_->convert_all(pick(frames, ids), bgr);
}

GopDecoder::Stats GopDecoder::stats() const {
  std::lock_guard<std::mutex> lock(impl_->stats_mutex);
  return impl_->totals;
}

std::vector<std::string> GopDecoder::take_warnings() {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  return std::exchange(impl_->warnings, {});
}

void GopDecoder::release_decoder() {
  std::lock_guard<std::mutex> lock(impl_->call_mutex);
  impl_->sessions.clear();
  impl_->record_backends.clear();
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

int64_t cuda_context_creator_pid() {
#if ODVD_WITH_NVDEC
  return cuda::context_creator_pid();
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
