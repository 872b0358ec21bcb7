#include "launch/trainer/tensorboard_writer.h"

#include <unistd.h>

#include <boost/crc.hpp>
#include <chrono>
#include <filesystem>

#include "core/error.h"
#include "launch/trainer/tensorboard_event.pb.h"

namespace convoy {

namespace {

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void append_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

}  // namespace

uint32_t crc32c(const void* bytes, size_t size) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(bytes, size);
  return crc.checksum();
}

uint32_t masked_crc32c(const void* bytes, size_t size) {
  const uint32_t crc = crc32c(bytes, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

std::string tfrecord(const std::string& data) {
  std::string record, length;
  append_le(length, data.size(), 8);
  record += length;
  append_le(record, masked_crc32c(length.data(), length.size()), 4);
  record += data;
  append_le(record, masked_crc32c(data.data(), data.size()), 4);
  return record;
}

TensorBoardWriter::TensorBoardWriter(const std::string& folder, int64_t resume_step) {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) CONVOY_USER_ERROR("cannot create the TensorBoard folder '", folder, "': ", ec.message());
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const double now = wall_time();
  path_ = (std::filesystem::path(folder) / ("events.out.tfevents." + std::to_string(static_cast<int64_t>(now)) + "." +
                                            host + "." + std::to_string(::getpid()) + ".convoy"))
              .string();
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) CONVOY_USER_ERROR("cannot write the TensorBoard event file '", path_, "'");
  tensorboard::Event version;
  version.set_wall_time(now);
  version.set_file_version("brain.Event:2");
  write_event(version.SerializeAsString());
  if (resume_step >= 0) {
    tensorboard::Event start;
    start.set_wall_time(now);
    start.set_step(resume_step);
    start.mutable_session_log()->set_status(tensorboard::SessionLog::START);
    write_event(start.SerializeAsString());
  }
  out_.flush();
}

void TensorBoardWriter::scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values) {
  if (!enabled()) return;
  tensorboard::Event event;
  event.set_wall_time(wall_time());
  event.set_step(step);
  for (const auto& [tag, value] : values) {
    auto* v = event.mutable_summary()->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  write_event(event.SerializeAsString());
  out_.flush();
}

void TensorBoardWriter::write_event(const std::string& serialized) {
  out_ << tfrecord(serialized);
  if (!out_) CONVOY_USER_ERROR("cannot write the TensorBoard event file '", path_, "' (disk full?)");
}

}  // namespace convoy
