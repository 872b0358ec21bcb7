#include "distributed/agreement.h"

#include <nlohmann/json.hpp>

#include "formats/json_text.h"

namespace convoy {

namespace {

struct RankSetup {
  std::vector<Fact> facts;
  std::string error;
};

std::string encode(const std::vector<Fact>& facts, const std::string& error) {
  nlohmann::json j;
  j["error"] = error;
  j["facts"] = nlohmann::json::array();
  for (const Fact& f : facts) j["facts"].push_back({f.name, f.value});
  return json_text(j);
}

RankSetup decode(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  RankSetup setup;
  setup.error = j.at("error").get<std::string>();
  for (const auto& f : j.at("facts")) setup.facts.push_back({f.at(0).get<std::string>(), f.at(1).get<std::string>()});
  return setup;
}

std::string describe(const RankSetup& setup, size_t index) {
  if (index >= setup.facts.size()) return "(nothing more)";
  return setup.facts[index].name + " " + setup.facts[index].value;
}

}  // namespace

void require_agreement(Communicator& comm, const std::vector<Fact>& mine, const std::string& setup_error) {
  const std::vector<std::string> all = comm.all_gather(encode(mine, setup_error), "set-up agreement");
  std::vector<RankSetup> setups;
  for (const std::string& text : all) setups.push_back(decode(text));
  // Errors first: without a set-up, a rank's facts mean nothing.
  int failed = 0, first_failed = -1;
  for (size_t r = 0; r < setups.size(); ++r)
    if (!setups[r].error.empty()) {
      ++failed;
      if (first_failed < 0) first_failed = static_cast<int>(r);
    }
  if (failed > 0) {
    const std::string& error = setups[static_cast<size_t>(first_failed)].error;
    bool alike = failed == static_cast<int>(setups.size());
    for (const RankSetup& s : setups) alike = alike && s.error == error;
    if (alike) throw JobError(error);
    throw JobError("rank " + std::to_string(first_failed) + ": " + error);
  }
  const RankSetup& root = setups.front();
  for (size_t r = 1; r < setups.size(); ++r) {
    const RankSetup& other = setups[r];
    const size_t n = std::max(root.facts.size(), other.facts.size());
    for (size_t i = 0; i < n; ++i) {
      const bool same = i < root.facts.size() && i < other.facts.size() &&
                        root.facts[i].name == other.facts[i].name && root.facts[i].value == other.facts[i].value;
      if (!same)
        throw JobError("ranks disagree: rank " + std::to_string(r) + ": " + describe(other, i) + ", rank 0: " +
                       describe(root, i));
    }
  }
}

}  // namespace convoy
