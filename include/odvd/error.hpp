// Error types of the library: the two error channels (see DESIGN.md, habit 3).
//
// - ArgumentError: the caller's mistake (bad lengths, ids out of range, bad options).
//   Raised before any decoding work starts. Maps to Python ValueError.
// - MediaError: a file, a bitstream, a device or the system failed (cannot open, not a
//   video, corrupt, decoder error, no thread could be started). Maps to Python RuntimeError.
// - NotImplementedError: an API that a later milestone implements. Maps to Python
//   NotImplementedError.
//
// Messages name the file, the entry, the frame and the cause wherever those are known.
// Broken internal invariants are not errors of either kind: they use ODVD_CHECK, which
// throws std::logic_error (a bug report, never expected in a correct program).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace odvd {

class ArgumentError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class MediaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A device cannot decode this stream at all (its codec, profile, bit depth, chroma format
// or size is outside what the hardware does); another device may. With fallback="cpu" the
// stream decodes on the CPU instead (decode/fallback_device.hpp); otherwise it reaches the
// caller as the MediaError it is.
class UnsupportedStream : public MediaError {
 public:
  // `what`: the whole message (file, reason, what to do); `reason`: why, on its own.
  UnsupportedStream(const std::string& what, std::string reason) : MediaError(what), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

class NotImplementedError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void internal_error(const char* file, int line, const char* expr);

// A path as error messages show it: 'path'.
inline std::string quoted(const std::string& path) {
  return "'" + path + "'";
}

}  // namespace odvd

// Checks an internal invariant; a failure is a bug in this library.
#define ODVD_CHECK(expr) ((expr) ? static_cast<void>(0) : ::odvd::internal_error(__FILE__, __LINE__, #expr))
