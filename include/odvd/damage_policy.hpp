// What a decoder does with entries it cannot decode (a damaged, truncated or missing
// file), and the per-call report of what it did (issue #15 §3).
//
// Note [Damage policy]
//   A training job reading a million clips must not die on one corrupt packet, and a
//   frame decoded before the damage must not fail because one after it is damaged. Every
//   call therefore decodes all its entries, collecting each failure (entry, file, frame,
//   reason) instead of stopping at the first; then:
//     kRaise    one MediaError naming every failed entry (the default);
//     kSkip     the call returns, with no frame (None in Python) for each failed entry;
//     kNearest  each failed entry gets the nearest frame of the same file that decodes
//               (the closest clean frame of its GOP, else the neighbouring GOPs' edge
//               frames), or none when nothing near decodes.
//   The report lists one record per failed or substituted entry; it is empty after a
//   clean call. Caller mistakes (ids out of range, bad arguments) are never covered by
//   the policy: they raise ArgumentError before any work.
#pragma once

#include <string>
#include <vector>

namespace odvd {

enum class OnError { kRaise, kSkip, kNearest };

// "raise" | "skip" | "nearest"; ArgumentError naming `argument` otherwise.
OnError parse_on_error(const std::string& value, const char* argument = "on_error");
const char* on_error_name(OnError policy);

struct EntryReport {
  int entry = 0;       // index of the entry in the call
  std::string path;    // the file (or label) of the entry
  int requested = 0;   // the frame id asked for
  int returned = -1;   // the frame id returned in its place; -1 when none
  std::string reason;  // why the requested frame could not be decoded
};

// The message of a kRaise call's MediaError: every failed entry, reasons shared by
// several entries said once.
std::string describe_failures(const std::vector<EntryReport>& failures, size_t entries);

}  // namespace odvd
