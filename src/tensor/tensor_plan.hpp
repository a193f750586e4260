// TensorPlan: what a device needs to write one batch (odvd/tensor.hpp) — one job per
// entry (tensor_math.hpp: where its frame's planes are, its colour coefficients, crop and
// tap tables, its slot) and one block of tap tables shared by entries of the same
// geometry. Built on the host from the decoded frames, device-independent: the CPU runs
// it in place (cpu_tensor.hpp), a GPU uploads it (cuda_tensor.hpp).
//
// Thread-safety: plain values.
#pragma once

#include <string>
#include <vector>

#include "odvd/frame.hpp"
#include "odvd/tensor.hpp"
#include "tensor/tensor_math.hpp"

namespace odvd {

struct TensorPlan {
  TensorOptions options;  // validated; height and width resolved
  std::vector<TensorFrameJob> jobs;
  std::vector<uint8_t> tables;  // tap tables, 4-byte aligned (TapTableHeader)
  TensorFinish finish{};

  int height() const { return options.height; }
  int width() const { return options.width; }
};

// Plans writing picked[i] (null: a slot of zeros) into slot i of a batch. `labels[i]`
// names entry i in messages. The output size is options' (height, width) or, when 0 x 0,
// the crop's size, which every frame must then share. ArgumentError when the crop does
// not fit a frame, frames of different sizes need a `size`, or no frame gives one.
TensorPlan make_tensor_plan(const std::vector<const VideoFrame*>& picked, const std::vector<std::string>& labels,
                            const TensorOptions& options);

// The block a device reads a plan from: `jobs` (re-pointed at the device's copies of the
// frames), then the tap tables at `tables_offset` (16-byte aligned); `bytes` in all.
struct PackedPlan {
  size_t bytes = 0;
  size_t tables_offset = 0;
};
PackedPlan packed_plan_layout(const std::vector<TensorFrameJob>& jobs, const std::vector<uint8_t>& tables);
// Writes the block into `dst` (layout.bytes bytes; straight into the staging buffer).
void pack_plan(const std::vector<TensorFrameJob>& jobs, const std::vector<uint8_t>& tables, const PackedPlan& layout,
               uint8_t* dst);

// Points job `i`'s planes at `frame` (another copy of the same picture, e.g. uploaded).
void set_job_source(TensorFrameJob& job, const VideoFrame& frame);

}  // namespace odvd
