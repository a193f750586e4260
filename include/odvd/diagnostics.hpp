// What this build of the library is and what the machine offers it: the answers behind
// `odvd doctor` and `on_demand_video_decoder.build_info()`.
//
// Thread-safety: call from any thread. describe_gpus() retains each device's primary
// context (it asks NVDEC): call it in a process that may hold one (not before a fork).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "odvd/types.hpp"

namespace odvd {

struct BuildInfo {
  std::string ffmpeg_version;        // of the FFmpeg in use (static in wheels)
  std::string ffmpeg_configuration;  // its ./configure line
  std::string ffmpeg_license;
  std::string libavcodec, libavformat, libavutil;  // "major.minor.micro"
  bool nvdec = false;                              // built with the NVDEC back end
  std::vector<std::string> cpu_features;           // vector units the CPU converter uses here
};

BuildInfo build_info();

// The CUDA version the installed driver supports (12080 = 12.8), 0 without a usable driver.
int cuda_driver_version();

// NVDEC on one device, per codec / chroma format / bit depth (cuvidGetDecoderCaps).
struct NvdecCaps {
  Codec codec = Codec::kUnknown;
  int chroma_format = 1;  // 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4
  int bit_depth = 8;
  bool supported = false;  // by the hardware
  bool used = false;       // by the library's NVDEC path (4:2:0 only); the rest falls back to the CPU
  int min_width = 0, min_height = 0, max_width = 0, max_height = 0;
};

struct GpuReport {
  int ordinal = -1;
  std::string name;
  std::vector<NvdecCaps> nvdec;
  std::string error;  // why the device could not be described ("" when it could)
};

// One report per CUDA device (none without a driver or in a build without NVDEC).
std::vector<GpuReport> describe_gpus();

}  // namespace odvd
