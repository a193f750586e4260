#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

extern "C" {
#include <libavutil/log.h>
}

#include "ffmpeg/av_error.hpp"
#include "ffmpeg/av_handles.hpp"
#include "odvd/error.hpp"

namespace odvd::av {

PacketPtr make_packet() {
  PacketPtr pkt(av_packet_alloc());
  if (!pkt) throw std::bad_alloc();
  return pkt;
}

FramePtr make_frame() {
  FramePtr frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  return frame;
}

CodecParametersPtr make_codec_parameters() {
  CodecParametersPtr par(avcodec_parameters_alloc());
  if (!par) throw std::bad_alloc();
  return par;
}

CodecParametersPtr copy_codec_parameters(const AVCodecParameters* src) {
  CodecParametersPtr par = make_codec_parameters();
  check(avcodec_parameters_copy(par.get(), src), "copying codec parameters");
  return par;
}

std::string error_text(int errnum) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (av_strerror(errnum, buf, sizeof(buf)) < 0) return "error " + std::to_string(errnum);
  return buf;
}

int check(int ret, const std::string& context) {
  if (ret < 0) throw MediaError(context + ": " + error_text(ret));
  return ret;
}

void init_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct Level {
      const char* name;
      int value;
    };
    static const Level kLevels[] = {{"quiet", AV_LOG_QUIET},     {"panic", AV_LOG_PANIC},     {"fatal", AV_LOG_FATAL},
                                    {"error", AV_LOG_ERROR},     {"warning", AV_LOG_WARNING}, {"info", AV_LOG_INFO},
                                    {"verbose", AV_LOG_VERBOSE}, {"debug", AV_LOG_DEBUG},     {"trace", AV_LOG_TRACE}};
    int level = AV_LOG_QUIET;
    if (const char* env = std::getenv("ODVD_FFMPEG_LOGLEVEL")) {
      for (const Level& l : kLevels) {
        if (std::strcmp(env, l.name) == 0) level = l.value;
      }
    }
    av_log_set_level(level);
  });
}

}  // namespace odvd::av
