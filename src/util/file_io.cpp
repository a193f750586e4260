#include "util/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "odvd/error.hpp"

namespace odvd {
namespace {

std::string reason() {
  return std::strerror(errno);
}

// Closes a file descriptor when the scope ends.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error (a delayed write error surfaces here).
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

void make_parent_folders(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string folder = path.substr(0, slash);
    if (::mkdir(folder.c_str(), 0777) != 0 && errno != EEXIST) {
      throw MediaError("cannot create folder " + quoted(folder) + " for " + quoted(path) + ": " + reason());
    }
  }
}

void write_all(int fd, const uint8_t* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw MediaError("cannot write " + quoted(path) + ": " + reason());
    data += n;
    size -= static_cast<size_t>(n);
  }
}

std::string temporary_name(const std::string& path) {
  std::random_device rd;
  return path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
}

void read_exactly(int fd, uint8_t* out, size_t size, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw MediaError("cannot read " + quoted(path) + ": " + reason());
    if (n == 0) throw MediaError(quoted(path) + " shrank while being read");
    done += static_cast<size_t>(n);
  }
}

// What kind of non-regular file `mode` is, for messages.
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

std::vector<uint8_t> read_whole_file(const std::string& path, uint64_t max_bytes, const HeadCheck& check_head) {
  if (path.find('\0') != std::string::npos) throw ArgumentError(quoted(path) + ": a path cannot hold a NUL byte");
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, forever. It changes
  // nothing for the regular files read below (their reads never block in that sense).
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) throw MediaError("cannot open " + quoted(path) + ": " + reason());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw MediaError("cannot stat " + quoted(path) + ": " + reason());
  if (!S_ISREG(st.st_mode))
    throw MediaError("cannot read " + quoted(path) + ": " + kind_of(st.st_mode) + ", not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    throw MediaError(quoted(path) + " is too large (" + std::to_string(st.st_size) + " bytes)");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  uint8_t first[16];
  const size_t head = std::min<size_t>(sizeof first, size);
  read_exactly(fd.get(), first, head, path);
  if (check_head) check_head(first, head, size);  // before memory for the whole file is taken
  std::vector<uint8_t> out(size);
  if (head > 0) std::memcpy(out.data(), first, head);
  read_exactly(fd.get(), out.data() + head, size - head, path);
  return out;
}

void write_file_atomically(const std::string& path, const uint8_t* data, size_t size) {
  if (path.empty()) throw ArgumentError("the destination path is empty");
  make_parent_folders(path);
  const std::string tmp = temporary_name(path);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
  if (fd.get() < 0) throw MediaError("cannot create " + quoted(tmp) + ": " + reason());
  try {
    write_all(fd.get(), data, size, tmp);
    if (::fsync(fd.get()) != 0) throw MediaError("cannot flush " + quoted(tmp) + ": " + reason());
    if (!fd.close()) throw MediaError("cannot close " + quoted(tmp) + ": " + reason());
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      throw MediaError("cannot rename " + quoted(tmp) + " to " + quoted(path) + ": " + reason());
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace odvd
