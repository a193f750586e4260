// CRC-32 (IEEE 802.3), declared in gop_bundle.hpp: the checksum of bundle records
// (docs/formats/gop-bundle.md, "Checksum"). Table-driven, one byte per step; bundles are
// checksummed once per parse or write, far from the decode hot path, so the simple
// form is fast enough and obviously right. Bit-compatible with zlib's crc32(), so a
// record's checksum can be verified with any zlib.
#include <array>

#include "gop/gop_bundle.hpp"

namespace odvd {
namespace {

constexpr uint32_t kPolynomial = 0xEDB88320u;  // 0x04C11DB7 bit-reversed (reflected CRC)

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? kPolynomial ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
  // zlib's convention: the running value is kept inverted, so crc32(b, crc32(a)) is the
  // CRC of a followed by b, and crc32 of nothing is 0.
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = kTable[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace odvd
