// The flat layout of a JPEG set's images (/jpeg_bytes + /jpeg_offsets), read
// with pread: every image equals what was written, from one or several
// threads and by blocks; every defect of a hostile file is named at open.
#include "data_pipeline/encoded_images.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "core/error.h"
#include "formats/hdf5_file.h"
#include "tests/data_pipeline/image_test_util.h"

namespace convoy {
namespace {

using testing::JpegLayout;
using testing::TempDir;

std::vector<std::vector<uint8_t>> random_entries(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint8_t>> entries;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<uint8_t> e(rng() % 700);  // some empty
    for (auto& b : e) b = static_cast<uint8_t>(rng());
    entries.push_back(std::move(e));
  }
  return entries;
}

std::shared_ptr<const Hdf5File> written(const std::string& path, const std::vector<std::vector<uint8_t>>& entries,
                                        JpegLayout layout) {
  {
    Hdf5File file(path, Hdf5File::Mode::kCreate);
    testing::write_encoded_images(file, entries, layout);
  }
  return std::make_shared<const Hdf5File>(path, Hdf5File::Mode::kRead);
}

TEST(EncodedImages, BothLayoutsReadBackEveryImageFromSeveralThreadsAndByBlocks) {
  TempDir dir;
  const auto entries = random_entries(300, 5);
  for (const JpegLayout layout : {JpegLayout::kFlat, JpegLayout::kVariableLength}) {
    const auto images = EncodedImages::open(written(dir / "set.h5", entries, layout), 1000);
    ASSERT_EQ(images->size(), 300);
    EXPECT_STREQ(images->layout(), layout == JpegLayout::kFlat ? "flat" : "variable-length");
    std::vector<std::thread> readers;
    std::vector<int> mismatches(3, 0);
    for (int t = 0; t < 3; ++t)
      readers.emplace_back([&, t] {
        std::vector<uint8_t> scratch;
        for (int64_t i = t; i < 300; i += 3) {
          const auto got = images->read(i, scratch);
          if (!std::equal(got.begin(), got.end(), entries[i].begin(), entries[i].end())) ++mismatches[t];
        }
      });
    for (auto& r : readers) r.join();
    EXPECT_EQ(mismatches, std::vector<int>(3, 0));
    std::vector<uint8_t> scratch;
    std::vector<int64_t> visited;
    images->read_block(17, 40, scratch, [&](int64_t i, const uint8_t* bytes, size_t size) {
      visited.push_back(i);
      EXPECT_EQ(std::vector<uint8_t>(bytes, bytes + size), entries[i]) << "image " << i;
    });
    EXPECT_EQ(visited.size(), 40u);
    EXPECT_EQ(visited.front(), 17);
    EXPECT_EQ(visited.back(), 56);
  }
}

// A flat file with one defect; the error must name the file and the problem.
void expect_refused(const std::string& path, const std::function<void(Hdf5File&)>& write, const std::string& what) {
  {
    Hdf5File file(path, Hdf5File::Mode::kCreate);
    write(file);
  }
  testing::expect_error(
      [&] { EncodedImages::open(std::make_shared<const Hdf5File>(path, Hdf5File::Mode::kRead), 100); }, what);
  testing::expect_error(
      [&] { EncodedImages::open(std::make_shared<const Hdf5File>(path, Hdf5File::Mode::kRead), 100); }, path);
}

TEST(EncodedImages, FlatLayoutDefectsAreNamedAtOpen) {
  TempDir dir;
  const std::vector<uint8_t> bytes(120, 9);
  auto contiguous = [&](Hdf5File& f, int64_t count) {
    f.create_contiguous_bytes("/jpeg_bytes", count);
    f.write_rows("/jpeg_bytes", 0, count, bytes.data());
  };
  auto offsets = [](Hdf5File& f, std::vector<int64_t> o) {
    f.write("/jpeg_offsets", Shape{static_cast<int64_t>(o.size())}, o.data());
  };
  expect_refused(dir / "only_bytes.h5", [&](Hdf5File& f) { contiguous(f, 10); }, "only one of /jpeg_bytes");
  expect_refused(dir / "only_offsets.h5", [&](Hdf5File& f) { offsets(f, {0, 4}); }, "only one of /jpeg_bytes");
  expect_refused(dir / "start.h5", [&](Hdf5File& f) { contiguous(f, 10), offsets(f, {2, 10}); },
                 "/jpeg_offsets[0] is not 0");
  expect_refused(dir / "backwards.h5", [&](Hdf5File& f) { contiguous(f, 10), offsets(f, {0, 6, 4, 10}); },
                 "image 1 spans -2 bytes");
  expect_refused(dir / "overlong.h5", [&](Hdf5File& f) { contiguous(f, 110), offsets(f, {0, 110}); },
                 "image 0 spans 110 bytes");
  expect_refused(dir / "short.h5", [&](Hdf5File& f) { contiguous(f, 10), offsets(f, {0, 5, 12}); },
                 "expected the 12 bytes");
  expect_refused(dir / "empty_offsets.h5", [&](Hdf5File& f) { contiguous(f, 10), offsets(f, {}); },
                 "/jpeg_offsets of shape");
  expect_refused(
      dir / "chunked.h5", [&](Hdf5File& f) { f.write("/jpeg_bytes", Shape{10}, bytes.data(), 4), offsets(f, {0, 10}); },
      "not stored contiguously");
  const std::vector<int32_t> ints(10, 1);
  expect_refused(dir / "ints.h5", [&](Hdf5File& f) { f.write("/jpeg_bytes", Shape{10}, ints.data()), offsets(f, {0, 10}); },
                 "as uint8");
}

TEST(EncodedImages, AFlatFileCutShortIsRefused) {
  TempDir dir;
  const std::string path = dir / "cut.h5";
  const auto entries = random_entries(50, 6);
  written(path, entries, JpegLayout::kFlat);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 2000);
  // libhdf5 or the layout's own check (the bytes end past the file) refuses it, naming the file.
  testing::expect_error(
      [&] { EncodedImages::open(std::make_shared<const Hdf5File>(path, Hdf5File::Mode::kRead), 1000); }, path);
}

}  // namespace
}  // namespace convoy
