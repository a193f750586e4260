// DecoderComplaints: the errors a libavcodec decoder logs, collected per decoder and
// pinned to the packet being decoded when the decoder complained.
//
// Note [Decoder complaints]
// libavcodec reports damage inside a picture three ways: an error code (rare; most
// damage is concealed), flags on the output frame (decode_error_flags,
// AV_FRAME_FLAG_CORRUPT) and a message at AV_LOG_ERROR. With frame threading the flags
// are not reliable: a picture output with delay (B-frame reordering) is output from
// another thread's copy of it, taken before the decoding thread concealed the damage
// and flagged it (FFmpeg 5.1 pthread_frame.c / h264dec.c), so a concealed, wrong
// picture can come out clean. The log message is always emitted, by the thread that
// decodes the damaged packet, with that thread's AVCodecContext. So:
//   * a decoder's context carries this object in `opaque` (copied to every thread's
//     context), and the decode index of the packet being sent in `reordered_opaque`
//     (copied to the decoding thread's context with each packet, and onto the frames
//     allocated while decoding it): every complaint and every output frame names its
//     packet exactly;
//   * one process-wide log callback routes AV_LOG_ERROR messages of contexts that carry
//     a live DecoderComplaints to it, and forwards every message to FFmpeg's default
//     logger (so ODVD_FFMPEG_LOGLEVEL keeps working).
// Some messages are not damage at all (Note [Harmless complaints] in the .cpp): they
// are forwarded to the logger but never collected.
// One exception to "the tag names the packet": with frame threads, handing packet N to
// a worker runs the end of picture N-1's setup (H.264's reference marking, in
// update_thread_context) on the sending thread, after N's tag was copied. Complaints
// made on the thread that is inside avcodec_send_packet (frame threads: it never
// decodes) therefore belong to the packet sent before; Sending brackets the call.
//
// A program that later installs its own log callback into the same shared FFmpeg turns
// this channel off (the flags and error codes remain); builds on the private static
// FFmpeg are unaffected. Where libavcodec has AV_CODEC_FLAG_COPY_OPAQUE (>= 60) frames
// name their packet through AVPacket.opaque instead; libavcodec >= 61 has no
// reordered_opaque, so complaints carry no packet there and callers fall back to the
// packets in flight (with frame threads off, exactly the packet being decoded).
//
// Thread-safety: complaints arrive on libavcodec's threads; every member is safe to
// call concurrently. The object must outlive the contexts attached to it.
#pragma once

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
}

#include "odvd/mutex.hpp"

namespace odvd::av {

class DecoderComplaints {
 public:
  struct Complaint {
    int32_t packet;  // decode index of the packet being decoded, -1 when unknown
    std::string message;
  };

  DecoderComplaints();
  ~DecoderComplaints();
  DecoderComplaints(const DecoderComplaints&) = delete;
  DecoderComplaints& operator=(const DecoderComplaints&) = delete;

  // Routes `ctx`'s complaints here. Call before avcodec_open2 (thread contexts are
  // copied from it then).
  void attach(AVCodecContext* ctx);

  // Marks `pkt`, about to be sent to `ctx`, as packet `decode_index`.
  static void tag_packet(AVCodecContext* ctx, AVPacket* pkt, int32_t decode_index);
  // The decode index of the packet whose decoding allocated `frame`, -1 when unknown.
  static int32_t packet_of(const AVFrame* frame);
  // Whether complaints made by libavcodec's frame threads can be pinned to their packet
  // (libavcodec < 61, which has reordered_opaque). Where not, decoders should use slice
  // threads only: a complaint is then made while its own packet is being sent.
  static bool pins_frame_threads();

  // Complaints received since the last call, oldest first.
  std::vector<Complaint> take();

  // Brackets avcodec_send_packet on a frame-threaded decoder: complaints made meanwhile
  // on the calling thread are pinned to `previous_packet` (-1: unknown). See the Note.
  class Sending {
   public:
    Sending(DecoderComplaints& complaints, int32_t previous_packet);
    ~Sending();
    Sending(const Sending&) = delete;
    Sending& operator=(const Sending&) = delete;

   private:
    DecoderComplaints& complaints_;
  };

 private:
  friend void route_complaint(void* opaque, int32_t packet, const char* message);
  void add(int32_t packet, const char* message);

  Mutex mutex_;
  std::vector<Complaint> complaints_ ODVD_GUARDED_BY(mutex_);
  bool sending_ ODVD_GUARDED_BY(mutex_) = false;
  std::thread::id sending_thread_ ODVD_GUARDED_BY(mutex_);
  int32_t sending_previous_ ODVD_GUARDED_BY(mutex_) = -1;
};

}  // namespace odvd::av
