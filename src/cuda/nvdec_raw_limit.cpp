#include "cuda/nvdec_raw_limit.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <thread>

#include "odvd/error.hpp"

namespace odvd::cuda {
namespace {

using Clock = std::chrono::steady_clock;

// One thread's parser and session (Note [The raw limit]).
class RawSession {
 public:
  RawSession(const DeviceContext& device, const RawStream& stream, bool per_gop)
      : device_(device), stream_(stream), per_gop_(per_gop) {}
  ~RawSession() { destroy_parser(); }
  RawSession(const RawSession&) = delete;
  RawSession& operator=(const RawSession&) = delete;

  // Sends the stream again and again until `deadline`; returns the pictures submitted.
  int64_t run_until(Clock::time_point deadline) {
    ContextScope scope(device_.context);
    while (Clock::now() < deadline) {
      destroy_parser();
      create_parser();
      if (!stream_.prefix.empty()) parse(stream_.prefix.data(), stream_.prefix.size(), 0);
      for (size_t i = 0; i < stream_.packets.size(); ++i) {
        const EncodedPacket& p = stream_.packets[i];
        if (per_gop_ && p.key && i > 0) {  // end this GOP's pass, start the next one
          parse(nullptr, 0, CUVID_PKT_ENDOFSTREAM);
          wait_for_last_picture();
          destroy_parser();
          create_parser();
          if (!stream_.prefix.empty()) parse(stream_.prefix.data(), stream_.prefix.size(), 0);
        }
        parse(p.data.data(), p.data.size(), CUVID_PKT_ENDOFPICTURE);
        if (Clock::now() >= deadline) return submitted_;
      }
      parse(nullptr, 0, CUVID_PKT_ENDOFSTREAM);
    }
    return submitted_;
  }

 private:
  // Waits until NVDEC has finished the last picture submitted (a session decodes in order,
  // so every earlier one is done too): a random-access call waits for its GOP the same way.
  void wait_for_last_picture() {
    if (!decoder_ || last_picture_ < 0) return;
    for (;;) {
      CUVIDGETDECODESTATUS status{};
      if (driver().cuvid->cuvidGetDecodeStatus(decoder_->handle(), last_picture_, &status) != CUDA_SUCCESS ||
          status.decodeStatus != cuvidDecodeStatus_InProgress) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

  void create_parser() {
    CUVIDPARSERPARAMS params{};
    params.CodecType = stream_.key.codec;
    params.ulMaxNumDecodeSurfaces = 1;  // the sequence callback returns the real number
    params.ulMaxDisplayDelay = 0;       // nothing is mapped: a shown picture costs nothing
    params.pUserData = this;
    params.pfnSequenceCallback = &RawSession::on_sequence;
    params.pfnDecodePicture = &RawSession::on_decode;
    params.pfnDisplayPicture = &RawSession::on_display;
    check(driver().cuvid->cuvidCreateVideoParser(&parser_, &params), "cuvidCreateVideoParser");
  }

  void destroy_parser() {
    if (parser_ != nullptr) driver().cuvid->cuvidDestroyVideoParser(parser_);
    parser_ = nullptr;
  }

  void parse(const uint8_t* data, size_t size, unsigned long flags) {
    CUVIDSOURCEDATAPACKET packet{};
    packet.flags = flags;
    packet.payload_size = static_cast<unsigned long>(size);
    packet.payload = data;
    const CUresult r = driver().cuvid->cuvidParseVideoData(parser_, &packet);
    if (error_) std::rethrow_exception(error_);
    check(r, "cuvidParseVideoData");
  }

  // The callbacks run inside cuvidParseVideoData: nothing may unwind through it
  // (Note [Errors in parser callbacks], nvdec_backend.hpp).
  static int CUDAAPI on_sequence(void* self, CUVIDEOFORMAT* format) {
    auto* s = static_cast<RawSession*>(self);
    try {
      // As many as the back end uses (nvdec_backend.cpp), so NVDEC never waits for a surface.
      const int surfaces = std::max(8, static_cast<int>(format->min_num_decode_surfaces) + 4);
      if (!s->decoder_ || !s->decoder_->can_serve(s->stream_.key, *format, surfaces) ||
          !s->decoder_->configure(*format)) {
        s->decoder_ = std::make_unique<NvdecDecoder>(s->device_, s->stream_.key, *format, surfaces);
      }
      return surfaces;
    } catch (...) {
      if (!s->error_) s->error_ = std::current_exception();
      return 0;
    }
  }

  static int CUDAAPI on_decode(void* self, CUVIDPICPARAMS* picture) {
    auto* s = static_cast<RawSession*>(self);
    if (!s->decoder_) return 0;
    const CUresult r = driver().cuvid->cuvidDecodePicture(s->decoder_->handle(), picture);
    if (r != CUDA_SUCCESS) {
      if (!s->error_) s->error_ = std::make_exception_ptr(MediaError("cuvidDecodePicture: " + error_text(r)));
      return 0;
    }
    s->submitted_++;
    s->last_picture_ = picture->CurrPicIdx;
    return 1;
  }

  static int CUDAAPI on_display(void*, CUVIDPARSERDISPINFO*) { return 1; }

  const DeviceContext& device_;
  const RawStream& stream_;
  const bool per_gop_;
  CUvideoparser parser_ = nullptr;
  std::unique_ptr<NvdecDecoder> decoder_;
  std::exception_ptr error_;
  int64_t submitted_ = 0;
  int last_picture_ = -1;
};

}  // namespace

RawLimit measure_raw_nvdec(const DeviceContext& device, const std::vector<RawStream>& streams, int threads,
                           double seconds, bool per_gop) {
  if (streams.empty() || threads < 1 || !(seconds > 0)) {
    throw ArgumentError("measure_raw_nvdec: needs streams, threads >= 1 and seconds > 0");
  }
  std::vector<std::unique_ptr<RawSession>> sessions;
  for (int t = 0; t < threads; ++t) {
    sessions.push_back(std::make_unique<RawSession>(device, streams[static_cast<size_t>(t) % streams.size()], per_gop));
  }
  std::vector<int64_t> pictures(static_cast<size_t>(threads), 0);
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        try {
          pictures[t] = sessions[t]->run_until(deadline);
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
    for (std::thread& w : workers) w.join();
  }
  RawLimit r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sessions.clear();  // destroying the sessions waits for what they still decode
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  for (int64_t p : pictures) r.pictures += p;
  return r;
}

}  // namespace odvd::cuda
