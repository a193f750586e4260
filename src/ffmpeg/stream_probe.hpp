// Stream facts from the bitstream alone, for packets that arrive without a container
// (GOP records of legacy bundles, packet lists from another demuxer): libavcodec's
// parser reads the parameter sets in band.
//
// Thread-safety: a pure function; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace odvd {

struct ProbedStream {
  int av_pixel_format = -1;  // -1 when the parser could not tell
  int width = 0;
  int height = 0;
};

// Parses `data` (Annex-B / OBUs of codec `av_codec_id`, a random-access packet with its
// parameter sets in front) and reports what its sequence header says. Never throws
// for bad bytes: an unparseable packet gives the defaults.
ProbedStream probe_elementary_stream(int av_codec_id, const uint8_t* data, size_t size);

}  // namespace odvd
