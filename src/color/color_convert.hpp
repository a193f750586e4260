// Colour conversion on the CPU: decoded YUV frames (any PixelFormat) to packed 8-bit
// RGB/BGR, using the shared per-pixel math of yuv_rgb_math.hpp.
#pragma once

#include <string>
#include <vector>

#include "color/yuv_rgb_math.hpp"
#include "odvd/frame.hpp"
#include "odvd/types.hpp"

namespace odvd {

// Applies SPEC §5 defaults: unspecified range -> limited, unspecified or unknown
// matrix -> BT.601.
ColorInfo resolve_color(ColorInfo signalled);

// Q16 coefficients for a resolved colour description and a bit depth (8..12).
YuvCoefficients make_yuv_coefficients(ColorInfo resolved, int bit_depth);

// The same coefficients unrounded, in floating point, for results on the 0..1 scale
// (training tensors: tensor/tensor_math.hpp).
FloatYuvCoefficients make_float_yuv_coefficients(ColorInfo resolved, int bit_depth);

// Converts a host frame to a newly allocated RGB (or BGR) image using frame.color,
// resolved with resolve_color(). Throws ArgumentError for non-host frames.
RgbImage convert_to_rgb(const VideoFrame& frame, bool bgr);

// The same in two steps, so callers can convert bands of rows in parallel:
// allocate_rgb() makes the (uninitialised) image, convert_rows() fills rows
// [row_begin, row_end) of it.
RgbImage allocate_rgb(const VideoFrame& frame, bool bgr);
void convert_rows(const VideoFrame& frame, RgbImage& image, int row_begin, int row_end);
// The same; `allow_simd` false keeps to the portable scalar loop (Note [AVX2 rows] in
// color_convert.cpp: both give identical bytes, which tests check).
void convert_rows(const VideoFrame& frame, RgbImage& image, int row_begin, int row_end, bool allow_simd);

// The vector part of an 8-bit NV12 row: converts pixels from the start of `luma` (a pixel
// whose chroma pair starts at `uv`) to packed RGB at `out`, with AVX2 where the CPU has it
// (Note [AVX2 rows]); returns how many (a multiple of 8, at most width - 2; 0 without
// AVX2). The caller converts the rest with yuv_to_rgb_pixel(): the same bytes either way.
int convert_nv12_row_simd(const uint8_t* luma, const uint8_t* uv, int width, const YuvCoefficients& k, uint8_t* out);

// The vector instruction sets the CPU converter uses on this machine ("avx2" where the CPU
// has it: Note [AVX2 rows]); empty when it runs the portable loop.
std::vector<std::string> cpu_features_used();

}  // namespace odvd
