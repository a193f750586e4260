// Content digests of source files: an opt-in check that a file's bytes are the ones a
// dataset was indexed with (README, "What damage is caught").
//
// Damage that still parses (a bit flipped in residual data) decodes to a plausible wrong
// picture that no decoder notices. A digest recorded when the dataset is built, and checked
// when a decoder first opens the file, catches it (and a file replaced or half-copied).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

namespace odvd {

// The digest of a whole file: "<size>-<crc32 of every byte, 8 hex digits>" (CRC-32 as in
// zlib's crc32()). MediaError when it cannot be read; reads the file once, streaming.
std::string content_digest(const std::string& path);

// Path (as the decoder is given it) -> the digest recorded for it. A decoder given such a
// map checks every file it opens against it (ContentCheck, src/decode/content_check.hpp).
using ContentDigests = std::shared_ptr<const std::unordered_map<std::string, std::string>>;

}  // namespace odvd
