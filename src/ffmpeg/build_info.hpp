// Which FFmpeg the library runs with: the version and configuration of the libraries
// linked (or loaded) into this process, for diagnostics (odvd doctor, build_info()).
//
// Thread-safety: call from any thread.
#pragma once

#include <string>

namespace odvd::av {

struct FfmpegBuild {
  std::string version;        // av_version_info(): e.g. "5.1.6-0+deb12u1" or "n7.1"
  std::string configuration;  // avcodec_configuration(): the ./configure line
  std::string license;        // avcodec_license(): "LGPL version 2.1 or later", ...
  std::string libavcodec;     // "59.37.100"
  std::string libavformat;
  std::string libavutil;
};

FfmpegBuild ffmpeg_build();

}  // namespace odvd::av
