// CRC-32 (IEEE 802.3), declared in gop_bundle.hpp: the checksum of bundle records
// (docs/formats/gop-bundle.md, "Checksum"). Bit-compatible with zlib's crc32(), so a
// record's checksum can be verified with any zlib.
//
// Slicing-by-8: eight 256-entry tables let one step fold 8 input bytes with 8
// independent lookups instead of a chain of 8 dependent ones. Decoding from stored
// bundles verifies every record on every call (bench/RESULTS.md §11: the one-byte table
// made that workload slower than decoding the source files), so this is on a hot path.
#include <array>

#include "gop/gop_bundle.hpp"

namespace odvd {
namespace {

constexpr uint32_t kPolynomial = 0xEDB88320u;  // 0x04C11DB7 bit-reversed (reflected CRC)

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[0]: the CRC of one byte; tables[k][n]: the CRC of byte n followed by k zero bytes.
constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? kPolynomial ^ (c >> 1) : c >> 1;
    t[0][n] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t n = 0; n < 256; ++n) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFFu];
  }
  return t;
}

constexpr Tables kTables = make_tables();

inline uint32_t load_le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
  // zlib's convention: the running value is kept inverted, so crc32(b, crc32(a)) is the
  // CRC of a followed by b, and crc32 of nothing is 0.
  const Tables& t = kTables;
  crc = ~crc;
  for (; size >= 8; data += 8, size -= 8) {
    const uint32_t lo = load_le32(data) ^ crc;
    const uint32_t hi = load_le32(data + 4);
    crc = t[7][lo & 0xFFu] ^ t[6][(lo >> 8) & 0xFFu] ^ t[5][(lo >> 16) & 0xFFu] ^ t[4][lo >> 24] ^ t[3][hi & 0xFFu] ^
          t[2][(hi >> 8) & 0xFFu] ^ t[1][(hi >> 16) & 0xFFu] ^ t[0][hi >> 24];
  }
  for (; size > 0; ++data, --size) crc = t[0][(crc ^ *data) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace odvd
