#include "nvdec_raw_limit.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
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
  RawSession(const DeviceContext& device, const RawStream& stream, bool per_gop, int in_flight)
      : device_(device), stream_(stream), per_gop_(per_gop), in_flight_(in_flight) {}
  ~RawSession() { parser_.reset(); }  // before the session it decodes into
  RawSession(const RawSession&) = delete;
  RawSession& operator=(const RawSession&) = delete;

  // Sends the next packet: a pass through the stream starts with a new parser (and, with
  // `per_gop`, so does every GOP), and ends with end of stream. The caller makes the
  // device's context current.
  void step() {
    const std::vector<EncodedPacket>& packets = stream_.packets;
    const bool new_pass = next_ == packets.size();
    if (new_pass) next_ = 0;
    if (!parser_ || new_pass || (per_gop_ && next_ > 0 && packets[next_].key)) {
      if (parser_) parse(nullptr, 0, CUVID_PKT_ENDOFSTREAM);
      parser_.reset();
      create_parser();
      if (!stream_.prefix.empty()) parse(stream_.prefix.data(), stream_.prefix.size(), 0);
    }
    parse(packets[next_].data.data(), packets[next_].data.size(), CUVID_PKT_ENDOFPICTURE);
    ++next_;
  }

  int64_t submitted() const { return submitted_; }

 private:
  void create_parser() {
    CUVIDPARSERPARAMS params{};
    params.CodecType = stream_.key.codec;
    params.ulMaxNumDecodeSurfaces = 1;  // the sequence callback returns the real number
    params.ulMaxDisplayDelay = 0;       // nothing is mapped: a shown picture costs nothing
    params.pUserData = this;
    params.pfnSequenceCallback = &RawSession::on_sequence;
    params.pfnDecodePicture = &RawSession::on_decode;
    params.pfnDisplayPicture = &RawSession::on_display;
    parser_ = VideoParser(params, "cuvidCreateVideoParser");
  }

  void parse(const uint8_t* data, size_t size, unsigned long flags) {
    CUVIDSOURCEDATAPACKET packet{};
    packet.flags = flags;
    packet.payload_size = static_cast<unsigned long>(size);
    packet.payload = data;
    const CUresult r = driver().cuvid->cuvidParseVideoData(parser_.get(), &packet);
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
    if (s->in_flight_ > 0) {
      s->submitted_pictures_.push_back(picture->CurrPicIdx);
      if (static_cast<int>(s->submitted_pictures_.size()) > s->in_flight_) {
        const int oldest = s->submitted_pictures_.front();
        s->submitted_pictures_.pop_front();
        if (!s->wait_for(oldest)) return 0;
      }
    }
    return 1;
  }

  // Waits until NVDEC has finished picture `index` (its status is no longer "in
  // progress"); false, with error_ set, when the query fails or NVDEC seems stuck.
  bool wait_for(int index) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    for (;;) {
      CUVIDGETDECODESTATUS status{};
      const CUresult r = driver().cuvid->cuvidGetDecodeStatus(decoder_->handle(), index, &status);
      if (r != CUDA_SUCCESS) {
        if (!error_) error_ = std::make_exception_ptr(MediaError("cuvidGetDecodeStatus: " + error_text(r)));
        return false;
      }
      if (status.decodeStatus != cuvidDecodeStatus_InProgress) return true;
      if (Clock::now() > deadline) {
        if (!error_) error_ = std::make_exception_ptr(MediaError("raw limit: NVDEC did not finish a picture in 10 s"));
        return false;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

  static int CUDAAPI on_display(void*, CUVIDPARSERDISPINFO*) { return 1; }

  const DeviceContext& device_;
  const RawStream& stream_;
  const bool per_gop_;
  const int in_flight_;                 // 0: submit without waiting
  std::deque<int> submitted_pictures_;  // surface indices not yet waited for, oldest first
  VideoParser parser_;
  std::unique_ptr<NvdecDecoder> decoder_;
  std::exception_ptr error_;
  size_t next_ = 0;  // the next packet to send
  int64_t submitted_ = 0;
};

}  // namespace

RawLimit measure_raw_nvdec(const DeviceContext& device, const std::vector<RawStream>& streams, int threads,
                           int sessions_per_thread, double seconds, bool per_gop, int in_flight) {
  if (streams.empty() || threads < 1 || sessions_per_thread < 1 || !(seconds > 0) || in_flight < 0) {
    throw ArgumentError(
        "measure_raw_nvdec: needs streams, threads >= 1, sessions per thread >= 1, seconds > 0 and in_flight >= 0");
  }
  for (const RawStream& s : streams) {
    if (s.packets.empty()) throw ArgumentError("measure_raw_nvdec: a stream has no packets");
  }
  std::vector<std::unique_ptr<RawSession>> sessions;
  for (int i = 0; i < threads * sessions_per_thread; ++i) {
    sessions.push_back(
        std::make_unique<RawSession>(device, streams[static_cast<size_t>(i) % streams.size()], per_gop, in_flight));
  }
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        try {
          ContextScope scope(device.context);
          // Thread t drives sessions t*k .. t*k+k-1, one packet each in turn.
          const size_t first = static_cast<size_t>(t) * sessions_per_thread;
          while (Clock::now() < deadline) {
            for (int k = 0; k < sessions_per_thread; ++k) sessions[first + k]->step();
          }
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    }
    for (std::thread& w : workers) w.join();
  }
  RawLimit r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (const auto& s : sessions) r.pictures += s->submitted();
  sessions.clear();  // destroying the sessions waits for what they still decode
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return r;
}

}  // namespace odvd::cuda
