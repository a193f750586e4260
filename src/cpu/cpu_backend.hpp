// CpuBackend: DecoderBackend on libavcodec's software decoders, with frame threading.
//
// Output pictures are converted into the same layouts NVDEC produces (NV12, P016,
// YUV444, YUV444P16; see PixelFormat) so callers never see a back end difference.
// Damage is found three ways (Note [Decoder complaints]): error codes, the pictures'
// error flags and the decoder's logged complaints, the latter two pinned to their
// packet. It is reported through the DecoderBackend damage report rather than thrown,
// because pictures nobody asked for may legitimately fail to decode; a picture flagged
// as damaged is never put out.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "ffmpeg/av_handles.hpp"
#include "ffmpeg/decoder_complaints.hpp"
#include "odvd/decoder_backend.hpp"

namespace odvd {

class CpuBackend final : public DecoderBackend {
 public:
  // `par`: the stream's codec parameters. `annexb_extradata`: when non-empty, replaces
  // the extradata (packets arrive as Annex-B even if the container stored avcC/hvcC).
  // `label` names the source in error messages. `threads`: libavcodec threads (0 = auto).
  CpuBackend(const AVCodecParameters* par, const std::vector<uint8_t>& annexb_extradata, int threads,
             std::string label);

  void send(const EncodedPacket& packet) override;
  void send_end_of_stream() override;
  bool receive(VideoFrame& frame) override;
  void reset() override;
  std::string last_error() const override { return last_error_; }

 private:
  // Pulls every picture libavcodec has ready into ready_; returns false once the decoder
  // has been fully drained.
  bool drain_decoder();
  VideoFrame to_video_frame(const AVFrame* src) const;
  std::string where() const;
  int32_t in_flight_start() const;
  // Records a decoder error: pinned to `packet`, or (-1) to the packets in flight.
  void note_error(int32_t packet, const std::string& text);
  void absorb_complaints();
  // Makes ctx_ afresh from par_, extradata_ and threads_ (Note [A fresh context per GOP]).
  void open_context();

  std::string label_;
  av::CodecParametersPtr par_;
  std::vector<uint8_t> extradata_;  // Annex-B parameter sets replacing par_'s, or empty
  int threads_ = 0;
  av::DecoderComplaints complaints_;  // outlives ctx_, whose threads report to it
  av::CodecContextPtr ctx_;
  av::PacketPtr pkt_;
  av::FramePtr frame_;
  std::deque<VideoFrame> ready_;
  bool draining_ = false;
  std::string last_error_;
  std::deque<int32_t> recent_;  // decode indices of the last packets sent (frame threads)
};

}  // namespace odvd
