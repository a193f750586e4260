// Decoding from GOP records (gop_bundle.hpp) instead of files: which backends can be
// shared between records, and the GopRun that decodes a record's requested frames.
//
// Thread-safety: pure functions on values; call from any thread.
#pragma once

#include <cstddef>
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

// Note [Shared records]
//   A decode from records takes one record per entry (the reference API's contract: GetGOP
//   writes them so), so the T frames of a clip that fall in one GOP arrive as T equal
//   records. Decoding each on its own decodes that GOP T times (pattern 2 of the PyTorch
//   data path with 4-frame clips sent 3.7x the packets of a decode from the files).
//   Entries whose records are equal (every field, packet data included) and whose labels
//   are equal form a group; a group decodes its record once, up to the last frame its
//   entries want, exactly as the file path decodes the frames of one GOP together. Every
//   frame comes out as it would alone: the same packets from the key, non-reference
//   pictures only skipped where nobody wants them. Records merely alike (one GOP of two
//   copies of a file under other labels, or the same range of another file) stay apart.
struct RecordGroups {
  std::vector<size_t> first;                // per group: its first entry (its record and label decode)
  std::vector<std::vector<int>> frame_ids;  // per group: the frames its entries want, ascending, unique
  std::vector<size_t> of_entry;             // per entry: its group
};
RecordGroups group_records(const std::vector<GopRecord>& records, const std::vector<std::string>& labels,
                           const std::vector<int>& ids);

}  // namespace odvd
