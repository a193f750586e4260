// Whole-file reads and atomic whole-file writes (bundles on disk).
//
// Thread-safety: plain functions; concurrent writers of one path each write their own
// temporary file, and the last rename wins (a reader sees one complete version).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace odvd {

// Reads the whole file. Throws MediaError naming the path and the system's reason
// (missing, a directory, unreadable, an I/O error). `max_bytes` bounds what is accepted.
std::vector<uint8_t> read_whole_file(const std::string& path, uint64_t max_bytes = uint64_t{1} << 34);

// Writes `size` bytes to `path` atomically: parent folders are created, the bytes go to
// a temporary file in the same folder, are flushed to disk, and the file is renamed
// over `path`. No half-written file is ever visible under `path`; on failure the
// temporary file is removed and MediaError names the path and the reason.
void write_file_atomically(const std::string& path, const uint8_t* data, size_t size);

}  // namespace odvd
