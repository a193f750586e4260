// Device-compilation check of the shared pixel math (Note [Colour conversion]): a
// kernel that exercises yuv_to_rgb_pixel and the sample loaders. The real kernels
// (NVDEC back end) include the same header.
#include "color/yuv_rgb_math.hpp"

namespace odvd {

__global__ void yuv_rgb_math_check_kernel(const uint8_t* luma, const uint8_t* chroma, int pitch, YuvCoefficients k,
                                          uint8_t* out) {
  int32_t y, u, v;
  load_semiplanar<uint8_t>(luma, pitch, chroma, pitch, threadIdx.x, 0, 0, y, u, v);
  yuv_to_rgb_pixel(k, y, u, v, false, out + 3 * threadIdx.x);
}

}  // namespace odvd
