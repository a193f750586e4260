// NvdecBackend: DecoderBackend on NVIDIA's hardware decoder, through the cuvid parser.
//
// Packets go to cuvidParseVideoData, which calls back into this object: the sequence
// callback takes a decoder session from the pool (or keeps the one it has), the decode
// callback submits the picture to NVDEC, the display callback receives pictures in
// display order. Only pictures the output filter wants are mapped and copied into a
// pooled device buffer in the NV12 / P016 layout of frame_layout(); everything else
// stays on the GPU untouched.
//
// Note [NVDEC decode status]
//   Every packet is one whole picture (CUVID_PKT_ENDOFPICTURE), so the parser decodes
//   it while that packet is parsed: each decoded picture is known by its packet. Its
//   status (cuvidGetDecodeStatus) is final only once NVDEC has finished it; queried
//   earlier it reads "in progress". So a wanted picture's status is read after mapping
//   it (mapping waits for the decode), and the status of every other picture before
//   its surface is decoded into again and at the end of the stream. A damaged picture
//   goes into the damage report (DecoderBackend) pinned to its packet and is never put
//   out. Codecs without status reporting read "invalid": nothing is known, nothing is
//   reported.
//
// Note [Errors in parser callbacks]
//   The callbacks run inside the driver's cuvidParseVideoData. No exception may unwind
//   through it: each callback catches everything, stores the first exception, and
//   returns 0 (which makes the parser give up on the data). Once cuvidParseVideoData
//   returns, send() rethrows the stored exception.
//
// reset() drops the parser (a new one is made for the next GOP, so no state of the
// previous GOP survives) but keeps the decoder session, which the next GOP reuses.
//
// Thread-safety: one thread at a time; destruction on any thread.
#pragma once

#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cuda/cuda_driver.hpp"
#include "cuda/device_memory.hpp"
#include "nvdec/nvdec_decoder.hpp"
#include "odvd/decoder_backend.hpp"

namespace odvd::cuda {

struct NvdecStream {
  Codec codec = Codec::kUnknown;
  int bit_depth = 8;
  int chroma_format = 1;  // 0 = 4:0:0, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4
  int width = 0;          // as the demuxer reports (checked against the caps up front)
  int height = 0;
};

class NvdecBackend final : public DecoderBackend {
 public:
  // Checks NVDEC's capabilities for `stream` (MediaError naming `label` if unsupported).
  NvdecBackend(std::shared_ptr<NvdecDecoderPool> decoders, std::shared_ptr<DevicePool> memory,
               const NvdecStream& stream, std::string label);
  ~NvdecBackend() override;

  void send(const EncodedPacket& packet) override;
  void send_end_of_stream() override;
  bool receive(VideoFrame& frame) override;
  void reset() override;
  std::string last_error() const override { return last_error_; }
  // The status of every picture decoded from packets up to `decode_index` (a picture
  // nobody wanted is otherwise checked only when its surface is reused or the stream
  // ends: Note [Judged before returned] in decode/gop_stream.cpp).
  void settle_through(int32_t decode_index) override;

 private:
  static int CUDAAPI on_sequence(void* self, CUVIDEOFORMAT* format);
  static int CUDAAPI on_decode(void* self, CUVIDPICPARAMS* picture);
  static int CUDAAPI on_display(void* self, CUVIDPARSERDISPINFO* info);
  int handle_sequence(const CUVIDEOFORMAT& format);
  void handle_display(const CUVIDPARSERDISPINFO& info);
  void parse(const uint8_t* data, size_t size, unsigned long flags, int64_t pts);
  void ensure_parser();
  void destroy_parser();
  // Drops the parser and gives the NVDEC session back to the pool (the end of a stream, or
  // of the backend: Note [Sessions between streams]).
  void release_session();
  VideoFrame copy_out(CUdeviceptr surface, unsigned pitch, int64_t pts);
  // Note [NVDEC decode status]: waits for the picture's final status, records damage,
  // and returns whether the picture is damaged.
  bool check_status(int picture_index, int32_t packet);
  // Checks the pending picture decoded into `picture_index` (all when -1).
  void settle_pending(int picture_index);

  std::shared_ptr<NvdecDecoderPool> decoders_;
  std::shared_ptr<DevicePool> memory_;
  const DeviceContext& device_;
  Stream stream_;
  std::string label_;
  NvdecKey key_;
  VideoParser parser_;
  // Held from a sequence header to the end of the stream (Note [Sessions between streams]).
  std::unique_ptr<NvdecDecoder> decoder_;
  ColorInfo signal_color_;  // from the sequence header (handle_sequence)
  std::deque<VideoFrame> ready_;
  std::exception_ptr callback_error_;  // Note [Errors in parser callbacks]
  std::string last_error_;
  int32_t current_packet_ = 0;  // decode index of the packet being parsed
  struct Pending {
    int picture_index;
    int32_t packet;
  };
  std::vector<Pending> pending_;  // decoded pictures whose status was not read yet
  // Checks the pending pictures `which` selects and forgets them.
  void settle_where(const std::function<bool(const Pending&)>& which);
};

}  // namespace odvd::cuda
