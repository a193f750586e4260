// EncodedPacket: one compressed picture, as the decode back ends and bundles see it.
#pragma once

#include <cstdint>
#include <vector>

namespace odvd {

// H.264/HEVC payloads are Annex-B (start codes) with parameter sets in band before the
// first picture of every GOP, so a run of packets starting at a key decodes on its own.
struct EncodedPacket {
  std::vector<uint8_t> data;
  int64_t pts = 0;  // presentation timestamp, stream time base
  int64_t dts = 0;
  int32_t decode_index = 0;  // position in the file's decode order
  bool key = false;          // random-access point
};

}  // namespace odvd
