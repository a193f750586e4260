#include "ffmpeg/decoder_complaints.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unordered_set>
#include <utility>

extern "C" {
#include <libavutil/log.h>
}

#include "ffmpeg/av_error.hpp"

namespace odvd::av {

void route_complaint(void* opaque, int32_t packet, const char* message);

namespace {

// Live DecoderComplaints objects: a context's `opaque` is only followed when it is one
// of them (another library may use `opaque` for its own purposes).
struct Registry {
  Mutex mutex;
  std::unordered_set<const void*> live ODVD_GUARDED_BY(mutex);
};
Registry& registry() {
  static Registry r;
  return r;
}

// reordered_opaque holds decode index + 1, so that 0 (the default) means "untagged".
// Removed in libavcodec 61; deprecated (but working) in 60.
#if LIBAVCODEC_VERSION_MAJOR < 61
#define ODVD_HAVE_REORDERED_OPAQUE 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
int32_t packet_tag(const AVCodecContext* ctx) {
  return static_cast<int32_t>(ctx->reordered_opaque) - 1;
}
#pragma GCC diagnostic pop
#else
#define ODVD_HAVE_REORDERED_OPAQUE 0
int32_t packet_tag(const AVCodecContext*) {
  return -1;
}
#endif

// Called by FFmpeg on any thread, for every message of every level; nothing may be
// thrown out of it.
void log_callback(void* avcl, int level, const char* fmt, va_list args) {
  if (avcl != nullptr && level <= AV_LOG_ERROR && *static_cast<const AVClass* const*>(avcl) == avcodec_get_class()) {
    const auto* ctx = static_cast<const AVCodecContext*>(avcl);
    if (ctx->opaque != nullptr) {
      char message[256];
      va_list copy;
      va_copy(copy, args);
      std::vsnprintf(message, sizeof(message), fmt, copy);
      va_end(copy);
      route_complaint(ctx->opaque, packet_tag(ctx), message);
    }
  }
  av_log_default_callback(avcl, level, fmt, args);
}

// Note [Harmless complaints]: messages libavcodec logs at AV_LOG_ERROR that never mean
// a wrong picture, so they are not damage. Each entry says why; add one only with the
// FFmpeg code that proves it.
//   * "mmco: unref short failure" (h264_refs.c, ff_h264_execute_ref_pic_marking): a
//     memory-management command asks to drop a short-term reference picture the
//     decoder does not hold. The decoder skips the command and changes nothing, so its
//     reference lists are the encoder's minus a picture that is absent anyway. Decoding
//     from an H.264 recovery point (open GOP) always meets it: x264's B-pyramid drops
//     reference B-frames of the previous GOP by MMCO, and ffmpeg's own seeking logs the
//     same line while returning bit-exact frames. If the picture is absent because it
//     was damaged or lost, that is reported where it happened (its own complaint, or
//     the picture never coming out: Note [Damage propagates]).
//   * "number of reference frames (A+B) exceeds max (C; probably corrupt input), discarding
//     one" (h264_refs.c): the DPB holds more reference pictures than the SPS allows, so the
//     oldest is dropped. Starting at a recovery point, FFmpeg fills the frame_num gap to the
//     previous GOP with placeholder pictures, and those overflow it (x264's strict B-pyramid
//     meets it on every open-GOP key); the picture being decoded is not changed by it. A
//     reference dropped that a later picture needs makes that picture complain on its own
//     ("Missing reference picture"), which is damage. libavcodec >= 61 cannot pin complaints
//     to packets, so this one, met in leading pictures, would otherwise fail their GOP.
bool harmless(const char* message) {
  static const char* const kHarmless[] = {"mmco: unref short failure", "number of reference frames ("};
  for (const char* h : kHarmless) {
    if (std::strncmp(message, h, std::strlen(h)) == 0) return true;
  }
  return false;
}

}  // namespace

void route_complaint(void* opaque, int32_t packet, const char* message) {
  Registry& r = registry();
  MutexLock lock(r.mutex);
  if (r.live.count(opaque) == 0) return;
  static_cast<DecoderComplaints*>(opaque)->add(packet, message);
}

DecoderComplaints::DecoderComplaints() {
  static std::once_flag once;
  std::call_once(once, [] {
    init_logging();
    av_log_set_callback(&log_callback);
  });
  Registry& r = registry();
  MutexLock lock(r.mutex);
  r.live.insert(this);
}

DecoderComplaints::~DecoderComplaints() {
  Registry& r = registry();
  MutexLock lock(r.mutex);
  r.live.erase(this);
}

void DecoderComplaints::attach(AVCodecContext* ctx) {
  ctx->opaque = this;
#ifdef AV_CODEC_FLAG_COPY_OPAQUE
  ctx->flags |= AV_CODEC_FLAG_COPY_OPAQUE;  // each frame gets its packet's opaque (packet_of)
#endif
}

void DecoderComplaints::tag_packet(AVCodecContext* ctx, AVPacket* pkt, int32_t decode_index) {
#if ODVD_HAVE_REORDERED_OPAQUE
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  ctx->reordered_opaque = static_cast<int64_t>(decode_index) + 1;
#pragma GCC diagnostic pop
#else
  (void)ctx;
#endif
#ifdef AV_CODEC_FLAG_COPY_OPAQUE
  pkt->opaque = reinterpret_cast<void*>(static_cast<intptr_t>(decode_index) + 1);
#else
  (void)pkt;
#endif
}

bool DecoderComplaints::pins_frame_threads() {
  return ODVD_HAVE_REORDERED_OPAQUE != 0;
}

int32_t DecoderComplaints::packet_of(const AVFrame* frame) {
#ifdef AV_CODEC_FLAG_COPY_OPAQUE
  return static_cast<int32_t>(reinterpret_cast<intptr_t>(frame->opaque)) - 1;
#elif ODVD_HAVE_REORDERED_OPAQUE
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return static_cast<int32_t>(frame->reordered_opaque) - 1;
#pragma GCC diagnostic pop
#else
  (void)frame;
  return -1;
#endif
}

DecoderComplaints::Sending::Sending(DecoderComplaints& complaints, int32_t previous_packet) : complaints_(complaints) {
  MutexLock lock(complaints_.mutex_);
  complaints_.sending_ = true;
  complaints_.sending_thread_ = std::this_thread::get_id();
  complaints_.sending_previous_ = previous_packet;
}

DecoderComplaints::Sending::~Sending() {
  MutexLock lock(complaints_.mutex_);
  complaints_.sending_ = false;
}

std::vector<DecoderComplaints::Complaint> DecoderComplaints::take() {
  MutexLock lock(mutex_);
  return std::exchange(complaints_, {});
}

void DecoderComplaints::add(int32_t packet, const char* message) {
  // Runs inside FFmpeg's log callback (registry lock held): never throw.
  if (harmless(message)) return;  // Note [Harmless complaints]
  try {
    MutexLock lock(mutex_);
    if (sending_ && std::this_thread::get_id() == sending_thread_) packet = sending_previous_;
    // A damaged picture can make the decoder complain once per macroblock row; the
    // packets all count, the first few messages are enough to explain them.
    std::string text = complaints_.size() < 8 ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    complaints_.push_back({packet, std::move(text)});
  } catch (...) {
  }
}

}  // namespace odvd::av
