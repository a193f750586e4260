#include "nvdec/nvdec_backend.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <utility>

#include "odvd/error.hpp"
#include "util/profile.hpp"

namespace odvd::cuda {
namespace {

cudaVideoChromaFormat to_cuvid_chroma(int chroma_format) {
  switch (chroma_format) {
    case 0: return cudaVideoChromaFormat_Monochrome;
    case 2: return cudaVideoChromaFormat_422;
    case 3: return cudaVideoChromaFormat_444;
    default: return cudaVideoChromaFormat_420;
  }
}

// Our NVDEC output path (surface copy, colour kernels' input) is 4:2:0 only.
void require_420(cudaVideoChromaFormat chroma, const std::string& label) {
  if (chroma == cudaVideoChromaFormat_420) return;
  refuse(label, std::string("the NVDEC back end decodes 4:2:0 video only (this stream is ") +
                    (chroma == cudaVideoChromaFormat_444   ? "4:4:4"
                     : chroma == cudaVideoChromaFormat_422 ? "4:2:2"
                                                           : "4:0:0") +
                    ")");
}

// Note [Display delay]: how many pictures the parser submits to NVDEC before it hands a
// decoded one to us (ulMaxDisplayDelay). With 0, a picture is shown — and a wanted one
// mapped, which waits for its decode — right after its own submission, so a reader that
// asks for frame after frame leaves the engine idle while it maps, copies and returns.
// With a delay, the next pictures are already decoding when one is mapped. Random
// access is unaffected: it ends with a flush, which shows every remaining picture.
// Default 2 (sequential reading on an H100: median call 1.03 -> 0.57 ms; 4 was no better);
// ODVD_NVDEC_DISPLAY_DELAY overrides it (0..8), for benchmarks.
int display_delay() {
  static const int delay = [] {
    const char* env = std::getenv("ODVD_NVDEC_DISPLAY_DELAY");
    const int value = env != nullptr ? std::atoi(env) : 2;  // measured best: bench/RESULTS.md §6
    return std::min(8, std::max(0, value));
  }();
  return delay;
}

// Decode surfaces: what the stream needs plus room for the picture being displayed;
// at least 8 so that a session can be reused for streams with a deeper DPB.
int surfaces_for(const CUVIDEOFORMAT& format) {
  return std::max(8, static_cast<int>(format.min_num_decode_surfaces) + 4 + display_delay());
}

}  // namespace

NvdecBackend::NvdecBackend(std::shared_ptr<NvdecDecoderPool> decoders, std::shared_ptr<DevicePool> memory,
                           const NvdecStream& stream, std::string label)
    : decoders_(std::move(decoders)),
      memory_(std::move(memory)),
      device_(decoders_->device()),
      stream_(device_),
      label_(std::move(label)) {
  key_.codec = to_cuvid_codec(stream.codec, label_);
  key_.chroma = to_cuvid_chroma(stream.chroma_format);
  key_.bit_depth = stream.bit_depth;
  check_support(device_, key_, stream.width, stream.height, label_);
  require_420(key_.chroma, label_);
}

NvdecBackend::~NvdecBackend() {
  release_session();
}

void NvdecBackend::ensure_parser() {
  if (parser_) return;
  ODVD_PROFILE_SCOPE("nvdec.create_parser");
  CUVIDPARSERPARAMS params{};
  params.CodecType = key_.codec;
  params.ulMaxNumDecodeSurfaces = 1;  // the sequence callback returns the real number
  params.ulClockRate = 0;             // timestamps are passed through unchanged
  params.ulErrorThreshold = 0;        // never decode a picture whose bitstream is damaged
  params.ulMaxDisplayDelay = static_cast<unsigned>(display_delay());  // Note [Display delay]
  params.pUserData = this;
  params.pfnSequenceCallback = &NvdecBackend::on_sequence;
  params.pfnDecodePicture = &NvdecBackend::on_decode;
  params.pfnDisplayPicture = &NvdecBackend::on_display;
  parser_ = VideoParser(params, quoted(label_) + ": cuvidCreateVideoParser");
}

void NvdecBackend::destroy_parser() {
  parser_.reset();
}

void NvdecBackend::release_session() {
  destroy_parser();
  if (decoder_) decoders_->give_back(std::move(decoder_));
}

void NvdecBackend::parse(const uint8_t* data, size_t size, unsigned long flags, int64_t pts) {
  ContextScope scope(device_.context);
  ensure_parser();
  CUVIDSOURCEDATAPACKET packet{};
  packet.flags = flags;
  packet.payload_size = static_cast<unsigned long>(size);
  packet.payload = data;
  packet.timestamp = pts;
  ODVD_PROFILE_SCOPE("nvdec.parse (incl. callbacks)");
  const CUresult r = driver().cuvid->cuvidParseVideoData(parser_.get(), &packet);
  if (callback_error_) std::rethrow_exception(std::exchange(callback_error_, nullptr));
  if (r != CUDA_SUCCESS) {
    if (last_error_.empty()) last_error_ = "cuvidParseVideoData: " + error_text(r);
    note_damage_from(current_packet_);
  }
}

void NvdecBackend::send(const EncodedPacket& packet) {
  current_packet_ = packet.decode_index;
  // One packet is one picture (Note [NVDEC decode status]).
  parse(packet.data.data(), packet.data.size(), CUVID_PKT_TIMESTAMP | CUVID_PKT_ENDOFPICTURE, packet.pts);
}

// Note [Sessions between streams]: once a stream is flushed every picture has been copied
// out of its decode surfaces, and the DecoderBackend protocol has the next packet follow a
// reset(), whose new parser sends a sequence header again. So the backend gives its NVDEC
// session back to the pool (and drops the parser) at the end of a stream, and takes one
// again at the next sequence header (an exact-size one first: no reconfiguring). Sessions
// then go to the streams decoding now, not to every file a session set keeps warm:
// creating one costs milliseconds of driver work serialised with everything else on the
// device, and a shuffled epoch, whose calls open files no warm session has seen, made ~60
// on the base config (one per warm file) where 24 decode at once, each creation taking
// ~0.7 s while 24 were under way (bench/RESULTS.md §25). A stream left open (Note [Open
// random access], streaming) keeps its session: its pictures are still in it.
void NvdecBackend::send_end_of_stream() {
  parse(nullptr, 0, CUVID_PKT_ENDOFSTREAM, 0);
  ContextScope scope(device_.context);
  settle_pending(-1);
  release_session();
}

bool NvdecBackend::receive(VideoFrame& frame) {
  if (ready_.empty()) return false;
  frame = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

void NvdecBackend::reset() {
  ODVD_PROFILE_SCOPE("nvdec.reset");
  {
    ContextScope scope(device_.context);
    destroy_parser();
  }
  ready_.clear();
  pending_.clear();
  callback_error_ = nullptr;
  last_error_.clear();
  clear_damage();
}

int CUDAAPI NvdecBackend::on_sequence(void* self, CUVIDEOFORMAT* format) {
  auto* b = static_cast<NvdecBackend*>(self);
  try {
    return b->handle_sequence(*format);
  } catch (...) {
    if (!b->callback_error_) b->callback_error_ = std::current_exception();
    return 0;
  }
}

int CUDAAPI NvdecBackend::on_decode(void* self, CUVIDPICPARAMS* picture) {
  auto* b = static_cast<NvdecBackend*>(self);
  try {
    if (!b->decoder_) throw MediaError(quoted(b->label_) + ": NVDEC got a picture before its sequence header");
    b->settle_pending(picture->CurrPicIdx);  // its surface is about to be overwritten
    ODVD_PROFILE_SCOPE("nvdec.decode_picture");
    const CUresult r = driver().cuvid->cuvidDecodePicture(b->decoder_->handle(), picture);
    if (r != CUDA_SUCCESS) {
      // Not fatal by itself: the picture may be one nobody wants (DecoderBackend protocol).
      if (b->last_error_.empty()) b->last_error_ = "cuvidDecodePicture: " + error_text(r);
      b->note_damage_from(b->current_packet_);
      return 0;
    }
    b->pending_.push_back({picture->CurrPicIdx, b->current_packet_});
    return 1;
  } catch (...) {
    if (!b->callback_error_) b->callback_error_ = std::current_exception();
    return 0;
  }
}

int CUDAAPI NvdecBackend::on_display(void* self, CUVIDPARSERDISPINFO* info) {
  auto* b = static_cast<NvdecBackend*>(self);
  if (info == nullptr) return 1;  // end of stream
  try {
    b->handle_display(*info);
    return 1;
  } catch (...) {
    if (!b->callback_error_) b->callback_error_ = std::current_exception();
    return 0;
  }
}

int NvdecBackend::handle_sequence(const CUVIDEOFORMAT& format) {
  ODVD_PROFILE_SCOPE("nvdec.sequence (decoder setup)");
  NvdecKey key = key_;
  key.bit_depth = static_cast<int>(format.bit_depth_luma_minus8) + 8;
  key.chroma = format.chroma_format;
  if (!(key == key_)) {
    // The bitstream disagrees with the container; re-check before creating anything.
    check_support(device_, key, static_cast<int>(format.coded_width), static_cast<int>(format.coded_height), label_);
    require_420(key.chroma, label_);
    key_ = key;
  }
  // The bitstream's colour description (VUI); the container's overrides it (GopStream).
  // Not signalled reads as limited range and matrix 2 (unspecified): both "unspecified".
  const auto& signal = format.video_signal_description;
  signal_color_.range = signal.video_full_range_flag ? ColorRange::kFull : ColorRange::kUnspecified;
  signal_color_.matrix = static_cast<ColorMatrix>(static_cast<int>(signal.matrix_coefficients));
  const int surfaces = surfaces_for(format);
  if (decoder_ && decoder_->can_serve(key_, format, surfaces) && decoder_->configure(format)) return surfaces;
  if (decoder_) decoders_->give_back(std::move(decoder_));
  decoder_ = decoders_->take(key_, format, surfaces);
  return surfaces;
}

void NvdecBackend::handle_display(const CUVIDPARSERDISPINFO& info) {
  if (!wanted(info.timestamp)) return;  // never mapped, copied or converted
  ODVD_PROFILE_SCOPE("nvdec.map_copy_sync");
  const Driver& d = driver();
  CUVIDPROCPARAMS proc{};
  proc.progressive_frame = info.progressive_frame;
  proc.second_field = info.repeat_first_field + 1;
  proc.top_field_first = info.top_field_first;
  proc.unpaired_field = info.repeat_first_field < 0;
  proc.output_stream = stream_.get();
  CUdeviceptr surface = 0;
  unsigned pitch = 0;
  check(d.cuvid->cuvidMapVideoFrame(decoder_->handle(), info.picture_index, &surface, &pitch, &proc),
        quoted(label_) + ": cuvidMapVideoFrame");
  // Unmap on every path; the copy must be complete first, hence the synchronise.
  struct Unmap {
    const Driver& d;
    CUvideodecoder decoder;
    CUdeviceptr surface;
    ~Unmap() { d.cuvid->cuvidUnmapVideoFrame(decoder, surface); }
  } unmap{d, decoder_->handle(), surface};
  // Mapped, so decoded: its status is final now.
  const auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const Pending& p) { return p.picture_index == info.picture_index; });
  if (it != pending_.end()) {
    const Pending picture = *it;
    pending_.erase(it);
    if (check_status(picture.picture_index, picture.packet)) return;
  }
  VideoFrame frame = copy_out(surface, pitch, info.timestamp);
  stream_.synchronize(quoted(label_) + ": copying a decoded picture");
  ready_.push_back(std::move(frame));
}

void NvdecBackend::settle_through(int32_t decode_index) {
  if (pending_.empty() || !decoder_) return;  // (a released session settled everything first)
  ContextScope scope(device_.context);        // cuvid calls need the decoder's context current
  // Decoded before a picture already shown: done.
  settle_where([&](const Pending& p) { return p.packet <= decode_index; });
}

void NvdecBackend::settle_pending(int picture_index) {
  settle_where([&](const Pending& p) { return picture_index < 0 || p.picture_index == picture_index; });
}

void NvdecBackend::settle_where(const std::function<bool(const Pending&)>& which) {
  ODVD_PROFILE_SCOPE("nvdec.settle_pending");
  std::vector<Pending> keep;
  for (const Pending& p : pending_) {
    if (which(p)) {
      check_status(p.picture_index, p.packet);
    } else {
      keep.push_back(p);
    }
  }
  pending_ = std::move(keep);
}

bool NvdecBackend::check_status(int picture_index, int32_t packet) {
  const Driver& d = driver();
  // A picture takes NVDEC about a millisecond; ten seconds means the engine is stuck.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    CUVIDGETDECODESTATUS status{};
    if (d.cuvid->cuvidGetDecodeStatus(decoder_->handle(), picture_index, &status) != CUDA_SUCCESS) return false;
    switch (status.decodeStatus) {
      case cuvidDecodeStatus_InProgress: break;
      case cuvidDecodeStatus_Error:
      case cuvidDecodeStatus_Error_Concealed:
        if (last_error_.empty()) {
          last_error_ = "NVDEC reported the picture of packet " + std::to_string(packet) + " as damaged" +
                        (status.decodeStatus == cuvidDecodeStatus_Error_Concealed ? " (concealed)" : "");
        }
        note_damaged_packet(packet);
        return true;
      default: return false;  // success, or no status for this codec
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw MediaError(quoted(label_) + ": NVDEC did not finish decoding packet " + std::to_string(packet) +
                       " within 10 s");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
}

VideoFrame NvdecBackend::copy_out(CUdeviceptr surface, unsigned pitch, int64_t pts) {
  const Driver& d = driver();
  const PixelFormat format = key_.bit_depth > 8 ? PixelFormat::kP016 : PixelFormat::kNv12;
  VideoFrame frame = frame_layout(format, decoder_->display_width(), decoder_->display_height(), key_.bit_depth);
  frame.pts = pts;
  frame.color = signal_color_;
  frame.decoded_by = "nvdec";
  frame.buffer = memory_->allocate(frame.byte_size(), stream_.get());
  const auto dst = reinterpret_cast<CUdeviceptr>(frame.buffer->data());
  const int bps = is_16bit(format) ? 2 : 1;
  if (frame.planes[0].pitch != frame.width * bps) {
    // Odd width: the padding sample of each luma row is zero, as on the CPU back end.
    check(d.cu->cuMemsetD8Async(dst, 0, frame.byte_size(), stream_.get()), "cuMemsetD8Async");
  }
  // Note [NVDEC geometry]: the surface holds the whole coded picture; take the display
  // rectangle (left and top are even in 4:2:0 streams: one chroma sample per two luma).
  const auto left = static_cast<CUdeviceptr>(decoder_->display_left()) * bps;
  const auto top = static_cast<CUdeviceptr>(decoder_->display_top());
  const CUdeviceptr luma = surface + top * pitch + left;
  const CUdeviceptr chroma =
      surface + static_cast<CUdeviceptr>(pitch) * decoder_->surface_chroma_row() + (top / 2) * pitch + left;
  for (int i = 0; i < 2; ++i) {
    const Plane& p = frame.planes[i];
    CUDA_MEMCPY2D copy{};
    copy.srcMemoryType = CU_MEMORYTYPE_DEVICE;
    copy.srcDevice = i == 0 ? luma : chroma;
    copy.srcPitch = pitch;
    copy.dstMemoryType = CU_MEMORYTYPE_DEVICE;
    copy.dstDevice = dst + p.offset;
    copy.dstPitch = static_cast<size_t>(p.pitch);
    copy.WidthInBytes = static_cast<size_t>(p.width) * bps;
    copy.Height = static_cast<size_t>(p.height);
    check(d.cu->cuMemcpy2DAsync(&copy, stream_.get()), quoted(label_) + ": copying a decoded picture");
  }
  return frame;
}

}  // namespace odvd::cuda
