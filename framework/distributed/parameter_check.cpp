#include "distributed/parameter_check.h"

#include <xxhash.h>

#include <cinttypes>
#include <cstdio>
#include <map>

#include "distributed/agreement.h"

namespace convoy {

namespace {

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%016" PRIx64, value);
  return text;
}

// "ranks 0, 2" or "rank 1".
std::string ranks_text(const std::vector<int>& ranks) {
  std::string text = ranks.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < ranks.size(); ++i) text += (i ? ", " : "") + std::to_string(ranks[i]);
  return text;
}

// Each rank's hashes, from the all-gathered text "h0,h1,...".
std::vector<std::vector<std::string>> split_hashes(const std::vector<std::string>& per_rank) {
  std::vector<std::vector<std::string>> out;
  for (const std::string& text : per_rank) {
    std::vector<std::string> hashes;
    for (size_t start = 0; start < text.size(); start += 17) hashes.push_back(text.substr(start, 16));
    out.push_back(std::move(hashes));
  }
  return out;
}

}  // namespace

std::vector<uint64_t> ParameterCheck::hashes(const std::vector<Parameter*>& parameters) {
  std::vector<uint64_t> out;
  out.reserve(parameters.size());
  for (const Parameter* p : parameters) {
    const Tensor* host = &p->value;
    if (!p->value.device().is_cpu()) {
      staging_.ensure_shape(Shape{p->value.numel()});
      staging_.copy_from(p->value);
      host = &staging_;
    }
    out.push_back(XXH3_64bits(host->data(), static_cast<size_t>(p->value.numel()) * sizeof(float)));
  }
  return out;
}

void ParameterCheck::require_equal(Communicator& comm, const std::vector<Parameter*>& parameters,
                                   const std::string& when) {
  std::string mine;
  for (const uint64_t h : hashes(parameters)) mine += hex(h) + ",";
  const std::vector<std::vector<std::string>> all =
      split_hashes(comm.all_gather(mine, "parameter hashes " + when));
  for (size_t i = 0; i < parameters.size(); ++i) {
    std::map<std::string, std::vector<int>> holders;  // hash -> ranks, every rank sees the same map
    for (size_t rank = 0; rank < all.size(); ++rank)
      holders[i < all[rank].size() ? all[rank][i] : "(none)"].push_back(static_cast<int>(rank));
    if (holders.size() == 1) continue;
    std::string groups;
    for (const auto& [hash, ranks] : holders)
      groups += (groups.empty() ? "" : "; ") + ranks_text(ranks) + ": " + hash;
    throw JobError("the ranks' parameters differ " + when + ": " + parameters[i]->name +
                   " holds other bits on some ranks (XXH3 of its values, " + groups +
                   "); data-parallel ranks must hold the same parameters: check that every rank runs the same "
                   "build on sound hardware");
  }
}

}  // namespace convoy
