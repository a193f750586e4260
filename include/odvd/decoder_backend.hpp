// DecoderBackend: the interface every decoder implementation (libavcodec on the CPU,
// NVDEC on the GPU) offers to the decoders above it.
//
// Protocol: after construction or reset(), the first packet sent is a random-access
// point. send() packets in decode order; receive() pictures in display order as they
// become available; send_end_of_stream() makes every remaining picture receivable (the
// backend must then be reset() before the next packet). Pictures whose pts the output
// filter rejects are decoded (they may be references) but never copied out.
//
// Errors: a packet the decoder rejects, or a picture decoded with errors, is not an
// error by itself (it may belong to a picture nobody wants). The backend records it:
// last_error() keeps the decoder's first complaint, which callers quote, and the damage
// report says where pictures may be wrong. Pictures decoded after a damaged one may
// reference it, and decoders conceal damage (a copy of the previous picture, say), so
// callers must not return such pictures (Note [Damage propagates] in decode/gop_stream.cpp).
// A picture the backend itself sees as damaged is never put out. After an error the
// caller reset()s the backend.
// Thread-safety: none; one thread at a time. Backends may be destroyed on any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

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
  // The decoder's first complaint since reset(), empty if none.
  virtual std::string last_error() const = 0;

  // The damage report since reset(). damaged_packets(): decode indices of packets whose
  // own picture is damaged (exactly known). damaged_from(): the earliest packet an error
  // that could not be pinned to one packet may belong to; kNoDamage when none.
  static constexpr int32_t kNoDamage = std::numeric_limits<int32_t>::max();
  const std::vector<int32_t>& damaged_packets() const { return damaged_packets_; }
  int32_t damaged_from() const { return damaged_from_; }
  // Makes the report final for every packet up to `decode_index` whose picture has come out
  // (a back end that learns a picture's damage later than its output checks it now).
  virtual void settle_through(int32_t /*decode_index*/) {}

 protected:
  // The output filter, called once for every picture the decoder outputs.
  bool wanted(int64_t pts) const { return !filter_ || filter_(pts); }
  void note_damaged_packet(int32_t decode_index) { damaged_packets_.push_back(decode_index); }
  void note_damage_from(int32_t decode_index) { damaged_from_ = std::min(damaged_from_, decode_index); }
  void clear_damage() {
    damaged_packets_.clear();
    damaged_from_ = kNoDamage;
  }

 private:
  OutputFilter filter_;
  std::vector<int32_t> damaged_packets_;
  int32_t damaged_from_ = kNoDamage;
};

}  // namespace odvd
