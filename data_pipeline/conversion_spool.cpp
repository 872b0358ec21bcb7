#include "data_pipeline/conversion_spool.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "core/error.h"
#include "formats/atomic_file.h"

namespace convoy {

namespace fs = std::filesystem;

namespace {

constexpr int kStateVersion = 1;

std::string state_path(const std::string& folder) { return folder + "/state.json"; }

void flush_to_disk(std::FILE* file, const std::string& path) {
  if (std::fflush(file) != 0 || ::fdatasync(::fileno(file)) != 0)
    CONVOY_USER_ERROR("cannot write '", path, "': ", std::strerror(errno));
}

SpoolState read_state(const std::string& path) {
  std::ifstream in(path);
  nlohmann::json j;
  try {
    in >> j;
    SpoolState s;
    if (j.at("version").get<int>() != kStateVersion) throw std::runtime_error("another version");
    s.fingerprint = j.at("fingerprint").get<std::string>();
    s.total = j.at("total").get<int64_t>();
    s.next_input = j.at("next_input").get<int64_t>();
    s.records = j.at("records").get<int64_t>();
    s.bytes = j.at("bytes").get<int64_t>();
    s.skipped = j.at("skipped").get<std::vector<int64_t>>();
    s.moments = j.at("moments").get<std::vector<double>>();
    if (s.moments.size() != 13 && !s.moments.empty()) throw std::runtime_error("moments of the wrong length");
    const bool skipped_fit = std::is_sorted(s.skipped.begin(), s.skipped.end()) &&
                             (s.skipped.empty() || (s.skipped.front() >= 0 && s.skipped.back() < s.next_input));
    if (s.next_input < 0 || s.next_input > s.total || s.records < 0 || s.bytes < 0 || !skipped_fit ||
        s.records + static_cast<int64_t>(s.skipped.size()) != s.next_input)
      throw std::runtime_error("its counts disagree");
    return s;
  } catch (const std::exception& e) {
    CONVOY_USER_ERROR("partial conversion state '", path, "' is unreadable (", e.what(),
                      "); rerun with --restart to discard it");
  }
}

}  // namespace

std::string partial_folder_for(const std::string& out) { return out + ".partial"; }

ConversionSpool::ConversionSpool(const std::string& out, const std::string& fingerprint, int64_t total,
                                 bool restart)
    : folder_(partial_folder_for(out)) {
  std::error_code ec;
  const bool has_state = fs::exists(state_path(folder_), ec);
  if (restart || !has_state) fs::remove_all(folder_, ec);  // no state: nothing was committed yet
  if (!restart && has_state) {
    committed_ = read_state(state_path(folder_));
    if (committed_.fingerprint != fingerprint || committed_.total != total)
      CONVOY_USER_ERROR("'", folder_, "' holds a partial conversion of other inputs or options (", committed_.next_input,
                        " of ", committed_.total, " images done; it was: ", committed_.fingerprint, "; now: ",
                        fingerprint, "). Restore them to continue it, or rerun with --restart to discard it");
  } else {
    committed_.fingerprint = fingerprint;
    committed_.total = total;
  }
  fs::create_directory(folder_, ec);
  if (ec) CONVOY_USER_ERROR("cannot create '", folder_, "' (is the output's folder writable?): ", ec.message());
  open_data_files(has_state && !restart);
}

ConversionSpool::~ConversionSpool() { close_data_files(); }

void ConversionSpool::open_data_files(bool truncate_to_committed) {
  const std::string records = folder_ + "/records.bin", sizes = folder_ + "/sizes.bin";
  if (truncate_to_committed) {  // cut what a killed run appended after its last commit
    std::error_code ec;
    fs::resize_file(records, static_cast<uintmax_t>(committed_.bytes), ec);
    if (!ec) fs::resize_file(sizes, static_cast<uintmax_t>(committed_.records) * sizeof(int64_t), ec);
    if (ec) CONVOY_USER_ERROR("partial conversion '", folder_, "' lost its data files (", ec.message(),
                              "); rerun with --restart");
  }
  records_ = std::fopen(records.c_str(), truncate_to_committed ? "r+b" : "w+b");
  sizes_ = std::fopen(sizes.c_str(), truncate_to_committed ? "r+b" : "w+b");
  if (!records_ || !sizes_) CONVOY_USER_ERROR("cannot open the data files of '", folder_, "': ", std::strerror(errno));
  std::fseek(records_, 0, SEEK_END);
  std::fseek(sizes_, 0, SEEK_END);
}

void ConversionSpool::close_data_files() {
  if (records_) std::fclose(records_);
  if (sizes_) std::fclose(sizes_);
  records_ = sizes_ = nullptr;
}

void ConversionSpool::append(const uint8_t* data, size_t size) {
  const int64_t length = static_cast<int64_t>(size);
  if (std::fwrite(data, 1, size, records_) != size || std::fwrite(&length, sizeof length, 1, sizes_) != 1)
    CONVOY_USER_ERROR("cannot write to '", folder_, "/records.bin': ", std::strerror(errno));
}

void ConversionSpool::commit(const SpoolState& state) {
  flush_to_disk(records_, folder_ + "/records.bin");
  flush_to_disk(sizes_, folder_ + "/sizes.bin");
  const nlohmann::json j = {{"version", kStateVersion}, {"fingerprint", state.fingerprint},
                            {"total", state.total},     {"next_input", state.next_input},
                            {"records", state.records}, {"bytes", state.bytes},
                            {"skipped", state.skipped}, {"moments", state.moments}};
  write_file_atomically(state_path(folder_), [&](const std::string& temporary) {
    std::ofstream out(temporary);
    out << j.dump() << '\n';  // doubles round-trip exactly
    if (!out.flush()) CONVOY_USER_ERROR("cannot write '", temporary, "'");
  });
  committed_ = state;
}

void ConversionSpool::read(int64_t index, std::vector<uint8_t>& out) {
  CONVOY_CHECK(index == read_index_ && index < committed_.records, "records are read once, in order");
  int64_t size = 0;
  if (::pread(::fileno(sizes_), &size, sizeof size, static_cast<off_t>(index * sizeof size)) != sizeof size ||
      size < 0)
    CONVOY_USER_ERROR("cannot read record ", index, " of '", folder_, "/sizes.bin'");
  out.resize(static_cast<size_t>(size));
  if (::pread(::fileno(records_), out.data(), out.size(), static_cast<off_t>(read_offset_)) != size)
    CONVOY_USER_ERROR("cannot read record ", index, " of '", folder_, "/records.bin'");
  read_offset_ += size;
  read_index_ = index + 1;
}

void ConversionSpool::remove() {
  close_data_files();
  std::error_code ec;
  fs::remove_all(folder_, ec);
}

}  // namespace convoy
