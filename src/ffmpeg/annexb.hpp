// AnnexBConverter: rewrites length-prefixed H.264/HEVC packets (MP4, MKV) as Annex-B
// through FFmpeg's mp4toannexb bitstream filters, and knows the stream's parameter sets
// in Annex-B form (for MPEG-1/2/4 Part 2: the sequence / VOL headers of the extradata,
// which are start-code delimited too). Packets already in Annex-B (MPEG-TS) and other
// codecs pass through.
//
// Thread-safety: none (owns a stateful AVBSFContext).
#pragma once

#include <cstdint>
#include <vector>

#include "ffmpeg/av_handles.hpp"
#include "odvd/types.hpp"

namespace odvd {

class AnnexBConverter {
 public:
  AnnexBConverter(const AVCodecParameters* par, Codec codec, bool length_prefixed);

  // Converts pkt in place. Throws MediaError when the filter rejects it.
  void convert(AVPacket* pkt);

  // The stream's parameter sets (VPS/SPS/PPS; MPEG-1/2/4 sequence headers) as Annex-B,
  // empty when unknown or not needed.
  const std::vector<uint8_t>& parameter_sets() const { return parameter_sets_; }
  // Whether the codec's headers may be put in front of any GOP (MPEG-1/2/4 Part 2).
  static bool headers_in_band(Codec codec);

  // Forgets state carried between packets (call after a seek).
  void reset();

 private:
  av::BsfContextPtr bsf_;  // null when packets pass through
  std::vector<uint8_t> parameter_sets_;
};

}  // namespace odvd
