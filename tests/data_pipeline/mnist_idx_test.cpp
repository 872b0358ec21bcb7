// MNIST IDX reading and IDX -> HDF5 conversion, on small IDX files made here.
#include "data_pipeline/mnist_idx.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "core/error.h"
#include "tests/common/test_support.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/mnist_to_hdf5.h"
#include "formats/hdf5_file.h"

namespace convoy {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

void append_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

std::vector<uint8_t> idx_images(uint32_t count, uint32_t rows, uint32_t cols, const std::vector<uint8_t>& pixels,
                                uint32_t magic = 2051) {
  std::vector<uint8_t> bytes;
  append_be32(bytes, magic);
  append_be32(bytes, count);
  append_be32(bytes, rows);
  append_be32(bytes, cols);
  bytes.insert(bytes.end(), pixels.begin(), pixels.end());
  return bytes;
}

std::vector<uint8_t> idx_labels(const std::vector<uint8_t>& labels, uint32_t magic = 2049,
                                int64_t count = -1) {
  std::vector<uint8_t> bytes;
  append_be32(bytes, magic);
  append_be32(bytes, static_cast<uint32_t>(count >= 0 ? count : static_cast<int64_t>(labels.size())));
  bytes.insert(bytes.end(), labels.begin(), labels.end());
  return bytes;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes, bool gzip = false) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    if (!bytes.empty()) {
      ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    }
    ASSERT_EQ(gzclose(f), Z_OK);
  } else {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good());
  }
}

std::vector<uint8_t> pattern(size_t n, uint32_t seed = 7) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed;
  for (auto& p : v) {
    x = x * 1664525u + 1013904223u;
    p = static_cast<uint8_t>(x >> 24);
  }
  return v;
}

// The message of the user error `f` throws; fails the test if it throws none.
std::string user_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_user_error()) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected a convoy::Error";
  return "";
}

// Files in `dir` whose names start with `prefix` (to spot leftover temporaries).
std::vector<std::string> files_starting(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) found.push_back(entry.path().filename());
  return found;
}

// Checks that an error message names what it should.
#define EXPECT_MENTIONS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << "message: " << (text) << "\nlacks: " << (part)

// ---------------------------------------------------------------------------------------------
// Reading IDX files

TEST(MnistIdxTest, ReadsRawAndGzippedImages) {
  TempDir dir;
  const auto pixels = pattern(3 * 4 * 5);
  for (bool gzip : {false, true}) {
    const std::string path = dir.file(gzip ? "images.gz" : "images");
    write_file(path, idx_images(3, 4, 5, pixels), gzip);
    const IdxImages images = read_idx_images(path);
    EXPECT_EQ(images.count, 3);
    EXPECT_EQ(images.rows, 4);
    EXPECT_EQ(images.cols, 5);
    EXPECT_EQ(images.pixels, pixels) << path;
  }
}

TEST(MnistIdxTest, ReadsRawAndGzippedLabels) {
  TempDir dir;
  const std::vector<uint8_t> labels{0, 9, 3, 3, 7};
  for (bool gzip : {false, true}) {
    const std::string path = dir.file(gzip ? "labels.gz" : "labels");
    write_file(path, idx_labels(labels), gzip);
    EXPECT_EQ(read_idx_labels(path), std::vector<int32_t>(labels.begin(), labels.end())) << path;
  }
}

TEST(MnistIdxTest, ReadsEmptySets) {
  TempDir dir;
  write_file(dir.file("images"), idx_images(0, 28, 28, {}));
  write_file(dir.file("labels"), idx_labels({}));
  EXPECT_EQ(read_idx_images(dir.file("images")).count, 0);
  EXPECT_TRUE(read_idx_labels(dir.file("labels")).empty());
}

TEST(MnistIdxTest, RejectsWrongMagic) {
  TempDir dir;
  write_file(dir.file("images-as-labels"), idx_images(1, 2, 2, pattern(4), 2049));
  std::string what = user_error([&] { read_idx_images(dir.file("images-as-labels")); });
  EXPECT_MENTIONS(what, "images-as-labels");
  EXPECT_MENTIONS(what, "magic number is 2049, expected 2051");
  EXPECT_MENTIONS(what, "looks like a label file");

  write_file(dir.file("bad-labels.gz"), idx_labels({1, 2}, 0x01080000), true);  // byte-swapped magic
  what = user_error([&] { read_idx_labels(dir.file("bad-labels.gz")); });
  EXPECT_MENTIONS(what, "bad-labels.gz");
  EXPECT_MENTIONS(what, "expected 2049");

  // An image file passed as labels.
  write_file(dir.file("real-images"), idx_images(1, 2, 2, pattern(4)));
  what = user_error([&] { read_idx_labels(dir.file("real-images")); });
  EXPECT_MENTIONS(what, "real-images");
  EXPECT_MENTIONS(what, "looks like an image file");
}

TEST(MnistIdxTest, RejectsTruncatedImages) {
  TempDir dir;
  // Header promises 3 images of 4x5 = 60 pixels (76 bytes with the header); 50 pixels present.
  const auto bytes = idx_images(3, 4, 5, pattern(50));
  for (bool gzip : {false, true}) {
    const std::string path = dir.file(gzip ? "short-images.gz" : "short-images");
    write_file(path, bytes, gzip);
    const std::string what = user_error([&] { read_idx_images(path); });
    EXPECT_MENTIONS(what, path);
    EXPECT_MENTIONS(what, "truncated");
    EXPECT_MENTIONS(what, "76 bytes");
    EXPECT_MENTIONS(what, "only 66 bytes");
  }
}

TEST(MnistIdxTest, RejectsTruncatedGzipStream) {
  TempDir dir;
  const std::string full = dir.file("full.gz");
  write_file(full, idx_images(20, 28, 28, pattern(20 * 28 * 28)), true);
  std::ifstream in(full, std::ios::binary);
  std::vector<char> gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  gz.resize(gz.size() / 2);  // cut the compressed stream in half
  const std::string cut = dir.file("cut.gz");
  std::ofstream(cut, std::ios::binary).write(gz.data(), static_cast<std::streamsize>(gz.size()));
  const std::string what = user_error([&] { read_idx_images(cut); });
  EXPECT_MENTIONS(what, cut);
  EXPECT_MENTIONS(what, "truncated");
}

TEST(MnistIdxTest, RejectsCorruptGzip) {
  TempDir dir;
  const std::string path = dir.file("corrupt.gz");
  write_file(path, idx_images(20, 28, 28, pattern(20 * 28 * 28)), true);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(100);
  const char junk[64] = {};
  f.write(junk, sizeof junk);
  f.close();
  const std::string what = user_error([&] { read_idx_images(path); });
  EXPECT_MENTIONS(what, path);
}

TEST(MnistIdxTest, RejectsTruncatedLabelsAndHeaders) {
  TempDir dir;
  write_file(dir.file("short-labels"), idx_labels({1, 2, 3}, 2049, 10));
  std::string what = user_error([&] { read_idx_labels(dir.file("short-labels")); });
  EXPECT_MENTIONS(what, "short-labels");
  EXPECT_MENTIONS(what, "promises 10 labels, 18 bytes");
  EXPECT_MENTIONS(what, "only 11 bytes");

  write_file(dir.file("stub"), {0, 0, 8, 3, 0});
  what = user_error([&] { read_idx_images(dir.file("stub")); });
  EXPECT_MENTIONS(what, "stub");
  EXPECT_MENTIONS(what, "16-byte header but found 5 bytes");

  write_file(dir.file("empty"), {});
  what = user_error([&] { read_idx_labels(dir.file("empty")); });
  EXPECT_MENTIONS(what, "empty");
  EXPECT_MENTIONS(what, "found 0 bytes");
}

TEST(MnistIdxTest, RejectsTrailingBytes) {
  TempDir dir;
  write_file(dir.file("long-images"), idx_images(1, 2, 2, pattern(7)));
  const std::string what = user_error([&] { read_idx_images(dir.file("long-images")); });
  EXPECT_MENTIONS(what, "long-images");
  EXPECT_MENTIONS(what, "holds 23 bytes but its header promises 20");
}

TEST(MnistIdxTest, RejectsImplausibleDims) {
  TempDir dir;
  write_file(dir.file("zero-rows"), idx_images(1, 0, 28, {}));
  const std::string what = user_error([&] { read_idx_images(dir.file("zero-rows")); });
  EXPECT_MENTIONS(what, "zero-rows");
  EXPECT_MENTIONS(what, "0x28");
}

TEST(MnistIdxTest, RejectsLabelOutOfRange) {
  TempDir dir;
  write_file(dir.file("labels-12"), idx_labels({1, 2, 12, 3}));
  const std::string what = user_error([&] { read_idx_labels(dir.file("labels-12")); });
  EXPECT_MENTIONS(what, "labels-12");
  EXPECT_MENTIONS(what, "label 12 at index 2");
  EXPECT_MENTIONS(what, "0..9");
}

TEST(MnistIdxTest, RejectsMissingFileAndFolder) {
  TempDir dir;
  std::string what = user_error([&] { read_idx_images(dir.file("nope-idx3-ubyte")); });
  EXPECT_MENTIONS(what, dir.file("nope-idx3-ubyte"));
  EXPECT_MENTIONS(what, "does not exist");
  what = user_error([&] { read_idx_labels(dir.path().string()); });
  EXPECT_MENTIONS(what, "is a folder");
}

TEST(MnistIdxTest, FindsIdxFilesUnderEverySpelling) {
  TempDir dir;
  const std::string folder = dir.path().string();
  write_file(dir.file("train-images-idx3-ubyte.gz"), {});
  EXPECT_EQ(find_idx_file(folder, "train-images-idx3-ubyte"), dir.file("train-images-idx3-ubyte.gz"));
  write_file(dir.file("train-images-idx3-ubyte"), {});  // raw preferred when both exist
  EXPECT_EQ(find_idx_file(folder, "train-images-idx3-ubyte"), dir.file("train-images-idx3-ubyte"));
  write_file(dir.file("t10k-labels.idx1-ubyte"), {});
  EXPECT_EQ(find_idx_file(folder, "t10k-labels-idx1-ubyte"), dir.file("t10k-labels.idx1-ubyte"));
  write_file(dir.file("t10k-images.idx3-ubyte.gz"), {});
  EXPECT_EQ(find_idx_file(folder, "t10k-images-idx3-ubyte"), dir.file("t10k-images.idx3-ubyte.gz"));

  std::string what = user_error([&] { find_idx_file(folder, "train-labels-idx1-ubyte"); });
  EXPECT_MENTIONS(what, "train-labels-idx1-ubyte");
  EXPECT_MENTIONS(what, folder);
  EXPECT_MENTIONS(what, "missing");

  what = user_error([&] { find_idx_file(dir.file("no-such-folder"), "train-labels-idx1-ubyte"); });
  EXPECT_MENTIONS(what, "no-such-folder");
  EXPECT_MENTIONS(what, "does not exist");
}

// ---------------------------------------------------------------------------------------------
// Converting to HDF5

TEST(MnistToHdf5Test, RoundTripKeepsImagesLabelsAndAttributes) {
  TempDir dir;
  // Two 2x3 images; the first is a known case (0, 0.2, 0.4, 1, 0, 1 in [0,1] units).
  std::vector<uint8_t> pixels{0, 51, 102, 255, 0, 255, 10, 20, 30, 40, 50, 60};
  write_file(dir.file("images.gz"), idx_images(2, 2, 3, pixels), true);
  write_file(dir.file("labels"), idx_labels({9, 0}));
  const std::string out = dir.file("out.h5");
  convert_mnist_split(dir.file("images.gz"), dir.file("labels"), out);

  Hdf5File file(out, Hdf5File::Mode::kRead);
  EXPECT_EQ(file.dataset_shape("/images"), (Shape{2, 2, 3, 1}));
  std::vector<uint8_t> stored(pixels.size());
  file.read("/images", stored.data(), static_cast<int64_t>(stored.size()));
  EXPECT_EQ(stored, pixels);
  std::vector<int32_t> labels(2);
  file.read("/labels", labels.data(), 2);
  EXPECT_EQ(labels, (std::vector<int32_t>{9, 0}));
  EXPECT_EQ(file.read_strings("/class_names"),
            (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(file.attribute_int("/", "num_classes"), 10);
  EXPECT_EQ(file.attribute_int("/", "height"), 2);
  EXPECT_EQ(file.attribute_int("/", "width"), 3);
  EXPECT_EQ(file.attribute_int("/", "channels"), 1);

  // By hand: sum = 0+51+102+255+0+255+10+20+30+40+50+60 = 873 -> mean 873/12/255;
  // sum of squares = 2601+10404+65025+65025+100+400+900+1600+2500+3600 = 152155.
  const double mean = 873.0 / 12.0 / 255.0;
  const double stddev = std::sqrt(152155.0 / 12.0 / (255.0 * 255.0) - mean * mean);
  ASSERT_EQ(file.attribute_doubles("/", "channel_mean").size(), 1u);
  ASSERT_EQ(file.attribute_doubles("/", "channel_std").size(), 1u);
  EXPECT_NEAR(file.attribute_doubles("/", "channel_mean")[0], mean, 1e-12);
  EXPECT_NEAR(file.attribute_doubles("/", "channel_std")[0], stddev, 1e-12);
  EXPECT_NEAR(mean, 0.285294117647, 1e-11);  // the by-hand figure itself
  EXPECT_NEAR(stddev, 0.337050116424, 1e-11);
  file.close();

  const auto data = ImageDataset::open(out);
  EXPECT_EQ(data.size(), 2);
  EXPECT_EQ(data.label(0), 9);
  EXPECT_EQ(data.image(1)[0], 10);
  EXPECT_TRUE(files_starting(dir.path(), "out.h5.tmp").empty());
}

TEST(MnistToHdf5Test, ImagesAreChunkedOnePerChunk) {
  TempDir dir;
  write_file(dir.file("images"), idx_images(5, 28, 28, pattern(5 * 28 * 28)));
  write_file(dir.file("labels"), idx_labels({0, 1, 2, 3, 4}));
  const std::string out = dir.file("out.h5");
  convert_mnist_split(dir.file("images"), dir.file("labels"), out);

  const hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t d = H5Dopen2(f, "/images", H5P_DEFAULT);
  const hid_t plist = H5Dget_create_plist(d);
  EXPECT_EQ(H5Pget_layout(plist), H5D_CHUNKED);
  hsize_t chunk[4] = {};
  EXPECT_EQ(H5Pget_chunk(plist, 4, chunk), 4);
  EXPECT_EQ(chunk[0], 1u);
  EXPECT_EQ(chunk[1], 28u);
  EXPECT_EQ(chunk[2], 28u);
  EXPECT_EQ(chunk[3], 1u);
  const hid_t type = H5Dget_type(d);
  EXPECT_TRUE(H5Tequal(type, H5T_NATIVE_UINT8) > 0);
  H5Tclose(type);
  H5Pclose(plist);
  H5Dclose(d);
  H5Fclose(f);
}

TEST(MnistToHdf5Test, StatsMatchATwoPassReference) {
  TempDir dir;
  const auto pixels = pattern(7 * 28 * 28, 12345);
  write_file(dir.file("images"), idx_images(7, 28, 28, pixels));
  write_file(dir.file("labels.gz"), idx_labels({0, 1, 2, 3, 4, 5, 6}), true);
  convert_mnist_split(dir.file("images"), dir.file("labels.gz"), dir.file("out.h5"));

  double sum = 0;
  for (uint8_t p : pixels) sum += p / 255.0;
  const double mean = sum / static_cast<double>(pixels.size());
  double squares = 0;
  for (uint8_t p : pixels) squares += (p / 255.0 - mean) * (p / 255.0 - mean);
  const double stddev = std::sqrt(squares / static_cast<double>(pixels.size()));

  const auto data = ImageDataset::open(dir.file("out.h5"));
  EXPECT_NEAR(data.channel_mean()[0], mean, 1e-12);
  EXPECT_NEAR(data.channel_std()[0], stddev, 1e-12);
}

TEST(MnistToHdf5Test, CountMismatchIsRejectedAndLeavesNothing) {
  TempDir dir;
  write_file(dir.file("images3"), idx_images(3, 2, 2, pattern(12)));
  write_file(dir.file("labels2"), idx_labels({1, 2}));
  const std::string out = dir.file("out.h5");
  const std::string what = user_error([&] { convert_mnist_split(dir.file("images3"), dir.file("labels2"), out); });
  EXPECT_MENTIONS(what, "images3");
  EXPECT_MENTIONS(what, "labels2");
  EXPECT_MENTIONS(what, "3 images");
  EXPECT_MENTIONS(what, "2 labels");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(files_starting(dir.path(), "out.h5").empty());
}

TEST(MnistToHdf5Test, EveryBadInputLeavesNoOutputOrTemporary) {
  TempDir dir;
  write_file(dir.file("good-images"), idx_images(3, 2, 2, pattern(12)));
  write_file(dir.file("good-labels"), idx_labels({1, 2, 3}));
  write_file(dir.file("wrong-magic"), idx_images(3, 2, 2, pattern(12), 2050));
  write_file(dir.file("truncated.gz"), idx_images(3, 2, 2, pattern(11)), true);
  write_file(dir.file("label-12"), idx_labels({1, 12, 3}));
  struct Case {
    std::string images, labels, expected;
  };
  const std::vector<Case> cases{
      {"wrong-magic", "good-labels", "magic number is 2050"},
      {"truncated.gz", "good-labels", "truncated"},
      {"good-images", "label-12", "label 12"},
      {"good-images", "missing-labels", "does not exist"},
      {"missing-images", "good-labels", "does not exist"},
  };
  const std::string out = dir.file("out.h5");
  for (const Case& c : cases) {
    const std::string what =
        user_error([&] { convert_mnist_split(dir.file(c.images), dir.file(c.labels), out); });
    const std::string& culprit = c.images.starts_with("good") ? c.labels : c.images;
    EXPECT_MENTIONS(what, culprit);
    EXPECT_MENTIONS(what, c.expected);
    EXPECT_FALSE(fs::exists(out)) << c.images << " + " << c.labels;
    EXPECT_TRUE(files_starting(dir.path(), "out.h5").empty()) << c.images << " + " << c.labels;
  }
}

TEST(MnistToHdf5Test, FailedConversionKeepsAnExistingOutput) {
  TempDir dir;
  write_file(dir.file("images"), idx_images(2, 2, 2, pattern(8)));
  write_file(dir.file("labels"), idx_labels({1, 2}));
  write_file(dir.file("label-12"), idx_labels({1, 12}));
  const std::string out = dir.file("out.h5");
  convert_mnist_split(dir.file("images"), dir.file("labels"), out);
  const auto before = fs::file_size(out);
  user_error([&] { convert_mnist_split(dir.file("images"), dir.file("label-12"), out); });
  ASSERT_TRUE(fs::exists(out));
  EXPECT_EQ(fs::file_size(out), before);
  EXPECT_EQ(ImageDataset::open(out).label(1), 2);
  // A successful rerun replaces it.
  convert_mnist_split(dir.file("images"), dir.file("labels"), out);
  EXPECT_EQ(files_starting(dir.path(), "out.h5"), std::vector<std::string>{"out.h5"});
}

TEST(MnistToHdf5Test, FailedRenameRemovesTheTemporary) {
  TempDir dir;
  write_file(dir.file("images"), idx_images(2, 2, 2, pattern(8)));
  write_file(dir.file("labels"), idx_labels({1, 2}));
  // A non-empty folder where the output should go: the HDF5 write succeeds, the rename fails.
  const std::string out = dir.file("out.h5");
  fs::create_directories(fs::path(out) / "occupied");
  const std::string what = user_error([&] { convert_mnist_split(dir.file("images"), dir.file("labels"), out); });
  EXPECT_MENTIONS(what, out);
  EXPECT_EQ(files_starting(dir.path(), "out.h5"), std::vector<std::string>{"out.h5"});
  EXPECT_TRUE(fs::is_directory(out));
}

TEST(MnistToHdf5Test, ConvertsAFolderOfMixedSpellings) {
  TempDir dir;
  const fs::path idx = dir.path() / "idx";
  fs::create_directories(idx);
  write_file((idx / "train-images-idx3-ubyte.gz").string(), idx_images(6, 28, 28, pattern(6 * 784, 1)), true);
  write_file((idx / "train-labels-idx1-ubyte").string(), idx_labels({0, 1, 2, 3, 4, 5}));
  write_file((idx / "t10k-images.idx3-ubyte").string(), idx_images(4, 28, 28, pattern(4 * 784, 2)));
  write_file((idx / "t10k-labels.idx1-ubyte.gz").string(), idx_labels({6, 7, 8, 9}), true);
  const fs::path out = dir.path() / "out" / "nested";
  convert_mnist_folder(idx.string(), out.string());

  const auto train = ImageDataset::open((out / kMnistTrainFile).string());
  const auto test = ImageDataset::open((out / kMnistTestFile).string());
  EXPECT_EQ(train.size(), 6);
  EXPECT_EQ(test.size(), 4);
  EXPECT_EQ(test.label(3), 9);
  const auto train_pixels = pattern(6 * 784, 1);
  EXPECT_EQ(std::vector<uint8_t>(train.image(5), train.image(5) + 784),
            std::vector<uint8_t>(train_pixels.begin() + 5 * 784, train_pixels.end()));
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 2);
}

TEST(MnistToHdf5Test, FolderWithAMissingFileWritesNothing) {
  TempDir dir;
  const fs::path idx = dir.path() / "idx";
  fs::create_directories(idx);
  write_file((idx / "train-images-idx3-ubyte").string(), idx_images(1, 28, 28, pattern(784)));
  write_file((idx / "train-labels-idx1-ubyte").string(), idx_labels({0}));
  write_file((idx / "t10k-images-idx3-ubyte").string(), idx_images(1, 28, 28, pattern(784)));
  const fs::path out = dir.path() / "out";
  const std::string what = user_error([&] { convert_mnist_folder(idx.string(), out.string()); });
  EXPECT_MENTIONS(what, "t10k-labels-idx1-ubyte");
  EXPECT_MENTIONS(what, idx.string());
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace convoy
