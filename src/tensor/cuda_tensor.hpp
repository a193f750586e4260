// Writing a batch on a CUDA device: one kernel launch for the whole batch (one thread per
// output pixel, all three channels; grid z = the entry), the arithmetic of
// tensor_math.hpp in the order the CPU uses (Note [CPU tensor rows]), so both back ends
// agree to float rounding.
//
// Like cuda_color.hpp, this header includes no CUDA header: the NVDEC device calls it.
//
// Thread-safety: enqueue_tensor_plan() keeps no state.
#pragma once

#include <cstdint>
#include <string>

#include "odvd/tensor.hpp"
#include "tensor/tensor_math.hpp"

namespace odvd {

struct DeviceTensorPlan {
  const TensorFrameJob* jobs = nullptr;  // device memory: `count` jobs
  const uint8_t* tables = nullptr;       // device memory: the plan's tap-table block
  int64_t count = 0;
  int height = 0;
  int width = 0;
  TensorLayout layout = TensorLayout::kNchw;
  TensorDtype dtype = TensorDtype::kUint8;
  TensorFinish finish{};
  uint8_t* out = nullptr;  // device memory: count slots
};

// Enqueues the batch on `stream` (a CUstream / cudaStream_t as void*) in the calling
// thread's current context; returns at once. Empty string when enqueued, else a message
// naming the CUDA error.
std::string enqueue_tensor_plan(const DeviceTensorPlan& plan, void* stream);

}  // namespace odvd
