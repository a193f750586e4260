#include "cpu/cpu_device.hpp"

#include <algorithm>

#include "color/color_convert.hpp"
#include "cpu/cpu_backend.hpp"
#include "ffmpeg/av_handles.hpp"
#include "odvd/error.hpp"
#include "tensor/cpu_tensor.hpp"

namespace odvd {
namespace {

// Codec parameters for a stream known only by its description (a GOP record): what
// libavcodec needs to open a decoder; the rest it reads from the parameter sets.
av::CodecParametersPtr parameters_for(const StreamDescription& s) {
  av::CodecParametersPtr par = av::make_codec_parameters();
  par->codec_type = AVMEDIA_TYPE_VIDEO;
  par->codec_id = static_cast<AVCodecID>(s.av_codec_id);
  par->width = s.width;
  par->height = s.height;
  par->format = s.av_pixel_format;
  par->color_range = static_cast<AVColorRange>(static_cast<int>(s.color.range));
  par->color_space = static_cast<AVColorSpace>(static_cast<int>(s.color.matrix));
  return par;
}

}  // namespace

std::unique_ptr<DecoderBackend> CpuDevice::make_backend(const StreamDescription& stream) {
  if (stream.file_parameters) {
    return std::make_unique<CpuBackend>(stream.file_parameters.get(), stream.extradata, decoder_threads_, stream.label);
  }
  const av::CodecParametersPtr par = parameters_for(stream);
  return std::make_unique<CpuBackend>(par.get(), stream.extradata, decoder_threads_, stream.label);
}

std::vector<VideoFrame> CpuDevice::hand_out(const std::vector<const VideoFrame*>& picked) {
  return hand_out_frames(picked, copy_frame);
}

std::vector<RgbImage> CpuDevice::convert_all(const std::vector<const VideoFrame*>& picked, bool bgr) {
  // Convert in bands of rows so that a call with few entries still uses every worker.
  std::vector<RgbImage> out(picked.size());
  for (size_t i = 0; i < picked.size(); ++i) {
    if (picked[i] != nullptr) out[i] = allocate_rgb(*picked[i], bgr);
  }
  // At least kMinBandRows rows a band: splitting finer only starts threads (the pool starts
  // them on demand) for bands with nothing to do.
  constexpr size_t kMinBandRows = 16;
  size_t least_rows = 0;
  for (const RgbImage& image : out) {
    if (image.height <= 0) continue;
    const auto h = static_cast<size_t>(image.height);
    least_rows = least_rows == 0 ? h : std::min(least_rows, h);
  }
  const size_t workers = pool_.size() + 1;
  size_t bands = picked.empty() ? 1 : std::max<size_t>(1, (2 * workers + picked.size() - 1) / picked.size());
  bands = std::max<size_t>(1, std::min(bands, least_rows / kMinBandRows));
  pool_.run_all(picked.size() * bands, [&](size_t task) {
    const size_t i = task / bands;
    const size_t band = task % bands;
    if (picked[i] == nullptr) return;
    const int rows = out[i].height;
    convert_rows(*picked[i], out[i], static_cast<int>(rows * band / bands),
                 static_cast<int>(rows * (band + 1) / bands));
  });
  return out;
}

void CpuDevice::write_tensor(const std::vector<const VideoFrame*>& picked, const TensorPlan& plan,
                             const TensorTarget& target, void* stream) {
  ODVD_CHECK(stream == nullptr);  // the decoders refuse stream= on the CPU
  (void)picked;                   // the plan points at the frames already
  write_tensor_on_cpu(plan, target, pool_);
}

}  // namespace odvd
