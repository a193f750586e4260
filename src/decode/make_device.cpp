#include "decode/make_device.hpp"

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "cpu/cpu_device.hpp"
#include "odvd/diagnostics.hpp"
#include "odvd/error.hpp"
#include "odvd/gop_decoder.hpp"

#if ODVD_WITH_NVDEC
#include "nvdec/nvdec_decoder.hpp"
#include "nvdec/nvdec_device.hpp"
#endif

namespace odvd {

std::unique_ptr<Device> make_device(int ordinal, int max_idle_sessions, int decoder_threads, Fallback fallback,
                                    ThreadPool& pool, FallbackDevice::FallbackNote on_fallback) {
  if (ordinal < -1) {
    throw MediaError("iGpu=" + std::to_string(ordinal) + " is not a CUDA device ordinal (use -1 for the CPU back end)");
  }
  if (ordinal == -1) return std::make_unique<CpuDevice>(decoder_threads, pool);
#if ODVD_WITH_NVDEC
  auto gpu = std::make_unique<cuda::NvdecDevice>(ordinal, static_cast<size_t>(max_idle_sessions));
  if (fallback == Fallback::kRaise) return gpu;
  return std::make_unique<FallbackDevice>(std::move(gpu), std::make_unique<CpuDevice>(decoder_threads, pool),
                                          std::move(on_fallback));
#else
  (void)max_idle_sessions, (void)fallback, (void)on_fallback;
  throw MediaError("iGpu=" + std::to_string(ordinal) +
                   ": this build of on_demand_video_decoder has no NVDEC back end (it was built without CUDA); "
                   "use iGpu=-1 for the CPU back end");
#endif
}

bool build_has_nvdec() {
  return ODVD_WITH_NVDEC != 0;
}

void order_cuda_streams(int ordinal, void* waiter, void* producer) {
#if ODVD_WITH_NVDEC
  cuda::ContextScope scope(cuda::device_context(ordinal).context);
  cuda::order_after(static_cast<CUstream>(waiter), static_cast<CUstream>(producer));
#else
  (void)waiter;
  (void)producer;
  throw MediaError("order_cuda_streams: this build has no CUDA (device " + std::to_string(ordinal) + ")");
#endif
}

int cuda_driver_version() {
#if ODVD_WITH_NVDEC
  return cuda::driver_version();
#else
  return 0;
#endif
}

std::vector<GpuReport> describe_gpus() {
  std::vector<GpuReport> out;
#if ODVD_WITH_NVDEC
  for (int i = 0; i < cuda::device_count(); ++i) {
    GpuReport r;
    r.ordinal = i;
    try {
      const cuda::DeviceContext& device = cuda::device_context(i);
      r.name = device.name;
      for (const cuda::NvdecCapability& c : cuda::nvdec_capabilities(device)) {
        r.nvdec.push_back(NvdecCaps{c.codec, c.chroma_format, c.bit_depth, c.supported, c.used, c.min_width,
                                    c.min_height, c.max_width, c.max_height});
      }
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    out.push_back(std::move(r));
  }
#endif
  return out;
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

}  // namespace odvd
