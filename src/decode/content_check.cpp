#include "decode/content_check.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

#include "gop/gop_bundle.hpp"
#include "odvd/error.hpp"

namespace odvd {

std::string content_digest(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw MediaError("cannot read " + quoted(path) + " for its content digest: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw MediaError("cannot take the content digest of " + quoted(path) + ": not a regular file");
  }
  std::vector<uint8_t> buffer(size_t{1} << 20);
  uint32_t crc = 0;
  uint64_t size = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw MediaError("error reading " + quoted(path) + " for its content digest: " + std::strerror(errno));
    if (n == 0) break;
    crc = crc32(buffer.data(), static_cast<size_t>(n), crc);
    size += static_cast<uint64_t>(n);
  }
  char text[40];
  std::snprintf(text, sizeof text, "%" PRIu64 "-%08" PRIx32, size, crc);
  return text;
}

void ContentCheck::verify(const std::string& path, const FileStamp& stamp) const {
  if (!enabled()) return;
  const Version version{path, stamp.size, stamp.mtime_ns};
  {
    MutexLock lock(mutex_);
    if (verified_.count(version) != 0) return;
  }
  const auto recorded = digests_->find(path);
  if (recorded == digests_->end()) {
    throw MediaError(quoted(path) + " has no recorded content digest (content_digests names " +
                     std::to_string(digests_->size()) + " file(s); every file this decoder opens must be one)");
  }
  const std::string now = content_digest(path);
  if (now != recorded->second) {
    throw MediaError(quoted(path) + " is not the file that was recorded: its content digest is " + now +
                     ", the record says " + recorded->second + " (the file changed or is damaged)");
  }
  MutexLock lock(mutex_);
  verified_.insert(version);
}

}  // namespace odvd
