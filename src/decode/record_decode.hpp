// Decoding from GOP records (gop_bundle.hpp) instead of files: which backends can be
// shared between records, and the GopRun that decodes a record's requested frames.
//
// Thread-safety: pure functions on values; call from any thread.
#pragma once

#include <string>
#include <vector>

#include "decode/gop_stream.hpp"
#include "gop/gop_bundle.hpp"
#include "gop/record_stream.hpp"

namespace odvd {

// Everything that decides whether a decoder configured for one record can decode
// another (records with equal keys share idle backends).
std::string backend_key(const GopRecord& record);

// The run decoding `frame_ids` (each presented by one of the record's packets) from
// `record`: its packets from the key up to the last wanted one, without non-reference
// pictures nobody asked for. `what` labels the source in messages.
GopRun run_for_record(const GopRecord& record, const std::string& what, const std::vector<int>& frame_ids);

}  // namespace odvd
