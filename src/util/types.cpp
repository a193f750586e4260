// Names for the enums of odvd/types.hpp, the option checks (odvd/option_limits.hpp) and the
// internal-error hook of odvd/error.hpp.
#include <string>

#include "odvd/codecs.hpp"
#include "odvd/error.hpp"
#include "odvd/option_limits.hpp"
#include "odvd/types.hpp"

namespace odvd {

void internal_error(const char* file, int line, const char* expr) {
  throw std::logic_error(std::string("odvd internal error (please report): ") + file + ":" + std::to_string(line) +
                         ": check failed: " + expr);
}

const char* codec_name(Codec codec) {
  const CodecEntry* e = codec_entry(codec);
  return e != nullptr ? e->name : "unknown";
}

const char* pixel_format_name(PixelFormat format) {
  switch (format) {
    case PixelFormat::kNv12: return "NV12";
    case PixelFormat::kP016: return "P016";
    case PixelFormat::kYuv444: return "YUV444";
    case PixelFormat::kYuv444P16: return "YUV444_16Bit";
    case PixelFormat::kNv16: return "NV16";
    case PixelFormat::kP216: return "P216";
  }
  return "unknown";
}

bool is_16bit(PixelFormat format) {
  return format == PixelFormat::kP016 || format == PixelFormat::kYuv444P16 || format == PixelFormat::kP216;
}

void check_option_range(const char* name, long long value, long long lo, long long hi, const std::string& hint) {
  if (value >= lo && value <= hi) return;
  throw ArgumentError(std::string(name) + " must be " + std::to_string(lo) + ".." + std::to_string(hi) + " (got " +
                      std::to_string(value) + ")" + hint);
}

void check_video_stream(int video_stream) {
  if (video_stream < -1 || video_stream > 1023) {
    throw ArgumentError(
        "video_stream must be -1 (the best video stream) or the index K of a video stream, 0..1023 "
        "(got " +
        std::to_string(video_stream) + ")");
  }
}

bool is_semiplanar(PixelFormat format) {
  return format == PixelFormat::kNv12 || format == PixelFormat::kP016 || format == PixelFormat::kNv16 ||
         format == PixelFormat::kP216;
}

int chroma_row_shift(PixelFormat format) {
  return format == PixelFormat::kNv12 || format == PixelFormat::kP016 ? 1 : 0;
}

}  // namespace odvd
