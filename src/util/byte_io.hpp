// Bounds-checked little-endian reading and writing of fixed-width integers, for binary
// formats that arrive as hostile input (docs/formats/gop-bundle.md).
//
// ByteReader is a cursor over a borrowed buffer. Every read first checks the bytes that
// remain and, when they are too few, throws MediaError naming the field, its offset and
// the shortfall, so a parser written with it cannot read out of bounds. Offsets in
// messages are counted from the start of the whole input (a reader over part of it is
// given that part's origin), so they point into the file the user has.
//
// ByteWriter appends to a vector it owns.
//
// Thread-safety: none; one reader or writer is used by one thread. The buffer a
// ByteReader borrows must outlive it and stay unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "odvd/error.hpp"

namespace odvd {

// Reads `n` (<= 8) bytes at p as a little-endian unsigned number.
inline uint64_t load_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

class ByteReader {
 public:
  // `context` prefixes every message (e.g. "clip.gop: record 2 of 5"); `origin` is the
  // offset of data[0] within the whole input.
  ByteReader(const uint8_t* data, size_t size, std::string context, uint64_t origin = 0)
      : data_(data), size_(size), origin_(origin), context_(std::move(context)) {}

  uint64_t offset() const { return origin_ + pos_; }  // of the next byte, in the whole input
  size_t remaining() const { return size_ - pos_; }
  bool at_end() const { return pos_ == size_; }
  const std::string& context() const { return context_; }
  // Changes the message prefix, e.g. as a parser moves from one record to the next.
  void set_context(std::string context) { context_ = std::move(context); }

  uint32_t u32(const char* field) { return static_cast<uint32_t>(take_le(4, field)); }
  uint64_t u64(const char* field) { return take_le(8, field); }
  // Two's complement reinterpretation; well defined by the conversion rules of C++20 and
  // by every compiler we build with.
  int32_t i32(const char* field) { return static_cast<int32_t>(u32(field)); }
  int64_t i64(const char* field) { return static_cast<int64_t>(u64(field)); }

  // The next n bytes (valid while the buffer lives), advancing past them.
  const uint8_t* bytes(uint64_t n, const char* field) {
    need(n, field);
    const uint8_t* p = data_ + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }

  // Throws MediaError "<context>: <problem>".
  [[noreturn]] void fail(const std::string& problem) const { throw MediaError(context_ + ": " + problem); }

  // Throws unless n bytes remain: "<context>: truncated: <field> needs n bytes at offset
  // X, only Y remain".
  void need(uint64_t n, const char* field) const {
    if (n <= remaining()) return;
    fail(std::string("truncated: ") + field + " needs " + std::to_string(n) + " bytes at offset " +
         std::to_string(offset()) + ", only " + std::to_string(remaining()) + " remain");
  }

 private:
  uint64_t take_le(int n, const char* field) { return load_le(bytes(static_cast<uint64_t>(n), field), n); }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  uint64_t origin_;
  std::string context_;
};

class ByteWriter {
 public:
  void u32(uint32_t v) { put_le(v, 4); }
  void u64(uint64_t v) { put_le(v, 8); }
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void bytes(const uint8_t* p, size_t n) {
    if (n > 0) out_.insert(out_.end(), p, p + n);
  }
  void bytes(const std::vector<uint8_t>& v) { bytes(v.data(), v.size()); }

  // Overwrites the 4 bytes at `at` (written earlier) with v, little-endian.
  void patch_u32(size_t at, uint32_t v) {
    ODVD_CHECK(at <= out_.size() && out_.size() - at >= 4);
    for (int i = 0; i < 4; ++i) out_[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }

  void reserve(size_t n) { out_.reserve(n); }
  size_t size() const { return out_.size(); }
  const uint8_t* data() const { return out_.data(); }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  void put_le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }

  std::vector<uint8_t> out_;
};

}  // namespace odvd
