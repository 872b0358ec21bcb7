// ImageDataset: loading a docs/data.md file and rejecting malformed ones clearly.
#include "data_pipeline/hdf5_dataset.h"

#include <gtest/gtest.h>
#include <hdf5.h>  // H5is_library_threadsafe: what the serialised-calls test compares with
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>

#include "core/error.h"
#include "tests/common/test_support.h"
#include "formats/hdf5_file.h"
#include "data_pipeline/loader.h"
#include "data_pipeline/pixel_rows.h"
#include "data_pipeline/sample_source.h"
#include "data_pipeline/sampler.h"

namespace convoy {
namespace {

namespace fs = std::filesystem;

#define EXPECT_MENTIONS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << "message: " << (text) << "\nlacks: " << (part)

using testing::TempDir;

// A small, valid 3-image 4x5x2 file, with knobs to break it one way at a time.
struct FileSpec {
  int64_t n = 3, height = 4, width = 5, channels = 2, num_classes = 4;
  std::optional<Shape> images_shape;  // default (n, height, width, channels)
  std::optional<Shape> labels_shape;  // default (n)
  std::vector<int32_t> labels{0, 3, 1};
  bool write_images = true, write_labels = true, write_class_names = true, write_jpeg = false;
  std::vector<double> mean{0.25, 0.5}, std{0.1, 0.2};
  std::string skip_attribute;
  std::optional<int64_t> class_name_count;  // default num_classes
};

std::vector<uint8_t> pixels_for(const Shape& shape) {
  std::vector<uint8_t> pixels(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 3 + 1);
  return pixels;
}

void write_dataset(const std::string& path, const FileSpec& spec) {
  Hdf5File file(path, Hdf5File::Mode::kCreate);
  const Shape images = spec.images_shape.value_or(Shape{spec.n, spec.height, spec.width, spec.channels});
  if (spec.write_images) file.write("/images", images, pixels_for(images).data(), 1);
  if (spec.write_jpeg) file.write("/jpeg", Shape{spec.n}, pixels_for(Shape{spec.n}).data());  // not variable-length
  if (spec.write_labels) {
    const Shape labels = spec.labels_shape.value_or(Shape{static_cast<int64_t>(spec.labels.size())});
    std::vector<int32_t> values = spec.labels;
    values.resize(static_cast<size_t>(labels.numel()), 0);
    file.write("/labels", labels, values.data());
  }
  if (spec.write_class_names) {
    std::vector<std::string> names;
    for (int64_t c = 0; c < spec.class_name_count.value_or(spec.num_classes); ++c) names.push_back("class" + std::to_string(c));
    file.write_strings("/class_names", names);
  }
  auto set_int = [&](const char* name, int64_t v) {
    if (spec.skip_attribute != name) file.set_attribute("/", name, v);
  };
  set_int("num_classes", spec.num_classes);
  set_int("height", spec.height);
  set_int("width", spec.width);
  set_int("channels", spec.channels);
  if (spec.skip_attribute != "channel_mean") file.set_attribute("/", "channel_mean", spec.mean);
  if (spec.skip_attribute != "channel_std") file.set_attribute("/", "channel_std", spec.std);
  file.close();
}

std::string open_error(const std::string& path) {
  try {
    ImageDataset::open(path);
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_user_error()) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "opening " << path << " should have failed";
  return "";
}

// Writes `spec` as `name`, expects open() to fail, returns the message (checked to name the file).
std::string malformed(const TempDir& dir, const std::string& name, const FileSpec& spec) {
  const std::string path = dir.file(name);
  write_dataset(path, spec);
  std::string what = open_error(path);
  EXPECT_MENTIONS(what, path);
  return what;
}

TEST(Hdf5DatasetTest, LoadsAValidFile) {
  TempDir dir;
  const std::string path = dir.file("good.h5");
  write_dataset(path, FileSpec{});
  const auto data = ImageDataset::open(path);
  EXPECT_EQ(data.path(), path);
  EXPECT_EQ(data.size(), 3);
  EXPECT_EQ(data.height(), 4);
  EXPECT_EQ(data.width(), 5);
  EXPECT_EQ(data.channels(), 2);
  EXPECT_EQ(data.num_classes(), 4);
  EXPECT_EQ(data.channel_mean(), (std::vector<double>{0.25, 0.5}));
  EXPECT_EQ(data.channel_std(), (std::vector<double>{0.1, 0.2}));
  EXPECT_EQ(data.class_names(), (std::vector<std::string>{"class0", "class1", "class2", "class3"}));
  const auto pixels = pixels_for(Shape{3, 4, 5, 2});
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(data.label(i), (std::vector<int32_t>{0, 3, 1})[static_cast<size_t>(i)]);
    // HWC: pixel (y, x, c) of image i.
    for (int64_t k = 0; k < 40; ++k) ASSERT_EQ(data.image(i)[k], pixels[static_cast<size_t>(i * 40 + k)]);
  }
  EXPECT_EQ(data.image(2) - data.image(0), 80);
}

TEST(Hdf5DatasetTest, ClassNamesAreOptional) {
  TempDir dir;
  FileSpec spec;
  spec.write_class_names = false;
  write_dataset(dir.file("unnamed.h5"), spec);
  EXPECT_TRUE(ImageDataset::open(dir.file("unnamed.h5")).class_names().empty());
}

TEST(Hdf5DatasetTest, IndexOutOfRangeIsAnError) {
  TempDir dir;
  write_dataset(dir.file("good.h5"), FileSpec{});
  const auto data = ImageDataset::open(dir.file("good.h5"));
  EXPECT_THROW(data.image(3), Error);
  EXPECT_THROW(data.label(-1), Error);
}

TEST(Hdf5DatasetTest, RejectsMissingAndNonHdf5Files) {
  TempDir dir;
  std::string what = open_error(dir.file("absent.h5"));
  EXPECT_MENTIONS(what, dir.file("absent.h5"));
  std::ofstream(dir.file("text.h5")) << "not hdf5\n";
  what = open_error(dir.file("text.h5"));
  EXPECT_MENTIONS(what, dir.file("text.h5"));
  EXPECT_MENTIONS(what, "not HDF5");
}

TEST(Hdf5DatasetTest, RejectsMissingDatasets) {
  TempDir dir;
  FileSpec no_labels;
  no_labels.write_labels = false;
  EXPECT_MENTIONS(malformed(dir, "no_labels.h5", no_labels), "no /labels");

  FileSpec no_images;
  no_images.write_images = false;
  EXPECT_MENTIONS(malformed(dir, "no_images.h5", no_images), "no /images");

  // A /jpeg of plain bytes (one per image, so the labels match) is refused at
  // open, not at the first read. (The file's name must not contain "jpeg":
  // an earlier version of this test passed on the path alone.)
  FileSpec jpeg_only = no_images;
  jpeg_only.write_jpeg = true;
  const std::string what = malformed(dir, "blobs.h5", jpeg_only);
  EXPECT_MENTIONS(what, "/jpeg dataset that is not variable-length");
}

TEST(Hdf5DatasetTest, RejectsImpossibleSizes) {
  TempDir dir;
  FileSpec huge;  // would overflow height x width x channels
  huge.height = int64_t{1} << 40;
  huge.images_shape = Shape{3, 4, 5, 2};
  EXPECT_MENTIONS(malformed(dir, "huge.h5", huge), "height = 1099511627776; it must be from 1 to 65535");
  FileSpec channels;
  channels.channels = 300;
  channels.mean.assign(300, 0.5);
  channels.std.assign(300, 0.5);
  EXPECT_MENTIONS(malformed(dir, "channels.h5", channels), "channels = 300");
}

TEST(Hdf5DatasetTest, RejectsMissingOrBadAttributes) {
  TempDir dir;
  for (const char* name : {"num_classes", "height", "width", "channels", "channel_mean", "channel_std"}) {
    FileSpec spec;
    spec.skip_attribute = name;
    const std::string what = malformed(dir, std::string("no_") + name + ".h5", spec);
    EXPECT_MENTIONS(what, std::string("'") + name + "'");
  }
  FileSpec short_mean;
  short_mean.mean = {0.5};
  EXPECT_MENTIONS(malformed(dir, "short_mean.h5", short_mean), "1 values in 'channel_mean' but 2 channels");

  FileSpec zero_std;
  zero_std.std = {0.1, 0.0};
  EXPECT_MENTIONS(malformed(dir, "zero_std.h5", zero_std), "channel_std");

  FileSpec no_classes;
  no_classes.num_classes = 0;
  no_classes.write_class_names = false;
  EXPECT_MENTIONS(malformed(dir, "no_classes.h5", no_classes), "num_classes = 0");
}

TEST(Hdf5DatasetTest, RejectsLabelsOutsideTheClasses) {
  TempDir dir;
  FileSpec too_big;
  too_big.labels = {0, 4, 1};  // num_classes = 4
  std::string what = malformed(dir, "label4.h5", too_big);
  EXPECT_MENTIONS(what, "label 4 at index 1");
  EXPECT_MENTIONS(what, "[0, 4)");

  FileSpec negative;
  negative.labels = {0, 1, -1};
  EXPECT_MENTIONS(malformed(dir, "negative.h5", negative), "label -1 at index 2");
}

TEST(Hdf5DatasetTest, RejectsShapeMismatches) {
  TempDir dir;
  FileSpec wide;
  wide.images_shape = Shape{3, 4, 6, 2};  // attributes say width 5
  std::string what = malformed(dir, "wide.h5", wide);
  EXPECT_MENTIONS(what, "(3, 4, 6, 2)");
  EXPECT_MENTIONS(what, "(N, 4, 5, 2)");

  FileSpec flat;
  flat.images_shape = Shape{3, 40};
  EXPECT_MENTIONS(malformed(dir, "flat.h5", flat), "(3, 40)");

  FileSpec few_labels;
  few_labels.labels = {0, 1};
  what = malformed(dir, "few_labels.h5", few_labels);
  EXPECT_MENTIONS(what, "/labels of shape (2)");
  EXPECT_MENTIONS(what, "3 images");

  FileSpec matrix_labels;
  matrix_labels.labels_shape = Shape{3, 1};
  EXPECT_MENTIONS(malformed(dir, "matrix_labels.h5", matrix_labels), "/labels of shape (3, 1)");
}

TEST(Hdf5DatasetTest, RejectsClassNamesOfTheWrongCount) {
  TempDir dir;
  FileSpec spec;
  spec.class_name_count = 3;  // num_classes = 4
  EXPECT_MENTIONS(malformed(dir, "names.h5", spec), "3 class names but num_classes = 4");
}

TEST(Hdf5File, ReadingRowsOpensTheDatasetOnce) {
  TempDir dir;
  write_dataset(dir.file("good.h5"), FileSpec{});
  Hdf5File file(dir.file("good.h5"), Hdf5File::Mode::kRead);
  std::vector<uint8_t> row(40);
  const int64_t before = file.datasets_opened();
  file.read_rows("/images", 2, 1, row.data());
  EXPECT_EQ(file.datasets_opened() - before, 1);  // was 2: once more for its shape
  const std::vector<uint8_t> all = pixels_for(Shape{3, 4, 5, 2});
  EXPECT_EQ(row, std::vector<uint8_t>(all.begin() + 80, all.end()));
}

TEST(Hdf5File, RefusesAnOverlongVariableLengthElement) {
  // A hostile file's element is refused after reading its length, and the
  // library's buffer is given back on that path too (LeakSanitizer in the
  // sanitizer build finds it otherwise).
  TempDir dir;
  {
    Hdf5File file(dir.file("vlen.h5"), Hdf5File::Mode::kCreate);
    file.create_vlen_uint8("/jpeg", 2, 1);
    const std::vector<uint8_t> bytes(100, 7);
    file.write_vlen_uint8("/jpeg", 1, bytes.data(), bytes.size());
    file.close();
  }
  Hdf5File file(dir.file("vlen.h5"), Hdf5File::Mode::kRead);
  EXPECT_TRUE(file.is_vlen_bytes("/jpeg"));
  std::vector<uint8_t> out;
  try {
    file.read_vlen_uint8("/jpeg", 1, out, 50);
    ADD_FAILURE() << "an element of 100 bytes passed a limit of 50";
  } catch (const Error& e) {
    EXPECT_MENTIONS(std::string(e.what()), "is 100 bytes, more than the 50");
  }
  file.read_vlen_uint8("/jpeg", 1, out, 100);
  EXPECT_EQ(out, std::vector<uint8_t>(100, 7));
}

TEST(Hdf5File, SerialisedCallsStillReadEverySampleFromManyThreads) {
  // Where libhdf5 is not thread-safe every call holds one lock; forced here
  // (Debian's build is thread-safe), 4 workers reading by index must give
  // what one thread gives.
  hbool_t threadsafe = 0;
  H5is_library_threadsafe(&threadsafe);
  EXPECT_EQ(hdf5_calls_serialized(), !threadsafe);
  TempDir dir;
  FileSpec spec;
  spec.n = 64;
  spec.channels = 1;
  spec.mean = {0.5};
  spec.std = {0.25};
  spec.labels.assign(64, 2);
  write_dataset(dir.file("many.h5"), spec);
  auto dataset = std::make_shared<const ImageDataset>(ImageDataset::open(dir.file("many.h5"), CacheMode::kOff));
  auto source = make_normalized_source(dataset, spec.mean, spec.std);
  auto read_all = [&](int workers) {
    Loader loader(*source, 8, workers, 4);
    loader.start(shuffled_order(64, 3, 0), 0, 0, false);
    std::vector<float> values;
    while (const LoadedBatch* b = loader.next()) values.insert(values.end(), b->images.data(), b->images.data() + b->images.numel());
    return values;
  };
  const std::vector<float> reference = read_all(0);
  set_hdf5_calls_serialized(true);
  const std::vector<float> serialised = read_all(4);
  set_hdf5_calls_serialized(!threadsafe);
  EXPECT_EQ(serialised, reference);
  EXPECT_EQ(reference.size(), 64u * 20);
}

}  // namespace
}  // namespace convoy

namespace convoy {
namespace {

// MNIST-style samples: (pixel/255 - mean)/std per channel into CHW planes,
// for 1 and 3 channels, held in memory or read by index, with 0 or 2 loader
// workers; 2-channel sets are refused by name.
TEST(NormalizedSource, NormalisesEveryChannelInEveryCacheMode) {
  TempDir dir;
  for (int64_t channels : {1, 3}) {
    FileSpec spec;
    spec.channels = channels;
    spec.mean = channels == 1 ? std::vector<double>{0.1307} : std::vector<double>{0.485, 0.456, 0.406};
    spec.std = channels == 1 ? std::vector<double>{0.3081} : std::vector<double>{0.229, 0.224, 0.225};
    spec.width = 13;  // wider than one 8-pixel SIMD step
    const std::string path = dir.file("c" + std::to_string(channels) + ".h5");
    write_dataset(path, spec);
    const std::vector<uint8_t> pixels = pixels_for(Shape{spec.n, spec.height, spec.width, channels});
    for (CacheMode cache : {CacheMode::kOn, CacheMode::kOff})
      for (int workers : {0, 2}) {
        SCOPED_TRACE(::testing::Message() << channels << " channel(s), cache " << (cache == CacheMode::kOn)
                                        << ", workers " << workers);
        auto dataset = std::make_shared<const ImageDataset>(ImageDataset::open(path, cache));
        auto source = make_normalized_source(dataset, spec.mean, spec.std);
        EXPECT_EQ(source->sample_shape(), (Shape{channels, spec.height, spec.width}));
        Loader loader(*source, 3, workers, 1);
        loader.start(sequential_order(3), 0, 0, false);
        const LoadedBatch* batch = loader.next();
        ASSERT_NE(batch, nullptr);
        EXPECT_EQ(batch->labels, spec.labels);
        const int64_t hw = spec.height * spec.width;
        for (int64_t i = 0; i < spec.n; ++i)
          for (int64_t c = 0; c < channels; ++c)
            for (int64_t p = 0; p < hw; ++p) {
              const double pixel = pixels[static_cast<size_t>((i * hw + p) * channels + c)];
              ASSERT_NEAR(batch->images.data()[(i * channels + c) * hw + p],
                          (pixel / 255.0 - spec.mean[c]) / spec.std[c], 2e-6)
                  << "image " << i << " channel " << c << " pixel " << p;
            }
        // The pixel form (for a GPU): the stored bytes, and the map that
        // gives the float batch's bits.
        EXPECT_EQ(source->pixel_shape(), (Shape{spec.height, spec.width, channels}));
        std::vector<uint8_t> bytes(static_cast<size_t>(hw * channels));
        std::vector<float> mapped(static_cast<size_t>(hw * channels));
        source->prepare_workers(1);
        for (int64_t i = 0; i < spec.n; ++i) {
          PixelTransform map;
          EXPECT_EQ(source->load_pixels(i, 0, bytes.data(), map, 0), spec.labels[static_cast<size_t>(i)]);
          EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), pixels.begin() + i * hw * channels));
          EXPECT_EQ(map.mirror, 0u);
          view_to_planes(ImageView(bytes.data(), spec.height, spec.width, channels, spec.width * channels), false,
                         map.affine, mapped.data());
          EXPECT_TRUE(std::equal(mapped.begin(), mapped.end(), batch->images.data() + i * hw * channels))
              << "image " << i;
        }
      }
  }
  const std::string two = dir.file("c2.h5");
  write_dataset(two, FileSpec{});  // 2 channels
  auto dataset = std::make_shared<const ImageDataset>(ImageDataset::open(two));
  try {
    make_normalized_source(dataset, {0.25, 0.5}, {0.1, 0.2});
    ADD_FAILURE() << "a 2-channel set should be refused";
  } catch (const Error& e) {
    EXPECT_MENTIONS(std::string(e.what()), two);
  }
}

}  // namespace
}  // namespace convoy
