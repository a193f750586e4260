// Whole-file reads and atomic whole-file writes (bundles on disk).
//
// Thread-safety: plain functions; concurrent writers of one path each write their own
// temporary file, and the last rename wins (a reader sees one complete version).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace odvd {

// Looks at the first bytes of a file (up to 16; fewer only when the file is shorter) and
// its size before the rest is read; throws to refuse the file.
using HeadCheck = std::function<void(const uint8_t* head, size_t n, uint64_t file_size)>;

// Reads the whole file. Throws MediaError naming the path and the system's reason
// (missing, a directory, unreadable, an I/O error) and refuses anything but a regular
// file at once (a FIFO, a device, a socket: opening never waits for a writer).
// `max_bytes` bounds what is accepted; `check_head`, when given, sees the first bytes
// first, so that a large file of the wrong kind is refused without reading it all.
std::vector<uint8_t> read_whole_file(const std::string& path, uint64_t max_bytes = uint64_t{1} << 34,
                                     const HeadCheck& check_head = nullptr);

// Writes `size` bytes to `path` atomically: parent folders are created, the bytes go to
// a temporary file in the same folder, are flushed to disk, and the file is renamed
// over `path`. No half-written file is ever visible under `path`; on failure the
// temporary file is removed and MediaError names the path and the reason.
void write_file_atomically(const std::string& path, const uint8_t* data, size_t size);

}  // namespace odvd
