#include "decode/record_decode.hpp"

#include <algorithm>
#include <cstddef>
#include <unordered_map>
#include <unordered_set>

#include "odvd/error.hpp"

namespace odvd {

std::string backend_key(const GopRecord& r) {
  std::string key = std::to_string(static_cast<int>(r.codec)) + "/" + std::to_string(r.av_codec_id) + "/" +
                    std::to_string(r.av_pixel_format) + "/" + std::to_string(r.width) + "x" + std::to_string(r.height) +
                    "/" + std::to_string(r.bit_depth) + "/" + std::to_string(r.chroma_format) + "/";
  key.append(r.parameter_sets.begin(), r.parameter_sets.end());
  return key;
}

GopRun run_for_record(const GopRecord& record, const std::string& what, const std::vector<int>& frame_ids) {
  const std::unordered_set<int> wanted(frame_ids.begin(), frame_ids.end());
  size_t end = 1;
  for (size_t i = 0; i < record.packets.size(); ++i) {
    if (wanted.count(record.packets[i].frame_id) != 0) end = std::max(end, i + 1);
  }
  GopRun run;
  run.what = what;
  run.frame_ids = frame_ids;
  run.color = record.color;
  const int64_t key_pts = record.packets.front().pts;
  const int32_t last_frame = record.first_frame_id + record.frame_count;
  for (size_t i = 0; i < end; ++i) {
    const BundlePacket& p = record.packets[i];
    const bool in_gop = p.frame_id >= record.first_frame_id && p.frame_id < last_frame;
    if (p.skippable && wanted.count(p.frame_id) == 0) continue;  // non-reference, not wanted
    EncodedPacket packet;
    packet.data = p.data;
    packet.pts = p.pts;
    packet.dts = p.dts;
    packet.decode_index = static_cast<int32_t>(i);
    packet.key = p.key;
    run.packets.push_back(std::move(packet));
    run.roles.push_back(
        PacketRole{static_cast<int32_t>(i), p.pts, in_gop ? p.frame_id : -1, p.pts < key_pts, p.skippable});
  }
  return run;
}

namespace {
constexpr size_t kComparedGroups = 8;  // groups of one key a record is compared with
}  // namespace

RecordGroups group_records(const std::vector<GopRecord>& records, const std::vector<std::string>& labels,
                           const std::vector<int>& ids) {
  RecordGroups out;
  out.of_entry.resize(ids.size());
  // Candidates by what is cheap to compare; equality (packet data included) decides.
  std::unordered_map<std::string, std::vector<size_t>> candidates;
  for (size_t i = 0; i < ids.size(); ++i) {
    const GopRecord& r = records[i];
    std::string key = labels[i];
    key += '\0';
    key += r.source;
    key += '\0' + std::to_string(r.first_frame_id) + "/" + std::to_string(r.frame_count) + "/" +
           std::to_string(r.packets.size());
    // Alike records that differ (the same range of a file under one label, other bytes: made
    // so, or two versions of a file) are compared with a few groups only, so that a call of
    // 65,536 of them is not 65,536^2 comparisons of their data; beyond those, an equal
    // record merely decodes on its own.
    std::vector<size_t>& groups = candidates[key];
    const auto compared = groups.begin() + static_cast<std::ptrdiff_t>(std::min(groups.size(), kComparedGroups));
    const auto same = std::find_if(groups.begin(), compared, [&](size_t g) { return records[out.first[g]] == r; });
    if (same != compared) {
      out.of_entry[i] = *same;
      out.frame_ids[*same].push_back(ids[i]);
      continue;
    }
    out.of_entry[i] = out.first.size();
    groups.push_back(out.first.size());
    out.first.push_back(i);
    out.frame_ids.push_back({ids[i]});
  }
  for (std::vector<int>& wanted : out.frame_ids) {
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  }
  return out;
}

}  // namespace odvd
