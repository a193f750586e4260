#include "decode/decode_engine.hpp"

#include <algorithm>
#include <thread>

#include "decode/make_device.hpp"
#include "decode/stream_description.hpp"
#include "odvd/error.hpp"
#include "odvd/option_limits.hpp"
#include "tensor/tensor_plan.hpp"
#include "util/profile.hpp"

namespace odvd {
namespace {

int hardware_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

EngineOptions resolved(EngineOptions o) {
  check_option_range("worker_threads", o.worker_threads, 0, OptionLimits::kMaxWorkerThreads, " (0: automatic)");
  check_option_range("decoder_threads", o.decoder_threads, 0, OptionLimits::kMaxDecoderThreads, " (0: automatic)");
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
    : options_(resolved(options)),
      pool_(static_cast<size_t>(options_.worker_threads - 1)),
      device_(
          make_device(options_.device, options_.max_sessions, options_.decoder_threads, options_.fallback, pool_,
                      [this](const std::string& label, const std::string& reason) { note_fallback(label, reason); })) {}

DecodeEngine::~DecodeEngine() = default;

std::shared_ptr<FileSession> DecodeEngine::make_session(std::shared_ptr<const VideoIndex> index, bool always_stream) {
  return std::make_shared<FileSession>(std::move(index), *device_, always_stream);
}

std::shared_ptr<FileSession> DecodeEngine::session_in(LruCache<std::string, FileSession>& sessions,
                                                      const std::string& key,
                                                      const std::shared_ptr<const VideoIndex>& index,
                                                      bool always_stream) {
  std::shared_ptr<FileSession> session = sessions.get(key);
  if (session && session->index_ptr() == index) return session;
  session = make_session(index, always_stream);
  sessions.put(key, session, warm_session_bytes(*index));
  return session;
}

std::unique_ptr<DecoderBackend> DecodeEngine::make_record_backend(const GopRecord& record, const std::string& label) {
  return device_->make_backend(describe_stream(record, label));
}

std::vector<RgbImage> DecodeEngine::convert_all(const std::vector<const VideoFrame*>& picked, bool bgr) {
  ODVD_PROFILE_SCOPE("call.convert_and_sync");
  return device_->convert_all(picked, bgr);
}

namespace {

std::string memory_words(MemoryKind kind, int device) {
  return kind == MemoryKind::kHost ? std::string("host memory") : "memory of CUDA device " + std::to_string(device);
}

}  // namespace

void DecodeEngine::check_tensor_request(const TensorTarget& out, size_t entries, void* stream) const {
  const int ordinal = device_->ordinal();
  if (stream != nullptr && ordinal < 0) {
    throw ArgumentError("stream= orders work on a CUDA stream; this decoder decodes on the CPU (iGpu=-1)");
  }
  if (!out.buffer) return;
  const MemoryKind wanted = ordinal < 0 ? MemoryKind::kHost : MemoryKind::kCuda;
  if (out.buffer->kind() != wanted || (ordinal >= 0 && out.buffer->device() != ordinal)) {
    throw ArgumentError("out is in " + memory_words(out.buffer->kind(), out.buffer->device()) +
                        ", but this decoder writes batches to " + memory_words(wanted, ordinal));
  }
  if (out.count != static_cast<int64_t>(entries)) {
    throw ArgumentError("out holds " + std::to_string(out.count) + " entries, the call has " + std::to_string(entries));
  }
}

TensorTarget DecodeEngine::write_tensor(const std::vector<const VideoFrame*>& picked,
                                        const std::vector<std::string>& labels, const TensorOptions& options,
                                        TensorTarget out, void* stream) {
  ODVD_PROFILE_SCOPE("call.write_tensor");
  check_tensor_request(out, picked.size(), stream);
  TensorOptions wanted = options;
  if (out.buffer && wanted.height == 0) {
    // Without a size, out's is the output size.
    wanted.height = out.height;
    wanted.width = out.width;
  }
  const TensorPlan plan = make_tensor_plan(picked, labels, wanted);
  if (out.buffer) {
    if (out.height != plan.height() || out.width != plan.width()) {
      throw ArgumentError("out holds " + std::to_string(out.height) + "x" + std::to_string(out.width) +
                          " (height x width) images, the call makes " + std::to_string(plan.height()) + "x" +
                          std::to_string(plan.width()));
    }
  } else {
    out.count = static_cast<int64_t>(picked.size());
    out.height = plan.height();
    out.width = plan.width();
    out.layout = options.layout;
    out.dtype = options.dtype;
    out.buffer = device_->allocate(static_cast<size_t>(std::max<int64_t>(out.bytes(), 1)));
  }
  if (!picked.empty()) device_->write_tensor(picked, plan, out, stream);
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

void DecodeEngine::note_fallback(const std::string& label, const std::string& reason) {
  MutexLock lock(warnings_mutex_);
  if (!fallback_paths_.insert(label).second) return;
  warnings_.push_back(quoted(label) + " decodes on the CPU (its frames are uploaded to CUDA device " +
                      std::to_string(options_.device) + "): " + reason);
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
  totals_.ahead_peak_bytes = std::max(totals_.ahead_peak_bytes, d.ahead_peak_bytes);
}

WorkStats DecodeEngine::stats() const {
  MutexLock lock(stats_mutex_);
  return totals_;
}

}  // namespace odvd
