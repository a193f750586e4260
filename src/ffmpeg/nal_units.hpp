// Just enough H.264/HEVC bitstream parsing to classify a packet: is it a random-access
// point, is it a non-reference picture, does it carry parameter sets.
//
// Works on both NAL layouts found in containers: Annex-B (start codes; MPEG-TS, raw
// streams, our bundles) and length-prefixed (MP4/MKV avcC/hvcC). All input bytes are
// hostile: every length is bounds-checked; a malformed packet is reported, never read
// past its end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "odvd/types.hpp"

namespace odvd {

struct NalLayout {
  bool annex_b = true;
  int length_size = 4;  // bytes of the big-endian NAL length prefix when !annex_b
};

// The layout of packets given the stream's extradata: avcC/hvcC extradata means
// length-prefixed packets (length size read from it); anything else means Annex-B.
NalLayout detect_nal_layout(Codec codec, const uint8_t* extradata, size_t size);

struct PacketTraits {
  bool malformed = false;       // lengths or start codes did not add up
  bool has_picture = false;     // at least one VCL (slice) NAL unit
  bool idr = false;             // H.264 IDR / HEVC IDR or BLA
  bool irap = false;            // HEVC IRAP (IDR, BLA, CRA); equals idr for H.264
  bool recovery_point = false;  // H.264 recovery point SEI present
  bool non_reference = false;   // every slice is non-reference (H.264 nal_ref_idc == 0,
                                // HEVC sub-layer non-reference type) and nothing else in
                                // the packet changes later decoding (Note [Skippable packets])
  int temporal_id = 0;          // HEVC TemporalId of the slices (max over slices)
  bool parameter_sets = false;  // carries SPS (H.264) / VPS or SPS (HEVC)
};

// Classifies one packet. Codecs other than H.264/HEVC return default traits.
PacketTraits inspect_packet(Codec codec, NalLayout layout, const uint8_t* data, size_t size);

// The packet's parameter-set NAL units (H.264 SPS/PPS, HEVC VPS/SPS/PPS) as Annex-B, in
// packet order; empty when it has none (or for other codecs).
std::vector<uint8_t> parameter_set_units(Codec codec, NalLayout layout, const uint8_t* data, size_t size);

}  // namespace odvd
