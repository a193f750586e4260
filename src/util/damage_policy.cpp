#include "odvd/damage_policy.hpp"

#include <map>

#include "odvd/error.hpp"

namespace odvd {

OnError parse_on_error(const std::string& value, const char* argument) {
  if (value == "raise") return OnError::kRaise;
  if (value == "skip") return OnError::kSkip;
  if (value == "nearest") return OnError::kNearest;
  throw ArgumentError(std::string(argument) + " must be \"raise\", \"skip\" or \"nearest\" (got \"" + value + "\")");
}

const char* on_error_name(OnError policy) {
  switch (policy) {
    case OnError::kRaise: return "raise";
    case OnError::kSkip: return "skip";
    case OnError::kNearest: return "nearest";
  }
  return "?";
}

std::string describe_failures(const std::vector<EntryReport>& failures, size_t entries) {
  // Reasons in order of first appearance, each with its entries.
  std::vector<std::string> reasons;
  std::map<std::string, std::vector<int>> entries_of;
  for (const EntryReport& f : failures) {
    auto [it, fresh] = entries_of.emplace(f.reason, std::vector<int>{});
    if (fresh) reasons.push_back(f.reason);
    it->second.push_back(f.entry);
  }
  auto list = [](const std::vector<int>& ids) {
    std::string s = ids.size() == 1 ? "entry " : "entries ";
    for (size_t i = 0; i < ids.size() && i < 16; ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
    if (ids.size() > 16) s += ", ...";
    return s;
  };
  // Reasons that name their entry already ("entry 3: frame id ...") are not prefixed again.
  auto names_entry = [](const std::string& reason) { return reason.rfind("entry ", 0) == 0; };
  if (reasons.size() == 1) {
    return names_entry(reasons[0]) ? reasons[0] : reasons[0] + " [" + list(entries_of[reasons[0]]) + "]";
  }
  std::string out = std::to_string(failures.size()) + " of " + std::to_string(entries) + " entries cannot be decoded: ";
  for (size_t i = 0; i < reasons.size(); ++i) {
    out += (i ? "; " : "") + (names_entry(reasons[i]) ? "" : list(entries_of[reasons[i]]) + ": ") + reasons[i];
  }
  return out;
}

}  // namespace odvd
