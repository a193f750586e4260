// The batch kernel (cuda_tensor.hpp).
//
// Note [Tensor kernel]
//   * Blocks of 32 x 8 threads cover 32 x 8 output pixels of one entry (blockIdx.z);
//     every thread of a block reads the same job, so the source-layout switch in
//     fetch_yuv() never diverges.
//   * For its pixel a thread sums, per vertical tap, the horizontal taps of that source
//     row (the CPU's order), converting each source pixel it touches: a source pixel is
//     converted by the few outputs whose footprints cover it (about four when
//     downscaling 2x with antialiasing), and neighbouring threads read neighbouring
//     samples, so the loads are served from L1/L2. No full-size RGB is written anywhere.
//   * Outputs: NCHW writes three planes, each coalesced across a warp; NHWC writes the
//     three channels of a pixel together.
#include <cuda_runtime.h>

#include <algorithm>

#include "tensor/cuda_tensor.hpp"

namespace odvd {
namespace {

constexpr int kBlockX = 32;
constexpr int kBlockY = 8;
constexpr int kMaxGridZ = 65535;

template <typename Out, bool kNchw>
__global__ void __launch_bounds__(kBlockX* kBlockY)
    tensor_kernel(const TensorFrameJob* jobs, const uint8_t* tables, int height, int width, TensorFinish finish,
                  Out* out, int64_t first_entry) {
  constexpr bool kQuantized = std::is_same<Out, uint8_t>::value;
  const int ox = blockIdx.x * kBlockX + threadIdx.x;
  const int oy = blockIdx.y * kBlockY + threadIdx.y;
  if (ox >= width || oy >= height) return;
  const TensorFrameJob& job = jobs[first_entry + blockIdx.z];
  Out* slot = out + job.out_offset;
  if (job.present == 0) {
    store_pixel<Out, kNchw>(slot, width, height, ox, oy, Rgbf{0.0F, 0.0F, 0.0F}, TensorFinish{{0, 0, 0}, {0, 0, 0}, 0});
    return;
  }
  const TapTableView tx = tap_table_at(tables, job.taps_x);
  const TapTableView ty = tap_table_at(tables, job.taps_y);
  const int x0 = job.crop_x + tx.first[ox];
  const int nx = tx.count[ox];
  const float* wx = tx.weights + static_cast<int64_t>(ox) * tx.max_taps;
  const int y0 = job.crop_y + ty.first[oy];
  const int ny = ty.count[oy];
  const float* wy = ty.weights + static_cast<int64_t>(oy) * ty.max_taps;
  Rgbf acc{0.0F, 0.0F, 0.0F};
  for (int ky = 0; ky < ny; ++ky) {
    Rgbf row{0.0F, 0.0F, 0.0F};
    for (int kx = 0; kx < nx; ++kx) accumulate(row, wx[kx], source_rgb<kQuantized>(job, x0 + kx, y0 + ky));
    accumulate(acc, wy[ky], row);
  }
  store_pixel<Out, kNchw>(slot, width, height, ox, oy, acc, finish);
}

template <typename Out, bool kNchw>
void launch(const DeviceTensorPlan& p, cudaStream_t stream) {
  const dim3 block(kBlockX, kBlockY);
  for (int64_t first = 0; first < p.count; first += kMaxGridZ) {
    const auto entries = static_cast<unsigned>(std::min<int64_t>(kMaxGridZ, p.count - first));
    const dim3 grid((p.width + kBlockX - 1) / kBlockX, (p.height + kBlockY - 1) / kBlockY, entries);
    tensor_kernel<Out, kNchw><<<grid, block, 0, stream>>>(p.jobs, p.tables, p.height, p.width, p.finish,
                                                          reinterpret_cast<Out*>(p.out), first);
  }
}

template <bool kNchw>
void launch_dtype(const DeviceTensorPlan& p, cudaStream_t stream) {
  switch (p.dtype) {
    case TensorDtype::kUint8: launch<uint8_t, kNchw>(p, stream); return;
    case TensorDtype::kFloat16: launch<Half16, kNchw>(p, stream); return;
    case TensorDtype::kBFloat16: launch<BFloat16, kNchw>(p, stream); return;
    case TensorDtype::kFloat32: launch<float, kNchw>(p, stream); return;
  }
}

}  // namespace

std::string enqueue_tensor_plan(const DeviceTensorPlan& p, void* stream) {
  if (p.count == 0) return {};
  if (p.height > kMaxGridZ * kBlockY) return "enqueue_tensor_plan: output too tall for one launch";
  const auto s = static_cast<cudaStream_t>(stream);
  if (p.layout == TensorLayout::kNchw) {
    launch_dtype<true>(p, s);
  } else {
    launch_dtype<false>(p, s);
  }
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) {
    return std::string("enqueue_tensor_plan: kernel launch failed: ") + cudaGetErrorName(err) + ": " +
           cudaGetErrorString(err);
  }
  return {};
}

}  // namespace odvd
