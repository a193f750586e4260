// The resize filters of training batches (odvd/tensor.hpp, Note [Tensor values]), as
// tables of taps per axis, computed once per call on the host in double precision and
// read by the CPU loops and the CUDA kernel alike.
//
// Note [Resize filters]
//   Output coordinate o of an axis of `in` source and `out` output samples covers the
//   source interval [o * s, (o + 1) * s), s = in / out, centred on c = (o + 0.5) * s
//   (half-pixel centres; source sample j sits at j + 0.5).
//   * bilinear: a triangle filter of radius r = 1, weight(j) = max(0, 1 - |j + 0.5 - c| / r),
//     over the samples with |j + 0.5 - c| < r + 0.5 inside the axis, normalised to sum 1.
//     With `antialias` and s > 1 (downscaling), r = s: every source sample counts, as
//     PyTorch's interpolate(mode="bilinear", antialias=True, align_corners=False) and
//     PIL's BILINEAR. Without, or when upscaling, it is interpolate(antialias=False):
//     the two nearest samples, the border sample repeated.
//   * nearest: the sample holding the centre, j = min(floor(c), in - 1) (PyTorch's
//     "nearest-exact").
//   * area: the mean over the interval, each sample weighted by its overlap with it
//     (OpenCV's INTER_AREA; equal to PyTorch's "area" when in is a multiple of out).
//   Taps with zero weight are dropped, so an axis that is not resized is one tap of
//   weight 1 per sample, and the output equals its input exactly.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "odvd/tensor.hpp"

namespace odvd {

struct AxisTaps {
  int in_size = 0;
  int out_size = 0;
  int max_taps = 0;            // the most taps of any output coordinate
  std::vector<int32_t> first;  // per output coordinate: first source sample (0-based in the axis)
  std::vector<int32_t> count;  // per output coordinate: taps (1..max_taps)
  std::vector<float> weights;  // out_size * max_taps, row o holds count[o] weights, zero-padded
};

// Taps of one axis; in_size, out_size >= 1.
AxisTaps make_axis_taps(int in_size, int out_size, Interpolation interpolation, bool antialias);

}  // namespace odvd
