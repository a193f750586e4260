// make_device(): the Device (odvd/device.hpp) for a device ordinal — the one place that
// knows which devices this build has (the NVDEC one only where it was built with CUDA).
//
// Thread-safety: call from any thread.
#pragma once

#include <memory>

#include "decode/fallback_device.hpp"
#include "odvd/device.hpp"
#include "util/thread_pool.hpp"

namespace odvd {

// Whether this build has the NVDEC back end.
bool build_has_nvdec();

// -1: the CPU (`decoder_threads` libavcodec threads per backend, colour conversion on
// `pool`, which must outlive the device). >= 0: that CUDA device's NVDEC, keeping up to
// `max_idle_sessions` idle decoder sessions; with Fallback::kCpu, streams NVDEC refuses
// decode on the CPU (FallbackDevice, which reports each file once to `on_fallback`).
// Throws MediaError when this build has no NVDEC back end, or the driver's libraries
// cannot be loaded; makes no CUDA context (Note [Devices are made cold]).
std::unique_ptr<Device> make_device(int ordinal, int max_idle_sessions, int decoder_threads, Fallback fallback,
                                    ThreadPool& pool, FallbackDevice::FallbackNote on_fallback);

}  // namespace odvd
