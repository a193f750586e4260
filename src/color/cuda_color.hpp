// Colour conversion on the GPU: decoded YUV frames in device memory (any PixelFormat)
// to packed 8-bit RGB/BGR in device memory, with the per-pixel math of yuv_rgb_math.hpp,
// so the result is bit-identical to the CPU converter (convert_rows()).
//
// This header includes no CUDA header on purpose: host-only translation units (the
// decode layer, the bindings) call the kernels through it. Streams travel as void*.
//
// Thread-safety: enqueue_yuv_to_rgb() keeps no state; concurrent calls are safe.
#pragma once

#include <string>

#include "odvd/frame.hpp"

namespace odvd {

// Enqueues the conversion of `frame` into `image` on `stream`; returns at once.
//
// Preconditions (violations throw ArgumentError, before anything is enqueued):
//   * frame.buffer and image.buffer hold device memory (MemoryKind::kCuda) of the
//     calling thread's current CUDA device (Buffer::device() is checked when >= 0);
//   * image.width == frame.width > 0, image.height == frame.height > 0,
//     image.buffer->size() >= 3 * width * height;
//   * frame.num_planes and frame.bit_depth fit frame.format (8 for kNv12/kYuv444,
//     8..12 for kP016/kYuv444P16, samples high-aligned in 16-bit words);
//   * every plane holds the rows the format needs (pitch >= row bytes, inside the
//     buffer) and, for 16-bit formats, plane pointers and pitches are 2-byte aligned.
// No other alignment is assumed: rows whose RGB output is 4-byte aligned are written
// in 32-bit words, others byte by byte.
//
// `stream` is a cudaStream_t (equivalently a CUstream) passed as void*; nullptr is the
// legacy default stream. The caller keeps both buffers alive until the work on
// `stream` has finished (record an event, or hold the buffers in the frame).
// image.bgr chooses BGR over RGB; image.pts is left untouched.
//
// Returns an empty string when the kernel was enqueued, otherwise a message naming the
// CUDA error (from cudaGetDevice or from the launch; an earlier sticky error of the
// context, e.g. a previous kernel's illegal address, is reported the same way). Errors
// of the kernel itself surface at the next synchronisation on `stream`.
std::string enqueue_yuv_to_rgb(const VideoFrame& frame, RgbImage& image, void* stream);

}  // namespace odvd
