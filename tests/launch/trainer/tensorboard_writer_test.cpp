// TensorBoard event files: CRC-32C against published check values, the
// TFRecord framing byte by byte, and what a writer puts in a new file. That
// TensorBoard itself reads the files: tests/programs/tensorboard_events.sh.
#include "launch/trainer/tensorboard_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "launch/trainer/tensorboard_event.pb.h"
#include "tests/common/test_support.h"

namespace convoy {
namespace {

uint64_t read_le(const std::string& bytes, size_t at, int count) {
  uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

TEST(TensorBoardWriter, Crc32cMatchesPublishedCheckValues) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // the CRC catalogue's check value for CRC-32C
  const std::string zeros(32, '\0'), ones(32, '\xFF');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720, B.4
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  // TFRecord's mask: rotate right by 15, add a constant.
  const uint32_t crc = 0xE3069283u;
  EXPECT_EQ(masked_crc32c("123456789", 9), static_cast<uint32_t>(((crc >> 15) | (crc << 17)) + 0xa282ead8u));
}

TEST(TensorBoardWriter, RecordsAreLengthCrcDataCrc) {
  const std::string data = "hello, tensorboard";
  const std::string record = tfrecord(data);
  ASSERT_EQ(record.size(), 8 + 4 + data.size() + 4);
  EXPECT_EQ(read_le(record, 0, 8), data.size());
  EXPECT_EQ(read_le(record, 8, 4), masked_crc32c(record.data(), 8));
  EXPECT_EQ(record.substr(12, data.size()), data);
  EXPECT_EQ(read_le(record, 12 + data.size(), 4), masked_crc32c(data.data(), data.size()));
}

// The events of a file, parsed back.
std::vector<tensorboard::Event> events_in(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<tensorboard::Event> events;
  for (size_t at = 0; at < bytes.size();) {
    const size_t length = read_le(bytes, at, 8);
    tensorboard::Event event;
    EXPECT_TRUE(event.ParseFromString(bytes.substr(at + 12, length)));
    events.push_back(event);
    at += 16 + length;
  }
  return events;
}

TEST(TensorBoardWriter, ANewFileHasTheVersionAResumedOneASessionStart) {
  testing::TempDir dir;
  {
    TensorBoardWriter fresh(dir / "fresh", -1);
    EXPECT_NE(std::filesystem::path(fresh.path()).filename().string().find("tfevents"), std::string::npos);
    fresh.scalars(10, {{"train/loss", 2.5}, {"train/lr", 0.01}});
    const auto events = events_in(fresh.path());  // flushed: readable while the writer is open
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].file_version(), "brain.Event:2");
    EXPECT_EQ(events[1].step(), 10);
    ASSERT_EQ(events[1].summary().value_size(), 2);
    EXPECT_EQ(events[1].summary().value(1).tag(), "train/lr");
    EXPECT_EQ(events[1].summary().value(1).simple_value(), 0.01f);
  }
  TensorBoardWriter resumed(dir / "resumed", 17);
  const auto events = events_in(resumed.path());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].session_log().status(), tensorboard::SessionLog::START);
  EXPECT_EQ(events[1].step(), 17);
}

TEST(TensorBoardWriter, AnUnwritableFolderIsAUserError) {
  testing::TempDir dir;
  std::ofstream(dir / "file") << "x";
  testing::expect_error([&] { TensorBoardWriter(dir / "file/tb", -1); }, "cannot create the TensorBoard folder");
}

}  // namespace
}  // namespace convoy
