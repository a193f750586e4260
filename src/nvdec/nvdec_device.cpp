#include "nvdec/nvdec_device.hpp"

#include <cstring>
#include <unordered_map>

#include "color/color_convert.hpp"
#include "color/cuda_color.hpp"
#include "nvdec/nvdec_backend.hpp"
#include "odvd/error.hpp"
#include "tensor/cuda_tensor.hpp"
#include "tensor/tensor_plan.hpp"

namespace odvd::cuda {

NvdecDevice::Workspace::Workspace(int ordinal, size_t max_idle_decoders)
    : device(device_context(ordinal)),
      memory(DevicePool::for_device(ordinal)),
      decoders(std::make_shared<NvdecDecoderPool>(device, max_idle_decoders)),
      stream(device) {}

NvdecDevice::NvdecDevice(int ordinal, size_t max_idle_decoders)
    : ordinal_(ordinal), max_idle_decoders_(max_idle_decoders) {
  require_driver_libraries();  // no CUDA call: Note [Devices are made cold]
}

NvdecDevice::~NvdecDevice() = default;

void NvdecDevice::prepare() {
  MutexLock lock(mutex_);
  if (!workspace_) workspace_ = std::make_unique<Workspace>(ordinal_, max_idle_decoders_);
}

NvdecDevice::Workspace& NvdecDevice::ready() const {
  ODVD_CHECK(workspace_ != nullptr);  // prepare() runs before any decoding task
  return *workspace_;
}

std::unique_ptr<DecoderBackend> NvdecDevice::make_backend(const StreamDescription& s) {
  Workspace& w = ready();
  NvdecStream stream;
  stream.codec = s.codec;
  stream.bit_depth = s.bit_depth;
  stream.chroma_format = s.chroma_format;
  stream.width = s.width;
  stream.height = s.height;
  return std::make_unique<NvdecBackend>(w.decoders, w.memory, stream, s.label);
}

VideoFrame NvdecDevice::copy(Workspace& w, const VideoFrame& frame) {
  ODVD_CHECK(frame.buffer && frame.buffer->kind() == MemoryKind::kCuda);
  VideoFrame out = frame;
  const size_t size = frame.buffer->size();
  out.buffer = w.memory->allocate(size, w.stream.get());
  ContextScope scope(w.device.context);
  check(driver().cu->cuMemcpyDtoDAsync(reinterpret_cast<CUdeviceptr>(out.buffer->data()),
                                       reinterpret_cast<CUdeviceptr>(frame.buffer->data()), size, w.stream.get()),
        "copying a frame on CUDA device " + std::to_string(ordinal_));
  return out;
}

std::shared_ptr<Buffer> NvdecDevice::upload(Workspace& w, Buffer& host) {
  std::shared_ptr<Buffer> out = w.memory->allocate(host.size(), w.stream.get());
  ContextScope scope(w.device.context);
  // From pageable memory: the call returns once the bytes are staged, so the host buffer
  // may go as soon as it returns.
  check(driver().cu->cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(out->data()), host.data(), host.size(),
                                       w.stream.get()),
        "uploading a frame to CUDA device " + std::to_string(ordinal_));
  return out;
}

const VideoFrame* NvdecDevice::on_device_copy(Workspace& w, const VideoFrame* frame, Uploads& uploaded) {
  if (frame == nullptr || !frame->buffer || frame->buffer->kind() != MemoryKind::kHost) return frame;
  auto it = uploaded.find(frame);
  if (it == uploaded.end()) {
    VideoFrame moved = *frame;
    moved.buffer = upload(w, *frame->buffer);
    it = uploaded.emplace(frame, std::move(moved)).first;
  }
  return &it->second;
}

RgbImage NvdecDevice::convert(Workspace& w, const VideoFrame& frame, bool bgr) {
  if (frame.buffer && frame.buffer->kind() == MemoryKind::kHost) {
    // Decoded on the CPU (fallback): converted there — the same arithmetic as the
    // kernels, bit for bit, and every layout (4:2:2 included) — then uploaded.
    RgbImage image = convert_to_rgb(frame, bgr);
    image.buffer = upload(w, *image.buffer);
    return image;
  }
  ODVD_CHECK(frame.buffer && frame.buffer->kind() == MemoryKind::kCuda);
  RgbImage image = rgb_image_of(frame, bgr);
  image.buffer = w.memory->allocate(static_cast<size_t>(image.stride()) * image.height, w.stream.get());
  ContextScope scope(w.device.context);  // the CUDA runtime launches into the current (primary) context
  const std::string error = enqueue_yuv_to_rgb(frame, image, w.stream.get());
  if (!error.empty()) {
    throw MediaError("colour conversion on CUDA device " + std::to_string(ordinal_) + " failed: " + error);
  }
  return image;
}

std::vector<VideoFrame> NvdecDevice::hand_out(const std::vector<const VideoFrame*>& picked) {
  MutexLock lock(mutex_);
  Workspace& w = ready();
  Uploads uploaded;
  std::vector<const VideoFrame*> on_device = picked;
  for (const VideoFrame*& frame : on_device) frame = on_device_copy(w, frame, uploaded);
  std::vector<VideoFrame> out = hand_out_frames(on_device, [&](const VideoFrame& f) { return copy(w, f); });
  w.stream.synchronize("CUDA device " + std::to_string(ordinal_));
  return out;
}

std::vector<RgbImage> NvdecDevice::convert_all(const std::vector<const VideoFrame*>& picked, bool bgr) {
  MutexLock lock(mutex_);
  Workspace& w = ready();
  std::vector<RgbImage> out;
  out.reserve(picked.size());
  for (const VideoFrame* frame : picked) out.push_back(frame != nullptr ? convert(w, *frame, bgr) : RgbImage{});
  w.stream.synchronize("CUDA device " + std::to_string(ordinal_));
  return out;
}

std::shared_ptr<Buffer> NvdecDevice::allocate(size_t bytes) {
  MutexLock lock(mutex_);
  Workspace& w = ready();
  // Written on the device's stream, or on a caller's stream that waits for it (write_tensor).
  return w.memory->allocate(bytes, w.stream.get());
}

void NvdecDevice::write_tensor(const std::vector<const VideoFrame*>& picked, const TensorPlan& plan,
                               const TensorTarget& target, void* stream) {
  MutexLock lock(mutex_);
  Workspace& w = ready();
  ODVD_CHECK(target.buffer && target.buffer->kind() == MemoryKind::kCuda && target.buffer->device() == ordinal_);
  ODVD_CHECK(plan.jobs.size() == picked.size() && static_cast<int64_t>(picked.size()) == target.count);
  ContextScope scope(w.device.context);
  // Frames decoded on the CPU (fallback) are uploaded, and their jobs pointed at the copy.
  std::vector<TensorFrameJob> jobs = plan.jobs;
  std::vector<std::shared_ptr<Buffer>> read;  // every block the kernel reads
  Uploads uploaded;
  for (size_t i = 0; i < picked.size(); ++i) {
    const VideoFrame* f = on_device_copy(w, picked[i], uploaded);
    if (f == nullptr || !f->buffer) continue;
    if (f != picked[i]) set_job_source(jobs[i], *f);
    read.push_back(f->buffer);
  }
  const PackedPlan packed = packed_plan_layout(jobs, plan.tables);
  const std::shared_ptr<Buffer> staged = make_host_buffer(packed.bytes);
  pack_plan(jobs, plan.tables, packed, staged->data());
  std::shared_ptr<Buffer> block = upload(w, *staged);
  read.push_back(block);

  // The kernel runs on the caller's stream when given, after everything enqueued here and
  // after the caller's earlier work on the target.
  const auto launch_on = stream != nullptr ? static_cast<CUstream>(stream) : w.stream.get();
  if (target.ready_on != nullptr) order_after(launch_on, static_cast<CUstream>(target.ready_on));
  order_after(launch_on, w.stream.get());
  DeviceTensorPlan p;
  p.jobs = reinterpret_cast<const TensorFrameJob*>(block->data());
  p.tables = block->data() + packed.tables_offset;
  p.count = target.count;
  p.height = plan.height();
  p.width = plan.width();
  p.layout = target.layout;
  p.dtype = target.dtype;
  p.finish = plan.finish;
  p.out = target.buffer->data();
  const std::string error = enqueue_tensor_plan(p, launch_on);
  if (!error.empty())
    throw MediaError("writing a batch on CUDA device " + std::to_string(ordinal_) + " failed: " + error);
  if (stream != nullptr) {
    // Nothing the kernel reads or writes goes back to the pool before it is done.
    for (const auto& b : read) b->note_consumer_stream(stream);
    target.buffer->note_consumer_stream(stream);
  } else {
    w.stream.synchronize("CUDA device " + std::to_string(ordinal_));
  }
}

void NvdecDevice::release_decoders() {
  MutexLock lock(mutex_);
  if (workspace_) workspace_->decoders->clear();
}

void NvdecDevice::release_memory() {
  MutexLock lock(mutex_);
  if (workspace_) workspace_->memory->release_unused();
}

Device::MemoryUse NvdecDevice::memory_use() const {
  MutexLock lock(mutex_);
  MemoryUse use;
  if (workspace_) {
    use.live_bytes = static_cast<int64_t>(workspace_->memory->live_bytes());
    use.cached_bytes = static_cast<int64_t>(workspace_->memory->cached_bytes());
  }
  return use;
}

int64_t NvdecDevice::hardware_sessions_made() const {
  MutexLock lock(mutex_);
  return workspace_ ? workspace_->decoders->made() : 0;
}

}  // namespace odvd::cuda
