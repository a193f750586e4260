// Writes the seed corpus of bundle_fuzz into the folder given as argument: small valid
// bundles of both layouts (the fuzzer mutates from there). tests/fuzz/corpus/ holds the
// committed copies; tools/fuzz.sh regenerates them so they follow format changes.
#include <cstdio>
#include <string>
#include <vector>

#include "../cpp/bundle_test_util.hpp"

namespace {

bool write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace odvd::bundle_test;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<odvd::GopRecord> two{make_record(10, 4, 1, true), make_record(14, 3, 2)};
  two[1].video_stream = 1;
  RawOptions v1;
  v1.version = 1;
  const bool ok = write_file(dir + "/ours_two_records.gop", odvd::serialize_bundle(two)) &&
                  write_file(dir + "/ours_v1_two_records.gop", write_raw(two, v1)) &&
                  write_file(dir + "/ours_empty.gop", odvd::serialize_bundle({})) &&
                  write_file(dir + "/legacy_two_records.bin",
                             write_legacy({make_legacy(10, 4, false, 1), make_legacy(14, 3, true, 2)}));
  if (!ok) std::perror(("make_seeds: writing to " + dir).c_str());
  return ok ? 0 : 1;
}
