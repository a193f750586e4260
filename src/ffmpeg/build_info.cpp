#include "ffmpeg/build_info.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
}

namespace odvd::av {
namespace {

std::string dotted(unsigned version) {
  return std::to_string(version >> 16) + "." + std::to_string((version >> 8) & 0xFF) + "." +
         std::to_string(version & 0xFF);
}

}  // namespace

FfmpegBuild ffmpeg_build() {
  FfmpegBuild b;
  b.version = av_version_info();
  b.configuration = avcodec_configuration();
  b.license = avcodec_license();
  b.libavcodec = dotted(avcodec_version());
  b.libavformat = dotted(avformat_version());
  b.libavutil = dotted(avutil_version());
  return b;
}

}  // namespace odvd::av
