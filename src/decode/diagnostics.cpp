#include "odvd/diagnostics.hpp"

#include "color/color_convert.hpp"
#include "decode/make_device.hpp"
#include "ffmpeg/build_info.hpp"

namespace odvd {

BuildInfo build_info() {
  const av::FfmpegBuild ffmpeg = av::ffmpeg_build();
  BuildInfo b;
  b.ffmpeg_version = ffmpeg.version;
  b.ffmpeg_configuration = ffmpeg.configuration;
  b.ffmpeg_license = ffmpeg.license;
  b.libavcodec = ffmpeg.libavcodec;
  b.libavformat = ffmpeg.libavformat;
  b.libavutil = ffmpeg.libavutil;
  b.nvdec = build_has_nvdec();
  b.cpu_features = cpu_features_used();
  return b;
}

}  // namespace odvd
