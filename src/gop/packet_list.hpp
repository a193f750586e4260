// GOP records from another demuxer's packets (the reference API's DecodeFromPacketList*):
// the caller hands each entry's packets in decode order and says which frame each
// presents; this makes the record a decoder decodes, timestamps included.
//
// Thread-safety: pure functions on values; call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gop/gop_bundle.hpp"

namespace odvd {

// The timestamp offset of one call's lists (more than any list's packet count), shared by
// its records so that frame f of every entry gets timestamp f + base; the decoders take
// it off the returned frames.
int64_t packet_list_base(const std::vector<std::vector<int>>& frame_ids);

// One record from `packets` of `codec` (decode order; the first a key with its parameter
// sets in band): packet k presents frame frame_ids[k] (-1: decoded only as a reference).
// Timestamps are made up, distinct, >= 0 and in display order, because NVDEC's parser
// hands timestamps out in ascending order to the pictures it displays (a made-up order
// showed an open GOP's next key under its last frame's id): frame id gets id + `base`; a
// reference-only packet before any frame but the key is one of the key's leading
// pictures (displayed first: k); one after them is the next GOP's key or a picture of it
// (displayed last: after every frame). ArgumentError naming `where` for lists that do
// not match, repeated or negative ids, a list that names no frame, or a bad size.
GopRecord record_from_packet_list(Codec codec, std::vector<std::vector<uint8_t>> packets,
                                  const std::vector<int>& frame_ids, int width, int height, const std::string& where,
                                  int64_t base);

// The codecs of DecodeFromPacketListInitialize: each a cudaVideoCodec number of the codec
// table, ArgumentError naming `argument`[i] otherwise.
std::vector<Codec> packet_list_codecs(const std::vector<int>& codec_ids, const std::string& argument);

}  // namespace odvd
