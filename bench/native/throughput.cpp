#include "throughput.hpp"

#include <atomic>
#include <chrono>
#include <numeric>

#include "decode/decode_engine.hpp"
#include "decode/stream_description.hpp"
#include "gop/gop_reader.hpp"
#include "odvd/error.hpp"

#if ODVD_WITH_NVDEC
#include "ffmpeg/video_index.hpp"
#include "nvdec_raw_limit.hpp"
#endif

namespace odvd {
namespace {

using Clock = std::chrono::steady_clock;

// Every packet of a file, in decode order (the whole file decodes as one stream), and
// the decoder extradata those Annex-B packets need (as FileSession passes it).
struct FilePackets {
  std::vector<EncodedPacket> packets;
  std::vector<uint8_t> extradata;
};

FilePackets read_all(const std::shared_ptr<const VideoIndex>& index) {
  GopReader reader(index);
  std::vector<int> all(index->frames.packet_count());
  std::iota(all.begin(), all.end(), 0);
  FilePackets out;
  out.packets = reader.read(all);
  if (!index->nal_layout.annex_b) out.extradata = reader.parameter_sets();
  return out;
}

}  // namespace

ThroughputResult measure_decode_throughput(const std::vector<std::string>& paths, int device, int streams,
                                           double seconds) {
  if (paths.empty() || streams < 1 || !(seconds > 0)) {
    throw ArgumentError("measure_decode_throughput: needs files, streams >= 1 and seconds > 0");
  }
  EngineOptions options;
  options.device = device;
  options.max_sessions = streams;
  options.worker_threads = streams;
  options.decoder_threads = 1;  // one thread per session: the CPU limit is sessions x cores
  DecodeEngine engine(options);
  engine.prepare_device();
  std::vector<std::shared_ptr<const VideoIndex>> indexes;
  std::vector<FilePackets> packets;
  for (const std::string& p : paths) {
    indexes.push_back(IndexCache::global().get(p));
    packets.push_back(read_all(indexes.back()));
  }
  std::vector<std::unique_ptr<DecoderBackend>> backends;
  for (int s = 0; s < streams; ++s) {
    const size_t f = s % paths.size();
    backends.push_back(engine.device().make_backend(describe_stream(indexes[f], packets[f].extradata)));
    backends.back()->set_output_filter([](int64_t) { return false; });  // decode only
  }
  std::atomic<int64_t> pictures{0};
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  const auto start = Clock::now();
  engine.pool().run_all(static_cast<size_t>(streams), [&](size_t s) {
    DecoderBackend& backend = *backends[s];
    const std::vector<EncodedPacket>& file = packets[s % paths.size()].packets;
    // The whole file as one stream, again and again: no parser rebuilt per GOP.
    while (Clock::now() < deadline) {
      backend.reset();
      for (const EncodedPacket& packet : file) {
        backend.send(packet);
        if (Clock::now() >= deadline) break;
        pictures++;
      }
      backend.send_end_of_stream();
      VideoFrame unused;
      while (backend.receive(unused)) {
      }
    }
  });
  ThroughputResult r;
  r.streams = streams;
  r.pictures = pictures.load();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.pictures_per_s = static_cast<double>(r.pictures) / r.seconds;
  return r;
}

ThroughputResult measure_raw_decode_throughput(const std::vector<std::string>& paths, int device, int streams,
                                               double seconds, bool per_gop, int sessions_per_thread, int in_flight) {
#if ODVD_WITH_NVDEC
  if (paths.empty() || device < 0 || streams < 1 || !(seconds > 0)) {
    throw ArgumentError("measure_raw_decode_throughput: needs files, a GPU, streams >= 1 and seconds > 0");
  }
  std::vector<cuda::RawStream> inputs;
  for (const std::string& p : paths) {
    const std::shared_ptr<const VideoIndex> index = IndexCache::global().get(p);
    if (chroma_format_of(index->stream.av_pixel_format) != 1) {
      throw MediaError(quoted(p) + ": the raw NVDEC limit is measured on 4:2:0 video only");
    }
    cuda::RawStream s;
    s.key.codec = cuda::to_cuvid_codec(index->stream.codec, p);
    s.key.chroma = cudaVideoChromaFormat_420;
    s.key.bit_depth = index->stream.bit_depth;
    FilePackets file = read_all(index);
    s.prefix = std::move(file.extradata);
    s.packets = std::move(file.packets);
    inputs.push_back(std::move(s));
  }
  const cuda::RawLimit raw = cuda::measure_raw_nvdec(cuda::device_context(device), inputs, streams, sessions_per_thread,
                                                     seconds, per_gop, in_flight);
  ThroughputResult r;
  r.streams = streams * sessions_per_thread;
  r.pictures = raw.pictures;
  r.seconds = raw.seconds;
  r.pictures_per_s = static_cast<double>(r.pictures) / r.seconds;
  return r;
#else
  (void)paths, (void)device, (void)streams, (void)seconds, (void)per_gop, (void)sessions_per_thread, (void)in_flight;
  throw ArgumentError("measure_raw_decode_throughput: this build has no NVDEC back end");
#endif
}

}  // namespace odvd
