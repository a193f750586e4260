// libFuzzer target for the GOP bundle reader (docs/formats/gop-bundle.md), ours and the
// accvlab layout. Built only with clang (ODVD_BUILD_FUZZERS=ON; tools/fuzz.sh runs it).
// Its copy of the bundle sources does not enforce record checksums, so mutations reach
// the record rules (Note [Fuzzing past the checksum] in src/gop/gop_bundle.cpp).
//
// Oracle, for any input:
//   - parse_bundle() returns or throws MediaError; anything else (another exception, a
//     sanitizer report, a crash, a hang) is a bug;
//   - what it returns passes the writer's rules: serialize_bundle() does not throw;
//   - the records survive a round trip: parse(serialize(records)) == records;
//   - our encoding is canonical: an input in our format, of the version we write, that
//     parses re-serialises to the input bytes (checksum fields aside, as they are not
//     enforced here). Older versions re-serialise to the current one (Note [Bundle
//     versions]), which the round trip above covers.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gop/bundle_format.hpp"
#include "gop/gop_bundle.hpp"
#include "odvd/error.hpp"
#include "util/byte_io.hpp"

namespace {

using namespace odvd::bundle_format;

[[noreturn]] void fail(const char* what, const char* detail = "") {
  std::fprintf(stderr, "bundle_fuzz: %s %s\n", what, detail);
  std::abort();
}

// Ours, in the version serialize_bundle() writes.
bool is_ours_current(const uint8_t* data, size_t size) {
  return size >= 12 && std::memcmp(data, kMagic, 8) == 0 && odvd::load_le(data + 8, 4) == kVersion;
}

// Zeroes the checksum field of every record of a (valid, serialised) bundle of ours.
void zero_checksums(std::vector<uint8_t>& b) {
  size_t at = kHeaderBytes;
  while (at < b.size()) {
    std::memset(&b[at + 12], 0, 4);
    at += kRecordHeaderBytes + odvd::load_le(&b[at + 4], 8);
  }
}

void check_canonical(const uint8_t* data, size_t size, std::vector<uint8_t> again) {
  if (again.size() != size) fail("a bundle of ours re-serialised to a different size");
  std::vector<uint8_t> input(data, data + size);
  zero_checksums(input);  // the layout is the same, as the sizes matched and it parsed
  zero_checksums(again);
  if (input != again) fail("a bundle of ours did not re-serialise to the same bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<odvd::GopRecord> records;
  try {
    records = odvd::parse_bundle(data, size, "fuzz input");
  } catch (const odvd::MediaError&) {
    return 0;  // rejected: the expected outcome for almost every input
  }
  std::vector<uint8_t> again;
  try {
    again = odvd::serialize_bundle(records);
  } catch (const odvd::ArgumentError& e) {
    fail("parsed records break the writer's rules:", e.what());
  }
  if (is_ours_current(data, size)) check_canonical(data, size, again);
  if (odvd::parse_bundle(again.data(), again.size(), "re-serialised") != records) {
    fail("records changed in a serialise/parse round trip");
  }
  return 0;
}
