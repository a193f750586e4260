// FakeDevice / FakeBackend: a Device (odvd/device.hpp) for unit tests of the decode layer
// without a real decoder. The backend "decodes" a packet into a tiny host picture that
// carries the packet's pts (in pts and in its first bytes), and puts pictures out in pts
// order behind a reorder delay, as a real decoder's picture buffer does. Tests make it
// misbehave on purpose: report a packet's picture as damaged, lose a picture silently,
// or report damage it cannot pin to a packet.
#pragma once

#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "odvd/device.hpp"
#include "odvd/error.hpp"

namespace odvd::testing {

// What a test tells the backends to do, shared by every backend of a FakeDevice.
struct FakeBehaviour {
  size_t reorder_delay = 4;         // pictures held before the smallest pts comes out
  std::set<int32_t> damaged;        // decode indices whose picture is damaged (reported)
  std::set<int32_t> lost;           // decode indices whose picture silently never comes out
  int32_t unpinned_damage_at = -1;  // sending this decode index reports damage from it, unpinned
  bool refuse_streams = false;      // make_backend throws MediaError
  bool unsupported = false;         // make_backend throws UnsupportedStream (a fallback may take it)
};

class FakeBackend final : public DecoderBackend {
 public:
  explicit FakeBackend(const FakeBehaviour& behaviour) : behaviour_(behaviour) {}

  void send(const EncodedPacket& packet) override {
    ++packets_sent;
    if (behaviour_.damaged.count(packet.decode_index) != 0) {
      note_damaged_packet(packet.decode_index);
      if (last_error_.empty()) last_error_ = "fake damage in packet " + std::to_string(packet.decode_index);
    } else if (behaviour_.lost.count(packet.decode_index) == 0) {
      held_.insert(packet.pts);
    }
    if (packet.decode_index == behaviour_.unpinned_damage_at) {
      note_damage_from(packet.decode_index);
      if (last_error_.empty()) last_error_ = "fake unpinned damage";
    }
    while (held_.size() > behaviour_.reorder_delay) put_out_first();
  }

  void send_end_of_stream() override {
    while (!held_.empty()) put_out_first();
  }

  bool receive(VideoFrame& frame) override {
    if (ready_.empty()) return false;
    frame = std::move(ready_.front());
    ready_.pop_front();
    return true;
  }

  void reset() override {
    ++resets;
    held_.clear();
    ready_.clear();
    last_error_.clear();
    clear_damage();
  }

  std::string last_error() const override { return last_error_; }

  // The pts a fake picture carries in its first bytes.
  static int64_t pts_in(const VideoFrame& frame) {
    int64_t pts = 0;
    std::memcpy(&pts, frame.buffer->data(), sizeof pts);
    return pts;
  }

  int64_t packets_sent = 0;
  int resets = 0;

 private:
  void put_out_first() {
    const int64_t pts = *held_.begin();
    held_.erase(held_.begin());
    if (!wanted(pts)) return;  // decoded, never copied out
    VideoFrame frame = allocate_host_frame(PixelFormat::kNv12, 4, 4, 8);
    frame.pts = pts;
    frame.decoded_by = "fake";
    std::memcpy(frame.buffer->data(), &pts, sizeof pts);
    ready_.push_back(std::move(frame));
  }

  const FakeBehaviour& behaviour_;
  std::set<int64_t> held_;
  std::deque<VideoFrame> ready_;
  std::string last_error_;
};

class FakeDevice final : public Device {
 public:
  const char* engine() const override { return "fake"; }
  int ordinal() const override { return -1; }

  std::unique_ptr<DecoderBackend> make_backend(const StreamDescription& stream) override {
    described.push_back(stream);
    if (behaviour.refuse_streams) throw MediaError(stream.label + ": the fake device refuses every stream");
    if (behaviour.unsupported) {
      throw UnsupportedStream(stream.label + ": the fake device cannot decode it", "the fake device cannot decode it");
    }
    auto backend = std::make_unique<FakeBackend>(behaviour);
    backends.push_back(backend.get());
    return backend;
  }

  std::vector<VideoFrame> hand_out(const std::vector<const VideoFrame*>& picked) override {
    return hand_out_frames(picked, copy_frame);
  }

  std::vector<RgbImage> convert_all(const std::vector<const VideoFrame*>& picked, bool) override {
    return std::vector<RgbImage>(picked.size());
  }

  std::shared_ptr<Buffer> allocate(size_t bytes) override { return make_host_buffer(bytes); }
  void write_tensor(const std::vector<const VideoFrame*>& picked, const TensorPlan&, const TensorTarget&,
                    void*) override {
    tensor_writes.push_back(picked.size());
  }

  FakeBehaviour behaviour;
  std::vector<StreamDescription> described;  // every stream a backend was asked for
  std::vector<FakeBackend*> backends;        // every backend made (owned by the caller)
  std::vector<size_t> tensor_writes;         // entries of every write_tensor call
};

}  // namespace odvd::testing
