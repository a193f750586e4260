#include "nvdec/nvdec_decoder.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "odvd/codecs.hpp"
#include "odvd/error.hpp"
#include "util/profile.hpp"

namespace odvd::cuda {
namespace {

// Our Codec numbers are cudaVideoCodec's (odvd/codecs.hpp).
static_assert(static_cast<int>(Codec::kMpeg1) == cudaVideoCodec_MPEG1);
static_assert(static_cast<int>(Codec::kMpeg2) == cudaVideoCodec_MPEG2);
static_assert(static_cast<int>(Codec::kMpeg4) == cudaVideoCodec_MPEG4);
static_assert(static_cast<int>(Codec::kVc1) == cudaVideoCodec_VC1);
static_assert(static_cast<int>(Codec::kH264) == cudaVideoCodec_H264);
static_assert(static_cast<int>(Codec::kJpeg) == cudaVideoCodec_JPEG);
static_assert(static_cast<int>(Codec::kHevc) == cudaVideoCodec_HEVC);
static_assert(static_cast<int>(Codec::kVp8) == cudaVideoCodec_VP8);
static_assert(static_cast<int>(Codec::kVp9) == cudaVideoCodec_VP9);
static_assert(static_cast<int>(Codec::kAv1) == cudaVideoCodec_AV1);

const char* cuvid_codec_name(cudaVideoCodec c) {
  const CodecEntry* e = codec_entry(static_cast<Codec>(c));
  return e != nullptr ? e->display : "this codec";
}

const char* chroma_name(cudaVideoChromaFormat c) {
  switch (c) {
    case cudaVideoChromaFormat_Monochrome: return "4:0:0";
    case cudaVideoChromaFormat_420: return "4:2:0";
    case cudaVideoChromaFormat_422: return "4:2:2";
    case cudaVideoChromaFormat_444: return "4:4:4";
  }
  return "?";
}

std::string describe(const NvdecKey& k) {
  return std::string(cuvid_codec_name(k.codec)) + " " + std::to_string(k.bit_depth) + "-bit " + chroma_name(k.chroma);
}

// Caps answers, cached per (device, codec, chroma, depth): the driver call is not free.
CUVIDDECODECAPS query_caps(const DeviceContext& device, const NvdecKey& key) {
  struct Cache {
    Mutex mutex;
    std::map<std::tuple<int, int, int, int>, CUVIDDECODECAPS> caps ODVD_GUARDED_BY(mutex);
  };
  static auto* cache = new Cache();  // leaked, see cuda_driver
  const auto id =
      std::make_tuple(device.ordinal, static_cast<int>(key.codec), static_cast<int>(key.chroma), key.bit_depth);
  MutexLock lock(cache->mutex);
  auto it = cache->caps.find(id);
  if (it != cache->caps.end()) return it->second;
  const Driver& d = driver();
  CUVIDDECODECAPS caps{};
  caps.eCodecType = key.codec;
  caps.eChromaFormat = key.chroma;
  caps.nBitDepthMinus8 = static_cast<unsigned>(key.bit_depth - 8);
  if (d.cuvid->cuvidGetDecoderCaps == nullptr) {
    caps.bIsSupported = 1;  // very old driver: let decoder creation decide
    caps.nMaxWidth = caps.nMaxHeight = 1u << 15;
  } else {
    ContextScope scope(device.context);
    if (d.cuvid->cuvidGetDecoderCaps(&caps) != CUDA_SUCCESS) {
      // Drivers may refuse the question itself for combinations a codec does not have (a
      // chroma format or bit depth outside its profiles): that answers it too. The stream
      // then decodes on the CPU (fallback) or is refused with a reason, never a driver error.
      caps.bIsSupported = 0;
    }
  }
  cache->caps.emplace(id, caps);
  return caps;
}

// "H.264 8-bit, HEVC 8/10-bit, VP9 8/10-bit" for 4:2:0 on this device.
std::string supported_summary(const DeviceContext& device) {
  std::string out;
  for (const CodecEntry& e : kCodecTable) {
    if (!e.nvdec) continue;
    const auto c = static_cast<cudaVideoCodec>(e.codec);
    std::string depths;
    for (int depth : {8, 10, 12}) {
      if (!query_caps(device, NvdecKey{c, cudaVideoChromaFormat_420, depth}).bIsSupported) continue;
      depths += (depths.empty() ? "" : "/") + std::to_string(depth);
    }
    if (depths.empty()) continue;
    out += (out.empty() ? "" : ", ") + std::string(cuvid_codec_name(c)) + " " + depths + "-bit";
  }
  return out.empty() ? "nothing" : out + " (4:2:0)";
}

}  // namespace

void refuse(const std::string& label, const std::string& reason) {
  throw UnsupportedStream(quoted(label) + ": " + reason +
                              "; fallback='cpu' (the default) decodes such streams on the CPU, iGpu=-1 decodes "
                              "everything there",
                          reason);
}

cudaVideoCodec to_cuvid_codec(Codec codec, const std::string& label) {
  const CodecEntry* e = codec_entry(codec);
  if (e == nullptr || !e->nvdec) {
    refuse(label, "NVDEC cannot decode " + std::string(e != nullptr ? e->display : codec_name(codec)) + " streams");
  }
  return static_cast<cudaVideoCodec>(e->codec);
}

void check_support(const DeviceContext& device, const NvdecKey& key, int width, int height, const std::string& label) {
  const CUVIDDECODECAPS caps = query_caps(device, key);
  const std::string gpu = "NVDEC on CUDA device " + std::to_string(device.ordinal) + " (" + device.name + ")";
  if (!caps.bIsSupported) {
    refuse(label, gpu + " cannot decode " + describe(key) + " video; it decodes " + supported_summary(device));
  }
  if (width > static_cast<int>(caps.nMaxWidth) || height > static_cast<int>(caps.nMaxHeight) ||
      width < caps.nMinWidth || height < caps.nMinHeight) {
    refuse(label, gpu + " decodes " + describe(key) + " video from " + std::to_string(caps.nMinWidth) + "x" +
                      std::to_string(caps.nMinHeight) + " to " + std::to_string(caps.nMaxWidth) + "x" +
                      std::to_string(caps.nMaxHeight) + ", not " + std::to_string(width) + "x" +
                      std::to_string(height));
  }
}

NvdecDecoder::NvdecDecoder(const DeviceContext& device, const NvdecKey& key, const CUVIDEOFORMAT& format, int surfaces)
    : context_(device.context), key_(key), surfaces_(surfaces) {
  set_geometry(format);
  max_width_ = coded_width_;
  max_height_ = coded_height_;
  CUVIDDECODECREATEINFO info{};
  info.ulWidth = static_cast<unsigned long>(coded_width_);
  info.ulHeight = static_cast<unsigned long>(coded_height_);
  info.ulNumDecodeSurfaces = static_cast<unsigned long>(surfaces);
  info.CodecType = key.codec;
  info.ChromaFormat = key.chroma;
  info.ulCreationFlags = cudaVideoCreate_PreferCUVID;
  info.bitDepthMinus8 = static_cast<unsigned long>(key.bit_depth - 8);
  info.ulIntraDecodeOnly = 0;
  info.ulMaxWidth = static_cast<unsigned long>(max_width_);
  info.ulMaxHeight = static_cast<unsigned long>(max_height_);
  // display_area stays zero: the whole coded picture, unscaled (Note [NVDEC geometry]).
  info.OutputFormat = key.bit_depth > 8 ? cudaVideoSurfaceFormat_P016 : cudaVideoSurfaceFormat_NV12;
  info.DeinterlaceMode = cudaVideoDeinterlaceMode_Weave;  // frames as coded, like libavcodec
  info.ulTargetWidth = static_cast<unsigned long>(target_width_);
  info.ulTargetHeight = static_cast<unsigned long>(target_height_);
  info.ulNumOutputSurfaces = 2;  // we map one picture at a time
  info.vidLock = nullptr;        // every call is made with the context pushed
  ContextScope scope(context_);
  check(driver().cuvid->cuvidCreateDecoder(&decoder_, &info),
        "cuvidCreateDecoder (" + describe(key) + ", " + std::to_string(coded_width_) + "x" +
            std::to_string(coded_height_) + ", " + std::to_string(surfaces) + " surfaces)");
}

NvdecDecoder::~NvdecDecoder() {
  if (decoder_ == nullptr) return;
  try {
    ContextScope scope(context_);
    driver().cuvid->cuvidDestroyDecoder(decoder_);
  } catch (...) {
  }
}

void NvdecDecoder::set_geometry(const CUVIDEOFORMAT& f) {
  coded_width_ = static_cast<int>(f.coded_width);
  coded_height_ = static_cast<int>(f.coded_height);
  display_left_ = f.display_area.left;
  display_top_ = f.display_area.top;
  display_right_ = f.display_area.right;
  display_bottom_ = f.display_area.bottom;
  display_width_ = display_right_ - display_left_;
  display_height_ = display_bottom_ - display_top_;
  target_width_ = coded_width_;  // Note [NVDEC geometry]
  target_height_ = coded_height_;
}

bool NvdecDecoder::can_serve(const NvdecKey& key, const CUVIDEOFORMAT& f, int surfaces) const {
  return key == key_ && static_cast<int>(f.coded_width) <= max_width_ &&
         static_cast<int>(f.coded_height) <= max_height_ && surfaces <= surfaces_;
}

bool NvdecDecoder::configured_for(const CUVIDEOFORMAT& f) const {
  return static_cast<int>(f.coded_width) == coded_width_ && static_cast<int>(f.coded_height) == coded_height_;
}

bool NvdecDecoder::configure(const CUVIDEOFORMAT& f) {
  if (!configured_for(f)) {
    CUVIDRECONFIGUREDECODERINFO info{};
    info.ulWidth = f.coded_width;  // the target is the coded size too (Note [NVDEC geometry])
    info.ulHeight = f.coded_height;
    info.ulTargetWidth = f.coded_width;
    info.ulTargetHeight = f.coded_height;
    info.ulNumDecodeSurfaces = static_cast<unsigned>(surfaces_);
    ContextScope scope(context_);
    if (driver().cuvid->cuvidReconfigureDecoder(decoder_, &info) != CUDA_SUCCESS) return false;
  }
  set_geometry(f);  // the display rectangle is taken at copy time
  return true;
}

std::vector<NvdecCapability> nvdec_capabilities(const DeviceContext& device) {
  std::vector<NvdecCapability> out;
  for (const CodecEntry& e : kCodecTable) {
    if (!e.nvdec) continue;
    for (int chroma : {1, 2, 3}) {
      for (int depth : {8, 10, 12}) {
        const auto cuvid_chroma = chroma == 1   ? cudaVideoChromaFormat_420
                                  : chroma == 2 ? cudaVideoChromaFormat_422
                                                : cudaVideoChromaFormat_444;
        const CUVIDDECODECAPS caps =
            query_caps(device, NvdecKey{static_cast<cudaVideoCodec>(e.codec), cuvid_chroma, depth});
        NvdecCapability c;
        c.codec = e.codec;
        c.chroma_format = chroma;
        c.bit_depth = depth;
        c.supported = caps.bIsSupported != 0;
        c.used = c.supported && chroma == 1;
        c.min_width = caps.nMinWidth;
        c.min_height = caps.nMinHeight;
        c.max_width = static_cast<int>(caps.nMaxWidth);
        c.max_height = static_cast<int>(caps.nMaxHeight);
        out.push_back(c);
      }
    }
  }
  return out;
}

VideoParser::VideoParser(CUVIDPARSERPARAMS& params, const std::string& what) {
  check(driver().cuvid->cuvidCreateVideoParser(&parser_, &params), what);
}

void VideoParser::reset() noexcept {
  if (parser_ == nullptr) return;
  try {
    driver().cuvid->cuvidDestroyVideoParser(parser_);  // loaded: the parser was made through it
  } catch (...) {
  }
  parser_ = nullptr;
}

std::unique_ptr<NvdecDecoder> NvdecDecoderPool::take(const NvdecKey& key, const CUVIDEOFORMAT& format, int surfaces) {
  std::unique_ptr<NvdecDecoder> found;
  {
    MutexLock lock(mutex_);
    // The most recently returned session that serves the stream as configured now, else
    // the most recent one that serves it after reconfiguring.
    auto best = idle_.rend();
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if (!(*it)->can_serve(key, format, surfaces)) continue;
      if (best == idle_.rend()) best = it;
      if ((*it)->configured_for(format)) {
        best = it;
        break;
      }
    }
    if (best != idle_.rend()) {
      found = std::move(*best);
      idle_.erase(std::next(best).base());
    }
  }
  if (found && found->configure(format)) return found;
  found.reset();  // could not be reconfigured: destroy outside the lock
  ODVD_PROFILE_SCOPE("nvdec.create_decoder");
  auto made = std::make_unique<NvdecDecoder>(device_, key, format, surfaces);
  made_.fetch_add(1, std::memory_order_relaxed);
  return made;
}

void NvdecDecoderPool::give_back(std::unique_ptr<NvdecDecoder> decoder) {
  std::unique_ptr<NvdecDecoder> evicted;
  {
    MutexLock lock(mutex_);
    idle_.push_back(std::move(decoder));
    if (idle_.size() > max_idle_) {
      evicted = std::move(idle_.front());
      idle_.erase(idle_.begin());
    }
  }
}

void NvdecDecoderPool::clear() {
  std::vector<std::unique_ptr<NvdecDecoder>> idle;
  MutexLock lock(mutex_);
  idle.swap(idle_);
}

}  // namespace odvd::cuda
