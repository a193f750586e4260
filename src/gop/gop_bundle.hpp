// GOP bundles: self-contained records of the packets one GOP decode needs, and their
// byte format (docs/formats/gop-bundle.md is the normative description).
//
// A GopRecord holds everything needed to decode the frames of one GOP without the
// source file: the stream description, the decoder's parameter sets, and the packets
// in decode order with their timestamps and the frame id each one presents.
//
// parse_bundle() treats its input as hostile: every length, count and offset is
// checked against the bytes actually present and against BundleLimits, each record's
// checksum is verified, and every field is validated; anything wrong raises MediaError
// saying what and where ("record 2: packet 7: size 4294967295 runs past the end of the
// record"), never an out-of-bounds read. Bundles written by NVIDIA's accvlab package
// are recognised by their layout and converted (see the format document).
//
// Thread-safety: pure functions on values; call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "odvd/types.hpp"

namespace odvd {

// One compressed picture of a record, in decode order.
struct BundlePacket {
  int64_t pts = 0;  // presentation timestamp, record time base; unique within a record
  int64_t dts = 0;
  // The frame id (SPEC §1, of the source file) this packet's picture presents, when it
  // is a frame of the record's GOP; -1 for a picture decoded only because others
  // reference it (a leading picture of the key, the next GOP's key for open GOPs).
  int32_t frame_id = -1;
  bool key = false;           // random-access point
  bool skippable = false;     // no other picture references it
  std::vector<uint8_t> data;  // Annex-B (H.264/HEVC) or OBUs (AV1), as the decoder takes it
};

struct GopRecord {
  // The stream.
  Codec codec = Codec::kUnknown;  // cudaVideoCodec number
  int32_t av_codec_id = 0;        // AVCodecID (for the CPU back end)
  int32_t av_pixel_format = -1;   // AVPixelFormat of the decoded pictures, -1 unknown
  int32_t width = 0;              // display size in pixels
  int32_t height = 0;
  int32_t bit_depth = 8;      // luma bit depth
  int32_t chroma_format = 1;  // 0 = 4:0:0, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4
  ColorInfo color;
  int32_t time_base_num = 1;  // of pts/dts
  int32_t time_base_den = 1;
  // The GOP: frames first_frame_id .. first_frame_id + frame_count - 1 of the source.
  int32_t first_frame_id = 0;
  int32_t frame_count = 0;
  std::string source;  // the source file's path (a label; may be empty)
  // Which of the source file's video streams the GOP came from: K as in ffmpeg's 0:v:K
  // (the stream `video_stream=-1` picked is recorded by its K too); -1 when unknown
  // (packet lists, accvlab bundles, format version 1).
  int32_t video_stream = -1;
  std::vector<uint8_t> parameter_sets;  // Annex-B VPS/SPS/PPS (decoder extradata); may be empty
  std::vector<BundlePacket> packets;    // decode order; the first one is a key

  // Bytes one decoded picture of this stream takes (NV12/P016/YUV444 layouts), the
  // "frame size" the reference API reports: luma width*height plus chroma planes whose
  // sizes round up for odd dimensions ((w+1)/2 by (h+1)/2 each for 4:2:0), times 2 for
  // bit depths above 8. Meaningful for a record that passes the format's rules.
  int64_t frame_bytes() const;
};

// Field-by-field equality (every field above, packet data included).
bool operator==(const BundlePacket& a, const BundlePacket& b);
bool operator==(const GopRecord& a, const GopRecord& b);
inline bool operator!=(const BundlePacket& a, const BundlePacket& b) {
  return !(a == b);
}
inline bool operator!=(const GopRecord& a, const GopRecord& b) {
  return !(a == b);
}

// Limits applied while parsing (hostile input must not make us allocate without bound).
struct BundleLimits {
  uint32_t max_records = 1u << 20;
  uint32_t max_packets_per_record = 1u << 16;
  uint64_t max_record_bytes = uint64_t{1} << 32;  // 4 GiB
  int32_t max_dimension = 1 << 15;                // width and height
};

// Serialises records into one bundle (format version 2). Throws ArgumentError when a
// record violates the invariants parse_bundle() checks (so nothing unparseable is ever
// written).
std::vector<uint8_t> serialize_bundle(const std::vector<GopRecord>& records);

// Parses a bundle of ours (format version 1 or 2) or one written by accvlab. Throws MediaError describing the
// first problem found; `what` names the bundle in messages (e.g. a file path).
std::vector<GopRecord> parse_bundle(const uint8_t* data, size_t size, const std::string& what = "bundle",
                                    const BundleLimits& limits = BundleLimits{});

// Refuses, from its first bytes (`n` of them, up to 16) and its size, input that is no
// bundle at all (neither ours, nor damaged ours, nor accvlab's): MediaError "<what>: not a
// GOP bundle: ...". parse_bundle() starts with it; file readers call it before reading a
// whole file.
void check_bundle_head(const uint8_t* head, size_t n, uint64_t size, const std::string& what);

// A bundle checked as parse_bundle() checks it, in our format: `raw` itself when it is one
// of ours (no second copy), else the converted legacy bundle. Throws MediaError as
// parse_bundle() does.
std::vector<uint8_t> validated_bundle(std::vector<uint8_t> raw, const std::string& what = "bundle",
                                      const BundleLimits& limits = BundleLimits{});

// Concatenates the records of several bundles (each validated as parse_bundle() does)
// into one bundle of our format, in order. Legacy inputs are converted. Input i is named
// "bundle i of n" in messages. Throws ArgumentError for an empty list, MediaError for a
// damaged input.
std::vector<uint8_t> merge_bundles(const std::vector<std::pair<const uint8_t*, size_t>>& bundles,
                                   const BundleLimits& limits = BundleLimits{});

// The CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of `size` bytes, continuing `crc`.
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace odvd
