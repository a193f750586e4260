// Plain value types shared by every layer: codecs, pixel formats, colour description,
// stream description.
#pragma once

#include <cstdint>
#include <string>

namespace odvd {

// Codec numbers follow NVIDIA's cudaVideoCodec enum (h264=4, hevc=8, av1=11), the
// numbers the public API and the bundle format use. kUnknown is for codecs NVDEC
// cannot name; the CPU back end may still decode them.
enum class Codec : int32_t {
  kMpeg1 = 0,
  kMpeg2 = 1,
  kMpeg4 = 2,
  kVc1 = 3,
  kH264 = 4,
  kJpeg = 5,
  kHevc = 8,
  kVp8 = 9,
  kVp9 = 10,
  kAv1 = 11,
  kUnknown = -1,
};

const char* codec_name(Codec codec);

// Layout of a decoded YUV picture (see frame.hpp for plane geometry).
// Values match what NVDEC produces so both back ends return the same layout:
//   kNv12    8-bit 4:2:0, Y plane + interleaved UV plane.
//   kP016    10/12-bit 4:2:0 in 16-bit words, samples in the *high* bits (value << (16-depth)).
//   kYuv444  8-bit 4:4:4, three full planes.
//   kYuv444P16 10/12-bit 4:4:4 in 16-bit words, high bits.
//   kNv16    8-bit 4:2:2, Y plane + interleaved UV plane of full height (NVDEC's NV16).
//   kP216    10/12-bit 4:2:2 in 16-bit words, high bits (NVDEC's P216).
enum class PixelFormat : int32_t {
  kNv12 = 0,
  kP016 = 1,
  kYuv444 = 2,
  kYuv444P16 = 3,
  kNv16 = 4,
  kP216 = 5,
};

const char* pixel_format_name(PixelFormat format);

// Checks a video_stream option: -1 (the best stream) or 0..1023 (the K-th video stream);
// ArgumentError otherwise.
void check_video_stream(int video_stream);
bool is_16bit(PixelFormat format);
// Y plane + one interleaved UV plane (NV12, P016, NV16, P216).
bool is_semiplanar(PixelFormat format);
// Chroma rows per luma row: 1 for 4:2:2 and 4:4:4, else 2 luma rows share one (4:2:0).
int chroma_row_shift(PixelFormat format);

enum class ColorRange : int32_t { kUnspecified = 0, kLimited = 1, kFull = 2 };

// Matrix coefficients, numbered as in ITU-T H.273 (and AVColorSpace).
enum class ColorMatrix : int32_t {
  kRgb = 0,
  kBt709 = 1,
  kUnspecified = 2,
  kFcc = 4,
  kBt470bg = 5,
  kSmpte170m = 6,
  kSmpte240m = 7,
  kBt2020Ncl = 9,
  kBt2020Cl = 10,
};

struct ColorInfo {
  ColorRange range = ColorRange::kUnspecified;
  ColorMatrix matrix = ColorMatrix::kUnspecified;
};

// What the demuxer knows about a file's video stream. Numbers that come from FFmpeg
// (codec id, pixel format, media type) keep FFmpeg's values, as the public
// FastStreamInfo does.
struct StreamInfo {
  int stream_index = -1;
  Codec codec = Codec::kUnknown;
  int av_codec_id = 0;       // AVCodecID
  int av_media_type = 0;     // AVMediaType
  int av_pixel_format = -1;  // AVPixelFormat, -1 when unknown
  int width = 0;
  int height = 0;
  int bit_depth = 8;
  int time_base_num = 0;
  int time_base_den = 1;
  int r_frame_rate_num = 0;
  int r_frame_rate_den = 1;
  int avg_frame_rate_num = 0;
  int avg_frame_rate_den = 1;
  int64_t duration = 0;    // stream time base; 0 when unknown
  int64_t start_time = 0;  // stream time base; 0 when unknown
  ColorInfo color;
};

}  // namespace odvd
