// The documented range of every constructor option of the decoders (README, "Options").
// Each maximum is far above any useful setting and low enough that what the option
// sizes (threads, open files, decoder contexts, memory) can be created: an option out
// of range raises ArgumentError (Python ValueError) naming it, before anything is made.
//
// Constants and a pure function: use from any thread.
#pragma once

#include <string>

namespace odvd {

struct OptionLimits {
  // maxfiles (PyNvGopDecoder) and num_of_file (PyNvSampleReader): entries one call may
  // carry, and the warm decode sessions kept for them.
  static constexpr int kMaxEntries = 65536;
  // num_of_set: files each sample-reader slot keeps open (file descriptors).
  static constexpr int kMaxFilesPerSlot = 1024;
  // worker_threads: threads of the decoder object's pool (0 = automatic, capped here too).
  static constexpr int kMaxWorkerThreads = 1024;
  // decoder_threads: libavcodec threads per open file (0 = automatic). libavcodec keeps
  // a whole codec context per frame thread, so this bounds memory, not just threads.
  static constexpr int kMaxDecoderThreads = 64;
  // parallel_calls: calls one PyNvGopDecoder may run at once from different threads.
  static constexpr int kMaxParallelCalls = 64;
  // maxfiles * parallel_calls: decode sessions one PyNvGopDecoder may keep warm.
  static constexpr int kMaxSessions = 65536;
  // session_cache_mib: decoder memory of the sessions one PyNvGopDecoder keeps warm.
  static constexpr int kMaxSessionCacheMib = 1 << 19;  // 512 GiB
};

// Throws ArgumentError "<name> must be <lo>..<hi> (got <value>)<hint>" unless lo <= value <= hi.
void check_option_range(const char* name, long long value, long long lo, long long hi, const std::string& hint = "");

}  // namespace odvd
