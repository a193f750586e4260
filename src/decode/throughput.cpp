#include "decode/throughput.hpp"

#include <atomic>
#include <chrono>
#include <numeric>

#include "decode/decode_engine.hpp"
#include "gop/gop_reader.hpp"
#include "odvd/error.hpp"

namespace odvd {
namespace {

using Clock = std::chrono::steady_clock;

// Every GOP of a file as the packets a decode of all its frames sends.
std::vector<std::vector<EncodedPacket>> read_gops(const std::shared_ptr<const VideoIndex>& index) {
  GopReader reader(index);
  std::vector<std::vector<EncodedPacket>> gops;
  const FrameIndex& frames = index->frames;
  for (int g = 0; g < frames.gop_count(); ++g) {
    std::vector<int> all(frames.gop(g).frame_count);
    std::iota(all.begin(), all.end(), frames.gop(g).first_frame_id);
    gops.push_back(reader.read(frames.packets_to_decode(g, all)));
  }
  return gops;
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
  engine.ensure_gpu();
  std::vector<std::shared_ptr<const VideoIndex>> indexes;
  std::vector<std::vector<std::vector<EncodedPacket>>> packets;
  for (const std::string& p : paths) {
    indexes.push_back(IndexCache::global().get(p));
    packets.push_back(read_gops(indexes.back()));
  }
  std::vector<std::unique_ptr<DecoderBackend>> backends;
  for (int s = 0; s < streams; ++s) {
    backends.push_back(engine.make_file_backend(indexes[s % paths.size()]));
    backends.back()->set_output_filter([](int64_t) { return false; });  // decode only
  }
  std::atomic<int64_t> pictures{0};
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  const auto start = Clock::now();
  engine.pool().run_all(static_cast<size_t>(streams), [&](size_t s) {
    DecoderBackend& backend = *backends[s];
    const auto& gops = packets[s % paths.size()];
    for (size_t g = 0; Clock::now() < deadline; g = (g + 1) % gops.size()) {
      backend.reset();
      for (const EncodedPacket& packet : gops[g]) backend.send(packet);
      backend.send_end_of_stream();
      VideoFrame unused;
      while (backend.receive(unused)) {
      }
      pictures += static_cast<int64_t>(gops[g].size());
    }
  });
  ThroughputResult r;
  r.streams = streams;
  r.pictures = pictures.load();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.pictures_per_s = static_cast<double>(r.pictures) / r.seconds;
  return r;
}

}  // namespace odvd
