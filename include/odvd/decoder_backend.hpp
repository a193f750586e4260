// DecoderBackend: the interface every decoder implementation (libavcodec on the CPU,
// NVDEC on the GPU) offers to the decoders above it.
//
// Protocol: after construction or reset(), the first packet sent is a random-access
// point. send() packets in decode order; receive() pictures in display order as they
// become available; send_end_of_stream() makes every remaining picture receivable (the
// backend must then be reset() before the next packet). Pictures whose pts the output
// filter rejects are decoded (they may be references) but never copied out.
//
// Errors: a wanted picture decoded with errors raises MediaError. A packet the decoder
// rejects is not an error by itself (it may belong to a picture nobody wants); the
// backend remembers it in last_error(), which callers quote when a wanted picture
// never comes out, and in first_damaged_packet(): every picture decoded from that
// packet on may reference the damaged one, so callers must not return them (a
// decoder's error concealment can make them look plausible, e.g. a copy of the
// previous picture). After an error the caller reset()s the backend.
//
// Thread-safety: none; one thread at a time. Backends may be destroyed on any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "odvd/frame.hpp"
#include "odvd/packet.hpp"

namespace odvd {

class DecoderBackend {
 public:
  using OutputFilter = std::function<bool(int64_t pts)>;

  virtual ~DecoderBackend() = default;

  // Decides which pictures are materialised; the default accepts every picture.
  void set_output_filter(OutputFilter filter) { filter_ = std::move(filter); }

  virtual void send(const EncodedPacket& packet) = 0;
  virtual void send_end_of_stream() = 0;
  // Moves the next ready picture into `frame`; returns false when none is ready.
  virtual bool receive(VideoFrame& frame) = 0;
  virtual void reset() = 0;
  // The decoder's last complaint since reset(), empty if none.
  virtual std::string last_error() const = 0;

  // The lowest decode index (EncodedPacket::decode_index) from which pictures may be
  // damaged since reset(); kNoDamage when no packet was rejected.
  static constexpr int32_t kNoDamage = std::numeric_limits<int32_t>::max();
  int32_t first_damaged_packet() const { return first_damaged_; }

 protected:
  // The output filter, called once for every picture the decoder outputs.
  bool wanted(int64_t pts) const { return !filter_ || filter_(pts); }
  void note_damage(int32_t decode_index) { first_damaged_ = std::min(first_damaged_, decode_index); }
  void clear_damage() { first_damaged_ = kNoDamage; }

 private:
  OutputFilter filter_;
  int32_t first_damaged_ = kNoDamage;
};

}  // namespace odvd
