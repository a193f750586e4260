// libFuzzer target for the whole read path of a video file on the CPU back end:
// container bytes -> file index (ffmpeg/video_index) -> GOP reading (gop/gop_reader) ->
// libavcodec decode and colour conversion (decode/, cpu/, color/). Built only with clang
// (ODVD_BUILD_FUZZERS=ON; tools/fuzz.sh runs it on a corpus seeded with the generated test
// videos, tests/videos/generate.py).
//
// The library reads videos by path, so each input is written to a file of its own (a new
// name every time: the index cache knows files by path, size and modification time, and a
// rewrite within one clock tick could look unchanged) and removed afterwards.
//
// Oracle, for any input:
//   - every call returns or throws odvd::MediaError / odvd::ArgumentError (the two error
//     channels of DESIGN.md); any other exception, a sanitizer report, a crash or a hang
//     (libFuzzer's -timeout) is a bug;
//   - when the index describes the file, frames asked for by id come back one per entry
//     with the geometry they claim (a buffer holding byte_size() bytes, positive sizes);
//   - the same frames decoded from GOP records (get_gops, then decode_records: the bundle
//     path) by a fresh decoder are bit-identical to the direct decode of a decoder that
//     has decoded every earlier input, whenever both succeed, damaged input included;
//   - so are the same frames asked for one per call, in another order, on that decoder
//     (a frame does not depend on the call before it);
//   - a sample reader kept for the whole run reads the first frames in order, one per
//     call (streaming, decoding ahead on two threads; one input in four): each call
//     answers, with the frame's geometry. Its pixels are not compared: a stream carries decoder state across GOPs,
//     so a damaged frame it does not refuse may differ from the one random access gives.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "gop/gop_bundle.hpp"
#include "odvd/error.hpp"
#include "odvd/gop_decoder.hpp"
#include "odvd/sample_reader.hpp"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "video_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

// A file holding the input, removed when it goes out of scope.
class InputFile {
 public:
  InputFile(const uint8_t* data, size_t size) {
    static unsigned long counter = 0;
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/odvd_video_fuzz_" +
            std::to_string(getpid()) + "_" + std::to_string(counter++);
    FILE* f = std::fopen(path_.c_str(), "wb");
    if (f == nullptr) fail("cannot create", path_);
    const bool ok = size == 0 || std::fwrite(data, 1, size, f) == size;
    if (std::fclose(f) != 0 || !ok) fail("cannot write", path_);
  }
  ~InputFile() { std::remove(path_.c_str()); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `step`; an odvd error is an answer, anything else escaping is a bug.
template <typename Step>
bool answers(const char* name, const Step& step) {
  try {
    step();
    return true;
  } catch (const odvd::MediaError&) {
  } catch (const odvd::ArgumentError&) {
  } catch (const std::exception& e) {
    fail(name, std::string("threw something other than MediaError/ArgumentError: ") + e.what());
  } catch (...) {
    fail(name, "threw a non-standard exception");
  }
  return false;
}

void check_frames(const std::vector<odvd::VideoFrame>& frames, size_t wanted, const char* path) {
  if (frames.size() != wanted) fail(path, "returned a different number of frames than entries");
  for (const odvd::VideoFrame& f : frames) {
    if (!f.buffer) continue;  // an entry the damage policy left empty (not used here)
    if (f.width <= 0 || f.height <= 0 || f.buffer->size() < f.byte_size()) {
      fail(path, "returned a frame whose buffer does not hold its claimed geometry");
    }
  }
}

bool same_pixels(const odvd::VideoFrame& a, const odvd::VideoFrame& b) {
  if (!a.buffer || !b.buffer) return !a.buffer && !b.buffer;
  return a.width == b.width && a.height == b.height && a.format == b.format && a.byte_size() == b.byte_size() &&
         std::memcmp(a.buffer->data(), b.buffer->data(), a.byte_size()) == 0;
}

odvd::SampleReaderOptions reader_options() {
  odvd::SampleReaderOptions o;
  o.num_of_set = 2;
  o.num_of_file = 1;
  o.device = -1;
  o.suppress_no_color_range_warning = true;
  o.worker_threads = 2;  // decode-ahead lanes beside the reading call
  o.decoder_threads = 1;
  return o;
}

odvd::GopDecoderOptions options() {
  odvd::GopDecoderOptions o;
  o.max_files = 4;
  o.device = -1;
  o.suppress_no_color_range_warning = true;
  o.worker_threads = 1;  // one thread each, so a run is reproducible
  o.decoder_threads = 1;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const InputFile input(data, size);
  const std::string& path = input.path();

  odvd::VideoSummary summary;
  if (!answers("describe_video", [&] { summary = odvd::describe_video(path); })) return 0;
  if (summary.frame_count <= 0) fail("describe_video", "described a file without frames");

  // The first, a middle and the last frame: a key, a frame inside a GOP, the end.
  const int last = static_cast<int>(summary.frame_count - 1);
  const std::vector<int> ids = {0, last / 2, last};
  const std::vector<std::string> paths(ids.size(), path);

  // The direct decode on one decoder kept for the whole run (as a training job keeps
  // one), the records on a fresh one: equal frames also show that what the first decoded
  // before (earlier, hostile inputs) does not change its answers (Note [A fresh context
  // per GOP] in src/cpu/cpu_backend.cpp).
  static odvd::GopDecoder* const kept = new odvd::GopDecoder(options());  // never destroyed
  odvd::GopDecoder& direct_decoder = *kept;
  odvd::GopDecoder record_decoder(options());
  std::vector<odvd::VideoFrame> direct;
  const bool decoded = answers("decode", [&] { direct = direct_decoder.decode(paths, ids); });
  if (decoded) {
    check_frames(direct, ids.size(), "decode");
    // The same call again on the same (now warm) decoder: the same frames.
    std::vector<odvd::VideoFrame> again;
    if (answers("decode again", [&] { again = direct_decoder.decode(paths, ids); })) {
      for (size_t i = 0; i < ids.size(); ++i) {
        if (!same_pixels(direct[i], again[i])) {
          fail("decode again", "frame " + std::to_string(ids[i]) + " differs from the first decode");
        }
      }
    } else {
      fail("decode again", "failed where the first decode of the same frames succeeded");
    }
    // One frame per call, last first: each call starts where the one before left the
    // session and its demuxer, which must not matter either (Note [A GOP is read after a
    // seek] in src/gop/gop_reader.cpp). A frame may still fail alone (its GOP's damage
    // judged without the other frames' packets), but never come out otherwise.
    for (size_t k = ids.size(); k-- > 0;) {
      std::vector<odvd::VideoFrame> one;
      if (!answers("decode one", [&] { one = direct_decoder.decode({path}, {ids[k]}); })) continue;
      check_frames(one, 1, "decode one");
      if (!same_pixels(direct[k], one[0])) {
        fail("decode one", "frame " + std::to_string(ids[k]) + " alone differs from the frame in the first call");
      }
    }
  }

  // Reading on, frame after frame, as a clip loader does: decode-ahead lanes take later
  // GOPs while the call decodes (Note [Decode ahead]), and the next input's first call
  // replaces this file in the reader. A call a frame costs ~4 ms under the sanitizers, so
  // only one input in four (by a hash of its bytes: the same input always does) reads 24 frames;
  // libFuzzer keeps the ones that reach new code.
  static odvd::SampleReader* const reader = new odvd::SampleReader(reader_options());  // never destroyed
  constexpr int kStreamed = 24;
  uint32_t hash = 2166136261u;  // FNV-1a of the input: which inputs stream, fixed per input
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 16777619u;
  const int streamed = hash % 4 == 0 ? std::min(last + 1, kStreamed) : 0;
  // The reading stops after 3 s: a file that cannot be opened fails every call by opening
  // it again, and opening a damaged Matroska file can take ~0.7 s under ASan (libavformat
  // grows element-sized buffers by realloc, which ASan always copies), so 24 calls could
  // pass libFuzzer's timeout. Only such inputs stop early.
  const auto reading_ends = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (int id = 0; id < streamed && std::chrono::steady_clock::now() < reading_ends; ++id) {
    std::vector<odvd::VideoFrame> one;
    if (answers("sample reader", [&] { one = reader->decode({path}, {id}); })) check_frames(one, 1, "sample reader");
  }

  std::vector<odvd::GopRecord> records;
  if (!answers("get_gops", [&] { records = direct_decoder.get_gops(paths, ids); })) return 0;
  if (records.size() != ids.size()) fail("get_gops", "returned a different number of records than entries");
  // A record must survive the bundle format (the writer's rules) before it is decoded.
  std::vector<odvd::GopRecord> reread;
  if (!answers("serialize/parse", [&] {
        const std::vector<uint8_t> bytes = odvd::serialize_bundle(records);
        reread = odvd::parse_bundle(bytes.data(), bytes.size(), "record");
      })) {
    fail("serialize/parse", "a record read from a file does not round-trip through a bundle");
  }
  std::vector<odvd::VideoFrame> from_records;
  if (!answers("decode_records", [&] { from_records = record_decoder.decode_records(std::move(reread), paths, ids); })) {
    return 0;
  }
  check_frames(from_records, ids.size(), "decode_records");
  if (decoded) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!same_pixels(direct[i], from_records[i])) {
        fail("decode_records", "frame " + std::to_string(ids[i]) + " differs from the direct decode");
      }
    }
  }
  return 0;
}
