// GOP bundles in files and in memory, several at once: reading, verifying and parsing a
// call's bundles on a few threads (each is milliseconds of reading and checksumming, and
// decoding from stored bundles does this before any picture: bench/RESULTS.md §11.4).
//
// Thread-safety: pure functions; call from any thread (without the GIL: they start threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gop/gop_bundle.hpp"

namespace odvd {

// The bytes of a bundle file; junk is refused from its first bytes, before the whole file
// is read (check_bundle_head). MediaError naming the file.
std::vector<uint8_t> read_bundle_file(const std::string& path);

// Each file's bundle, validated, a legacy one converted to our format (LoadGops).
std::vector<std::vector<uint8_t>> load_bundle_files(const std::vector<std::string>& files);

// Records for entry i from the bundle file entries[i], every record of that file in order
// (what LoadGopsToList + DecodeFromGOPListRGB give). Each distinct file is read and verified
// (checksums included) once, and its bytes never leave here: nothing can change them between
// the check and the decode, so unlike bundles handed in by a caller they need no second
// verification. GopStore decodes through this.
std::vector<GopRecord> records_of_bundle_files(const std::vector<std::string>& entries);

// The records of every bundle (data, size), concatenated in order; names[i] names bundle i
// in messages.
std::vector<GopRecord> parse_bundles(const std::vector<std::pair<const uint8_t*, size_t>>& bundles,
                                     const std::vector<std::string>& names);

}  // namespace odvd
