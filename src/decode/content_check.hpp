// ContentCheck: verifies each file a decoder opens against its recorded content digest
// (odvd/content_digest.hpp), once per file version (path, size, modification time) for the
// decoder's lifetime. Without digests (the default) it does nothing.
//
// Thread-safety: verify() may be called from any thread; a file is read outside the lock,
// so two threads meeting the same new file may both read it (the answer is the same).
#pragma once

#include <set>
#include <string>
#include <tuple>

#include "ffmpeg/video_index.hpp"
#include "odvd/content_digest.hpp"
#include "odvd/mutex.hpp"

namespace odvd {

class ContentCheck {
 public:
  explicit ContentCheck(ContentDigests digests) : digests_(std::move(digests)) {}

  bool enabled() const { return digests_ && !digests_->empty(); }

  // MediaError naming `path` when no digest is recorded for it or its content differs.
  void verify(const std::string& path, const FileStamp& stamp) const;

 private:
  using Version = std::tuple<std::string, uint64_t, int64_t>;
  ContentDigests digests_;
  mutable Mutex mutex_;
  mutable std::set<Version> verified_ ODVD_GUARDED_BY(mutex_);  // a cache of answers
};

}  // namespace odvd
