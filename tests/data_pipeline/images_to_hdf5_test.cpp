#include "data_pipeline/images_to_hdf5.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/loader.h"
#include "data_pipeline/sample_source.h"
#include "data_pipeline/sampler.h"
#include "data_pipeline/image_resize.h"
#include "data_pipeline/pixel_rows.h"
#include "formats/hdf5_file.h"
#include "tests/data_pipeline/image_test_util.h"

namespace convoy {
namespace {

namespace fs = std::filesystem;
using testing::pattern_image;
using testing::TempDir;

using testing::expect_error;

// Nothing but `keep` (and the input folder) in the folder: no temporary file left behind.
void expect_only(const std::string& folder, const std::vector<std::string>& keep) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    EXPECT_NE(std::find(keep.begin(), keep.end(), name), keep.end()) << "left behind: " << name;
  }
}

// Class folders given out of order ("zebra" sorts last): 7 images of mixed kinds and sizes.
struct Fixture {
  TempDir dir;
  std::string input = dir / "in";
  std::vector<std::string> expected_files;  // in sorted order
  std::vector<int32_t> expected_labels;

  Fixture() {
    JpegCodec codec;
    for (const char* c : {"zebra", "apple", "mango"}) fs::create_directories(fs::path(input) / c);
    const Image a = pattern_image(40, 60, 1);
    testing::write_bytes(input + "/apple/b.jpg", codec.encode_jpeg(a, 95));
    const Image grey = pattern_image(50, 30, 2, 1);
    testing::write_bytes(input + "/apple/a_grey.jpg", codec.encode_jpeg(grey, 95));
    testing::write_bytes(input + "/mango/cmyk.jpg", testing::cmyk_jpeg(pattern_image(33, 47, 3), 95));
    const Image p = pattern_image(20, 20, 4);
    testing::write_png(input + "/mango/d.png", p.pixels.data(), 20, 20, PNG_FORMAT_RGB);
    testing::write_bytes(input + "/zebra/z1.jpg", codec.encode_jpeg(pattern_image(64, 48, 5), 95));
    testing::write_bytes(input + "/zebra/z2.jpg", codec.encode_jpeg(pattern_image(17, 90, 6), 95));
    testing::write_bytes(input + "/zebra/z3.jpg", codec.encode_jpeg(pattern_image(100, 100, 7), 95));
    expected_files = {"apple/a_grey.jpg", "apple/b.jpg", "mango/cmyk.jpg", "mango/d.png",
                      "zebra/z1.jpg",     "zebra/z2.jpg", "zebra/z3.jpg"};
    expected_labels = {0, 0, 1, 1, 2, 2, 2};
  }

  void add_bad_files() {
    JpegCodec codec;
    std::vector<uint8_t> jpeg = codec.encode_jpeg(pattern_image(64, 64, 9), 90);
    jpeg.resize(jpeg.size() / 2);
    testing::write_bytes(input + "/mango/truncated.jpg", jpeg);
    testing::write_bytes(input + "/apple/notes.txt", {'h', 'e', 'l', 'l', 'o'});
    const std::vector<uint8_t> good = codec.encode_jpeg(pattern_image(96, 96, 5), 90);
    testing::write_bytes(input + "/apple/damaged.jpg", testing::with_corrupt_entropy_data(good));
    testing::write_bytes(input + "/mango/huge.jpg", testing::with_claimed_size(good, 65535, 65535));
  }
};

ImagesToHdf5Options options_for(const std::string& out, ImageStorage storage, int64_t size = 16) {
  ImagesToHdf5Options o;
  o.out = out;
  o.size = size;
  o.storage = storage;
  o.threads = 3;
  o.show_progress = false;
  return o;
}

// Reads the stored images of either mode as decoded pixels.
std::vector<Image> stored_images(const Hdf5File& file) {
  std::vector<Image> images;
  if (file.has("/images")) {
    const Shape shape = file.dataset_shape("/images");
    for (int64_t i = 0; i < shape[0]; ++i) {
      Image image;
      image.resize(shape[1], shape[2], shape[3]);
      file.read_rows("/images", i, 1, image.pixels.data());
      images.push_back(std::move(image));
    }
  } else {
    // The flat layout through libhdf5's own reads (the loader reads it with pread).
    JpegCodec codec;
    const int64_t n = file.dataset_shape("/jpeg_offsets")[0] - 1;
    std::vector<int64_t> offsets(static_cast<size_t>(n) + 1);
    file.read("/jpeg_offsets", offsets.data(), n + 1);
    std::vector<uint8_t> bytes(static_cast<size_t>(offsets.back()));
    file.read("/jpeg_bytes", bytes.data(), offsets.back());
    for (int64_t i = 0; i < n; ++i) {
      Image image;
      codec.decode(bytes.data() + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i]), "stored", image);
      images.push_back(std::move(image));
    }
  }
  return images;
}

// The attributes must equal a direct double computation over the stored pixels.
void expect_stats_match(const Hdf5File& file, const std::vector<Image>& images) {
  double n = 0, sum[3] = {0, 0, 0};
  for (const auto& image : images)
    for (size_t i = 0; i < image.pixels.size(); i += 3) {
      n += 1;
      for (int c = 0; c < 3; ++c) sum[c] += image.pixels[i + c] / 255.0;
    }
  double mean[3], cov[3][3] = {};
  for (int c = 0; c < 3; ++c) mean[c] = sum[c] / n;
  for (const auto& image : images)
    for (size_t i = 0; i < image.pixels.size(); i += 3)
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b)
          cov[a][b] += (image.pixels[i + a] / 255.0 - mean[a]) * (image.pixels[i + b] / 255.0 - mean[b]) / n;
  const auto stored_mean = file.attribute_doubles("/", "channel_mean");
  const auto stored_std = file.attribute_doubles("/", "channel_std");
  const auto eigval = file.attribute_doubles("/", "pca_eigval");
  const auto eigvec = file.attribute_doubles("/", "pca_eigvec");
  ASSERT_EQ(stored_mean.size(), 3u);
  ASSERT_EQ(stored_std.size(), 3u);
  ASSERT_EQ(eigval.size(), 3u);
  ASSERT_EQ(eigvec.size(), 9u);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(stored_mean[c], mean[c], 1e-9);
    EXPECT_NEAR(stored_std[c], std::sqrt(cov[c][c]), 1e-9);
  }
  EXPECT_GE(eigval[0], eigval[1]);
  EXPECT_GE(eigval[1], eigval[2]);
  // Column i of the row-major 3x3 is the eigenvector of eigval[i]: cov v = lambda v,
  // unit length, largest-magnitude component positive.
  for (int i = 0; i < 3; ++i) {
    double norm = 0, largest = 0;
    for (int r = 0; r < 3; ++r) {
      double cv = 0;
      for (int k = 0; k < 3; ++k) cv += cov[r][k] * eigvec[k * 3 + i];
      EXPECT_NEAR(cv, eigval[i] * eigvec[r * 3 + i], 1e-9);
      norm += eigvec[r * 3 + i] * eigvec[r * 3 + i];
      if (std::abs(eigvec[r * 3 + i]) > std::abs(largest)) largest = eigvec[r * 3 + i];
    }
    EXPECT_NEAR(norm, 1.0, 1e-9);
    EXPECT_GT(largest, 0.0);
  }
  double trace = cov[0][0] + cov[1][1] + cov[2][2];
  EXPECT_NEAR(eigval[0] + eigval[1] + eigval[2], trace, 1e-9);
}

TEST(ImagesToHdf5, FolderListingSortsClassesAndFiles) {
  Fixture f;
  const ImageListing listing = list_image_folder(f.input);
  EXPECT_EQ(listing.class_names, (std::vector<std::string>{"apple", "mango", "zebra"}));
  ASSERT_EQ(listing.entries.size(), f.expected_files.size());
  for (size_t i = 0; i < listing.entries.size(); ++i) {
    EXPECT_EQ(listing.entries[i].path, f.input + "/" + f.expected_files[i]);
    EXPECT_EQ(listing.entries[i].label, f.expected_labels[i]);
  }
}

TEST(ImagesToHdf5, RawRoundTrip) {
  Fixture f;
  const std::string out = f.dir / "raw.h5";
  const ImagesToHdf5Report report = images_to_hdf5(list_image_folder(f.input), options_for(out, ImageStorage::kRaw));
  EXPECT_EQ(report.written, 7);
  EXPECT_EQ(report.skipped, 0);
  EXPECT_EQ(report.bytes, static_cast<int64_t>(fs::file_size(out)));
  expect_only(f.dir.path(), {"in", "raw.h5"});

  Hdf5File file(out, Hdf5File::Mode::kRead);
  EXPECT_EQ(file.dataset_shape("/images"), (Shape{7, 16, 16, 3}));
  std::vector<int32_t> labels(7);
  file.read("/labels", labels.data(), 7);
  EXPECT_EQ(labels, f.expected_labels);
  EXPECT_EQ(file.read_strings("/class_names"), (std::vector<std::string>{"apple", "mango", "zebra"}));
  EXPECT_EQ(file.attribute_int("/", "num_classes"), 3);
  EXPECT_EQ(file.attribute_int("/", "height"), 16);
  EXPECT_EQ(file.attribute_int("/", "width"), 16);
  EXPECT_EQ(file.attribute_int("/", "channels"), 3);
  EXPECT_FALSE(file.has_attribute("/", "jpeg_quality"));

  // Each stored image is exactly decode + resize of its file, in sorted order.
  const std::vector<Image> images = stored_images(file);
  JpegCodec codec;
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string path = f.input + "/" + f.expected_files[i];
    const std::vector<uint8_t> bytes = read_file(path);
    Image decoded, expected;
    codec.decode(bytes.data(), bytes.size(), path, decoded);
    resize_shorter_side_and_center_crop(decoded, 16, 16, 16, expected);
    EXPECT_EQ(images[i].pixels, expected.pixels) << path;
  }
  expect_stats_match(file, images);
}

TEST(ImagesToHdf5, JpegModeDecodesToTheRawImages) {
  Fixture f;
  const ImageListing listing = list_image_folder(f.input);
  images_to_hdf5(listing, options_for(f.dir / "raw.h5", ImageStorage::kRaw, 32));
  ImagesToHdf5Options options = options_for(f.dir / "jpeg.h5", ImageStorage::kJpeg, 32);
  options.threads = 1;
  const ImagesToHdf5Report report = images_to_hdf5(listing, options);
  EXPECT_EQ(report.written, 7);
  Hdf5File raw(f.dir / "raw.h5", Hdf5File::Mode::kRead), jpeg(f.dir / "jpeg.h5", Hdf5File::Mode::kRead);
  EXPECT_FALSE(jpeg.has("/images"));
  EXPECT_FALSE(jpeg.has("/jpeg"));
  EXPECT_EQ(jpeg.dataset_shape("/jpeg_offsets"), Shape{8});
  EXPECT_EQ(jpeg.attribute_int("/", "jpeg_quality"), 90);
  EXPECT_EQ(jpeg.attribute_int("/", "height"), 32);
  const auto raw_images = stored_images(raw), jpeg_images = stored_images(jpeg);
  ASSERT_EQ(jpeg_images.size(), raw_images.size());
  for (size_t i = 0; i < raw_images.size(); ++i) {
    ASSERT_EQ(jpeg_images[i].height, 32);
    ASSERT_EQ(jpeg_images[i].width, 32);
    EXPECT_LE(testing::mean_abs_diff(raw_images[i], jpeg_images[i]), 3.0) << i;
  }
  // jpeg mode's statistics are of the decoded stored pixels.
  expect_stats_match(jpeg, jpeg_images);

  // 4:4:4 chroma: closer still.
  options.out = f.dir / "jpeg444.h5";
  options.jpeg_full_chroma = true;
  images_to_hdf5(listing, options);
  Hdf5File full(f.dir / "jpeg444.h5", Hdf5File::Mode::kRead);
  const auto full_images = stored_images(full);
  double sum_420 = 0, sum_444 = 0;
  for (size_t i = 0; i < raw_images.size(); ++i) {
    sum_420 += testing::mean_abs_diff(raw_images[i], jpeg_images[i]);
    sum_444 += testing::mean_abs_diff(raw_images[i], full_images[i]);
  }
  EXPECT_LT(sum_444, sum_420);
}

TEST(ImagesToHdf5, CorruptImagesSkippedOrStrictError) {
  Fixture f;
  f.add_bad_files();
  const ImageListing listing = list_image_folder(f.input);
  ASSERT_EQ(listing.entries.size(), 11u);
  const ImagesToHdf5Report report = images_to_hdf5(listing, options_for(f.dir / "out.h5", ImageStorage::kRaw));
  EXPECT_EQ(report.written, 7);
  EXPECT_EQ(report.skipped, 4);  // unreadable, damaged (libjpeg warns), a 65535x65535 header, truncated
  EXPECT_EQ(report.skipped_files, (std::vector<std::string>{f.input + "/apple/damaged.jpg", f.input + "/apple/notes.txt",
                                                            f.input + "/mango/huge.jpg", f.input + "/mango/truncated.jpg"}));
  Hdf5File file(f.dir / "out.h5", Hdf5File::Mode::kRead);
  EXPECT_EQ(file.dataset_shape("/images")[0], 7);
  std::vector<int32_t> labels(7);
  file.read("/labels", labels.data(), 7);
  EXPECT_EQ(labels, f.expected_labels);

  ImagesToHdf5Options strict = options_for(f.dir / "strict.h5", ImageStorage::kJpeg);
  strict.strict = true;
  expect_error([&] { images_to_hdf5(listing, strict); }, "damaged.jpg' is damaged");
  expect_only(f.dir.path(), {"in", "out.h5"});
}

TEST(ImagesToHdf5, BadInputsGetClearErrorsAndLeaveNothing) {
  TempDir dir;
  fs::create_directories(dir / "empty");
  expect_error([&] { list_image_folder(dir / "empty"); }, "holds no class folders");
  expect_error([&] { list_image_folder(dir / "missing"); }, "missing");
  fs::create_directories(dir / "no_images/cat");
  expect_error([&] { list_image_folder(dir / "no_images"); }, "no image files");

  // Only unusable images: an error, and no output (nor temporary) file.
  fs::create_directories(dir / "bad/cat");
  testing::write_bytes(dir / "bad/cat/x.jpg", {0xFF, 0xD8, 0xFF, 0x00});
  expect_error([&] { images_to_hdf5(list_image_folder(dir / "bad"), options_for(dir / "o.h5", ImageStorage::kRaw)); },
               "no usable image");
  expect_only(dir.path(), {"empty", "no_images", "bad"});

  // An unwritable output names the output.
  Fixture f;
  expect_error(
      [&] { images_to_hdf5(list_image_folder(f.input), options_for(dir / "nowhere/o.h5", ImageStorage::kRaw)); },
      "nowhere/o.h5");
  expect_error([&] { parse_image_storage("png"); }, "png");
}

TEST(ImagesToHdf5, ListFileAndClassNames) {
  Fixture f;
  const std::string list = f.input + "/list.txt";
  {
    std::ofstream out(list);
    out << "# path label\nzebra/z1.jpg 4\n\napple/b.jpg 0\n" << f.input << "/mango/d.png 2\n";
  }
  ImageListing listing = read_image_list(list);
  ASSERT_EQ(listing.entries.size(), 3u);
  EXPECT_EQ(listing.entries[0].path, f.input + "/zebra/z1.jpg");
  EXPECT_EQ(listing.entries[0].label, 4);
  EXPECT_EQ(listing.entries[2].path, f.input + "/mango/d.png");
  EXPECT_EQ(listing.class_names.size(), 5u);

  const std::string names_path = f.dir / "classes.txt";
  {
    std::ofstream out(names_path);
    out << "0 n001 tench\n1 n002 great white shark\n2 n003 x\n";
  }
  const auto names = read_class_names(names_path);
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[1].id, "n002");
  EXPECT_EQ(names[1].name, "great white shark");
  // Label 4 is outside a 3-class names file.
  expect_error([&] { apply_class_names(listing, names, /*by_id=*/false, names_path); }, "label 4");
  // Folder mode: the ids must be the sorted folder names.
  ImageListing folder = list_image_folder(f.input);
  expect_error([&] { apply_class_names(folder, names, /*by_id=*/true, names_path); }, "apple");
  {
    std::ofstream out(names_path);
    out << "0 apple Red apple\n1 mango Mango\n2 zebra Zebra\n";
  }
  apply_class_names(folder, read_class_names(names_path), true, names_path);
  EXPECT_EQ(folder.class_names, (std::vector<std::string>{"Red apple", "Mango", "Zebra"}));

  {
    std::ofstream out(list);
    out << "zebra/z1.jpg\n";
  }
  expect_error([&] { read_image_list(list); }, "line 1");
  {
    std::ofstream out(list);
    out << "zebra/z1.jpg 7\napple/b.jpg 1\n";
  }
  ImageListing bad = read_image_list(list);
  bad.class_names = {"a", "b"};  // as if a 2-class names file were applied
  expect_error([&] { images_to_hdf5(bad, options_for(f.dir / "l.h5", ImageStorage::kRaw)); }, "label 7");
}


// The reader gives the same images from both storage modes, cached or read by
// index (JPEG within its re-encoding error).
TEST(ImageDataset, ReadsRawAndJpegSetsCachedOrByIndex) {
  Fixture f;
  const std::string raw = f.dir / "raw.h5", jpeg = f.dir / "jpeg.h5";
  images_to_hdf5(list_image_folder(f.input), options_for(raw, ImageStorage::kRaw, 32));
  images_to_hdf5(list_image_folder(f.input), options_for(jpeg, ImageStorage::kJpeg, 32));
  JpegCodec codec;
  std::vector<uint8_t> scratch;
  const ImageDataset reference = ImageDataset::open(raw, CacheMode::kOn);
  EXPECT_TRUE(reference.cached());
  EXPECT_TRUE(reference.has_pca());
  for (CacheMode cache : {CacheMode::kOn, CacheMode::kOff}) {
    const ImageDataset r = ImageDataset::open(raw, cache), j = ImageDataset::open(jpeg, cache);
    EXPECT_TRUE(j.is_jpeg());
    ASSERT_EQ(r.size(), 7);
    ASSERT_EQ(j.size(), 7);
    for (int64_t i = 0; i < 7; ++i) {
      Image expected, got_raw, got_jpeg;
      expected.resize(32, 32, 3);
      std::copy_n(reference.image(i), expected.pixels.size(), expected.pixels.begin());
      r.read_image(i, got_raw, codec, scratch);
      j.read_image(i, got_jpeg, codec, scratch);
      EXPECT_EQ(got_raw.pixels, expected.pixels);
      EXPECT_LE(testing::mean_abs_diff(got_jpeg, expected), 3.0);
      EXPECT_EQ(j.label(i), f.expected_labels[static_cast<size_t>(i)]);
    }
  }
}

// A cached JPEG set opens at once and fills its cache behind the reads: the
// bytes read while it fills, after it filled and from the file are the same,
// and every image ends up in memory.
class EveryJpegLayout : public ::testing::TestWithParam<testing::JpegLayout> {};
INSTANTIATE_TEST_SUITE_P(Layout, EveryJpegLayout,
                         ::testing::Values(testing::JpegLayout::kFlat, testing::JpegLayout::kVariableLength),
                         [](const auto& info) {
                           return info.param == testing::JpegLayout::kFlat ? "Flat" : "VariableLength";
                         });

TEST_P(EveryJpegLayout, JpegCacheFillsInTheBackgroundBehindTheReads) {
  TempDir dir;
  const std::string jpeg = dir / "jpeg.h5";
  {
    Hdf5File file(jpeg, Hdf5File::Mode::kCreate);
    const int64_t n = 1500;  // several of the cache's blocks
    JpegCodec codec;
    std::vector<int32_t> labels(n, 0);
    std::vector<std::vector<uint8_t>> entries;
    for (int64_t i = 0; i < n; ++i)
      entries.push_back(codec.encode_jpeg(pattern_image(8, 8, static_cast<int>(i % 50)), 80));
    testing::write_encoded_images(file, entries, GetParam());
    file.write("/labels", Shape{n}, labels.data());
    file.set_attribute("/", "num_classes", 1);
    file.set_attribute("/", "channels", 3);
    file.set_attribute("/", "height", 8);
    file.set_attribute("/", "width", 8);
    file.set_attribute("/", "channel_mean", std::vector<double>{0.5, 0.5, 0.5});
    file.set_attribute("/", "channel_std", std::vector<double>{0.2, 0.2, 0.2});
  }
  const ImageDataset by_index = ImageDataset::open(jpeg, CacheMode::kOff);
  const ImageDataset cached = ImageDataset::open(jpeg, CacheMode::kOn);
  EXPECT_TRUE(cached.cached());
  EXPECT_EQ(cached.storage(), GetParam() == testing::JpegLayout::kFlat ? "jpeg" : "jpeg, variable-length");
  JpegCodec codec;
  std::vector<uint8_t> scratch;
  Image expected, got;
  for (int64_t i : {int64_t{1499}, int64_t{0}, int64_t{700}}) {  // the last first: likely not in yet
    by_index.read_image(i, expected, codec, scratch);
    cached.read_image(i, got, codec, scratch);
    EXPECT_EQ(got.pixels, expected.pixels) << "image " << i << " while filling";
  }
  cached.wait_until_cached();
  EXPECT_EQ(cached.cached_images(), 1500);
  EXPECT_EQ(by_index.cached_images(), 0);
  for (int64_t i = 0; i < 1500; i += 7) {
    by_index.read_image(i, expected, codec, scratch);
    cached.read_image(i, got, codec, scratch);
    ASSERT_EQ(got.pixels, expected.pixels) << "image " << i << " from the filled cache";
  }
}

// Training samples of `crop` pixels with the set's statistics.
AugmentedSourceOptions training_options(const ImageDataset& dataset, uint64_t seed, int64_t crop, PcaMode pca) {
  AugmentedSourceOptions o;
  o.seed = seed;
  o.transform.crop_size = crop;
  o.transform.pca = pca;
  use_dataset_statistics(dataset, o.transform);
  return o;
}

// Augmented samples depend only on (seed, epoch, sample): the same bytes with
// 0 or 3 loader workers; another epoch draws other crops; evaluation is the
// centre crop.
TEST(AugmentedSource, DeterministicAcrossWorkersAndKeyedByEpoch) {
  Fixture f;
  const std::string path = f.dir / "set.h5";
  images_to_hdf5(list_image_folder(f.input), options_for(path, ImageStorage::kJpeg, 32));
  auto dataset = std::make_shared<const ImageDataset>(ImageDataset::open(path, CacheMode::kOff));
  AugmentedSourceOptions o = training_options(*dataset, 3, 24, PcaMode::kDataset);
  auto epoch_values = [&](int workers, int64_t epoch) {
    auto source = make_augmented_source(dataset, o);
    Loader loader(*source, 3, workers, 2);
    loader.start(shuffled_order(7, 3, epoch), epoch, 0, true);
    std::vector<float> all;
    while (const LoadedBatch* b = loader.next()) all.insert(all.end(), b->images.data(), b->images.data() + b->images.numel());
    return all;
  };
  const std::vector<float> serial = epoch_values(0, 1);
  EXPECT_EQ(serial.size(), 7u * 3 * 24 * 24);
  EXPECT_EQ(epoch_values(3, 1), serial);
  EXPECT_NE(epoch_values(0, 2), serial);

  o.training = false;
  auto eval = make_augmented_source(dataset, o);
  eval->prepare_workers(1);
  std::vector<float> got(3 * 24 * 24), expected(3 * 24 * 24);
  eval->load(4, 0, got.data(), 0);
  JpegCodec codec;
  std::vector<uint8_t> scratch;
  Image image;
  dataset->read_image(4, image, codec, scratch);
  center_crop_transform(image, o.transform, expected.data());
  EXPECT_EQ(got, expected);
}

// Training reads only the crop window (a view into the cache, or a partial
// JPEG decode); the sample must equal the transform of the whole image with
// the same draw, in every storage and cache mode, lighting included.
TEST(AugmentedSource, WindowedReadsEqualTheWholeImageTransform) {
  Fixture f;
  for (ImageStorage storage : {ImageStorage::kRaw, ImageStorage::kJpeg}) {
    const std::string path = f.dir / (storage == ImageStorage::kRaw ? "raw.h5" : "jpeg.h5");
    images_to_hdf5(list_image_folder(f.input), options_for(path, storage, 32));
    for (CacheMode cache : {CacheMode::kOn, CacheMode::kOff}) {
      SCOPED_TRACE(path + (cache == CacheMode::kOn ? " cached" : " by index"));
      auto dataset = std::make_shared<const ImageDataset>(ImageDataset::open(path, cache));
      AugmentedSourceOptions o;
      o.seed = 5;
      o.transform.crop_size = 21;
      o.transform.pca = PcaMode::kImage;
      auto source = make_augmented_source(dataset, o);
      source->prepare_workers(1);
      JpegCodec codec;
      std::vector<uint8_t> scratch;
      Image whole;
      std::vector<float> got(3 * 21 * 21), expected(3 * 21 * 21);
      for (int64_t epoch = 0; epoch < 3; ++epoch)
        for (int64_t i = 0; i < dataset->size(); ++i) {
          source->load(i, epoch, got.data(), 0);
          dataset->read_image(i, whole, codec, scratch);
          const AugmentDraw draw = draw_augmentation(5, epoch, i, 32, 32, o.transform);
          apply_train_transform(whole, draw, o.transform, expected.data());
          ASSERT_EQ(got, expected) << "image " << i << " epoch " << epoch;
        }
      ReadBuffers buffers;
      expect_error([&] { dataset->read_window(0, 20, 0, 21, 21, buffers); }, "outside");
    }
  }
}

// What load_pixels() leaves, turned into floats as the GPU does it: each
// sample's bytes through its map (here with the host's pixel rows).
std::vector<float> planes_of(const uint8_t* bytes, const Shape& pixel_shape, const PixelTransform& map) {
  const int64_t h = pixel_shape[0], w = pixel_shape[1], c = pixel_shape[2];
  std::vector<float> out(static_cast<size_t>(h * w * c));
  view_to_planes(ImageView(bytes, h, w, c, w * c), map.mirror != 0, map.affine, out.data());
  return out;
}

// The pixel form a GPU normalises gives load()'s bits exactly: training crops
// (mirrored or not, with each lighting mode) and the centre crop, in both
// storage and cache modes. Ten crops and synthetic images have no pixel form.
TEST(AugmentedSource, PixelFormGivesLoadsBitsExactly) {
  Fixture f;
  for (ImageStorage storage : {ImageStorage::kRaw, ImageStorage::kJpeg}) {
    const std::string path = f.dir / (storage == ImageStorage::kRaw ? "raw.h5" : "jpeg.h5");
    images_to_hdf5(list_image_folder(f.input), options_for(path, storage, 32));
    for (CacheMode cache : {CacheMode::kOn, CacheMode::kOff})
      for (PcaMode pca : {PcaMode::kOff, PcaMode::kImage, PcaMode::kDataset})
        for (bool training : {true, false}) {
          SCOPED_TRACE(path + (cache == CacheMode::kOn ? " cached, " : " by index, ") + name_of(pca) +
                       (training ? ", training" : ", evaluation"));
          auto dataset = std::make_shared<const ImageDataset>(ImageDataset::open(path, cache));
          AugmentedSourceOptions o;
          o.seed = 9;
          o.training = training;
          o.transform.crop_size = 23;
          o.transform.pca = pca;
          use_dataset_statistics(*dataset, o.transform);
          auto source = make_augmented_source(dataset, o);
          source->prepare_workers(1);
          ASSERT_EQ(source->pixel_shape(), (Shape{23, 23, 3}));
          std::vector<uint8_t> bytes(23 * 23 * 3);
          std::vector<float> expected(3 * 23 * 23);
          int mirrored = 0;
          std::set<float> biases;
          for (int64_t epoch = 0; epoch < 2; ++epoch)
            for (int64_t i = 0; i < dataset->size(); ++i) {
              PixelTransform map;
              map.mirror = 7;  // must be overwritten
              const int32_t label = source->load_pixels(i, epoch, bytes.data(), map, 0);
              EXPECT_EQ(label, source->load(i, epoch, expected.data(), 0));
              ASSERT_EQ(planes_of(bytes.data(), source->pixel_shape(), map), expected)
                  << "image " << i << " epoch " << epoch;
              ASSERT_LE(map.mirror, 1u);
              mirrored += static_cast<int>(map.mirror);
              biases.insert(map.affine.bias[0]);
            }
          if (training) EXPECT_GT(mirrored, 0);  // the test saw mirrored crops
          else EXPECT_EQ(mirrored, 0);
          // Lighting moves each image's bias; without it every image shares one.
          if (training && pca != PcaMode::kOff) EXPECT_GT(biases.size(), 5u);
          else EXPECT_EQ(biases.size(), 1u);
        }
  }
  auto dataset = std::make_shared<const ImageDataset>(ImageDataset::open(f.dir / "raw.h5"));
  AugmentedSourceOptions o;
  o.training = false;
  o.eval_crops = 10;
  o.transform.crop_size = 23;
  auto ten = make_augmented_source(dataset, o);
  EXPECT_EQ(ten->pixel_shape().rank(), 0);
  auto synthetic = make_synthetic_source(4, 3, Shape{3, 8, 8}, 1);
  EXPECT_EQ(synthetic->pixel_shape().rank(), 0);
  std::vector<uint8_t> bytes(3 * 8 * 8);
  PixelTransform map;
  expect_error([&] { synthetic->load_pixels(0, 0, bytes.data(), map, 0); }, "no pixel form");
}

// Counts what a loader takes from and gives back to its pixel memory.
class CountingAllocator final : public Allocator {
 public:
  void* allocate(size_t bytes) override {
    ++allocated;
    return allocator_for(Device::kCPU).allocate(bytes);
  }
  void deallocate(void* block) override {
    ++freed;
    allocator_for(Device::kCPU).deallocate(block);
  }
  int allocated = 0, freed = 0;
};

// 8-bit batches hold, sample for sample, what float batches hold once mapped:
// with 0 or 2 workers, a partial last batch included. The buffers of either
// kind come from the given memory and go back to it.
TEST(Loader, PixelBatchesMapToTheFloatBatches) {
  Fixture f;
  const std::string path = f.dir / "set.h5";
  images_to_hdf5(list_image_folder(f.input), options_for(path, ImageStorage::kJpeg, 32));
  auto dataset = std::make_shared<const ImageDataset>(ImageDataset::open(path, CacheMode::kOn));
  auto source = make_augmented_source(dataset, training_options(*dataset, 4, 24, PcaMode::kImage));
  std::vector<float> floats;
  CountingAllocator float_memory;
  {
    Loader loader(*source, 3, 0, 2, BatchFormat::kFloat, &float_memory);
    EXPECT_EQ(float_memory.allocated, 1);  // one slot without workers
    loader.start(shuffled_order(7, 1, 2), 2, 0, true);
    while (const LoadedBatch* b = loader.next()) floats.insert(floats.end(), b->images.data(), b->images.data() + b->images.numel());
  }
  EXPECT_EQ(float_memory.freed, 1);
  ASSERT_EQ(floats.size(), 7u * 3 * 24 * 24);
  for (int workers : {0, 2}) {
    SCOPED_TRACE(std::to_string(workers) + " workers");
    CountingAllocator memory;
    {
      Loader loader(*source, 3, workers, 2, BatchFormat::kPixels, &memory);
      EXPECT_EQ(loader.format(), BatchFormat::kPixels);
      EXPECT_EQ(memory.allocated, workers == 0 ? 1 : 2);  // one block a slot
      loader.start(shuffled_order(7, 1, 2), 2, 0, true);
      std::vector<float> mapped;
      std::vector<int64_t> counts;
      while (const LoadedBatch* b = loader.next()) {
        EXPECT_FALSE(b->images.defined());
        EXPECT_EQ(b->pixels.count, static_cast<int64_t>(b->labels.size()));
        EXPECT_EQ(b->pixels.sample_bytes(), 24 * 24 * 3);
        counts.push_back(b->pixels.count);
        for (int64_t i = 0; i < b->pixels.count; ++i) {
          const std::vector<float> planes = planes_of(b->pixels.pixels + i * b->pixels.sample_bytes(),
                                                      Shape{24, 24, 3}, b->pixels.transforms[i]);
          mapped.insert(mapped.end(), planes.begin(), planes.end());
        }
      }
      EXPECT_EQ(counts, (std::vector<int64_t>{3, 3, 1}));
      EXPECT_EQ(mapped, floats);
    }
    EXPECT_EQ(memory.freed, memory.allocated);
  }
  auto synthetic = make_synthetic_source(4, 3, Shape{3, 8, 8}, 1);
  expect_error([&] { Loader(*synthetic, 2, 0, 1, BatchFormat::kPixels); }, "without a pixel form");
}

// A JPEG set written by hand with what a converter never stores: a cut-off
// JPEG, one of the wrong size, a damaged one (clear errors naming the image
// and file), a PNG and a CMYK JPEG (decoded whole, then windowed), in both
// cache modes.
TEST_P(EveryJpegLayout, WindowedReadsOfOddJpegSetEntries) {
  TempDir dir;
  JpegCodec codec;
  const Image rgb = pattern_image(64, 32, 21);  // tall: a cut near the end misses only low rows
  std::vector<std::vector<uint8_t>> entries;
  entries.push_back(codec.encode_jpeg(rgb, 90));
  entries.push_back(std::vector<uint8_t>(entries[0].begin(), entries[0].begin() + entries[0].size() * 9 / 10));
  entries.push_back(codec.encode_jpeg(pattern_image(24, 24, 22), 90));
  testing::write_png(dir / "p.png", rgb.pixels.data(), 64, 32, PNG_FORMAT_RGB);
  entries.push_back(read_file(dir / "p.png"));
  entries.push_back(testing::cmyk_jpeg(rgb, 95));
  entries.push_back(testing::with_extraneous_bytes(entries[0], 0xC4));  // damaged: libjpeg warns
  const std::string path = dir / "odd.h5";
  {
    Hdf5File file(path, Hdf5File::Mode::kCreate);
    testing::write_encoded_images(file, entries, GetParam());
    const std::vector<int32_t> labels = {0, 1, 0, 1, 0, 1};
    file.write("/labels", Shape{6}, labels.data());
    file.set_attribute("/", "num_classes", int64_t{2});
    file.set_attribute("/", "height", int64_t{64});
    file.set_attribute("/", "width", int64_t{32});
    file.set_attribute("/", "channels", int64_t{3});
    file.set_attribute("/", "channel_mean", std::vector<double>{0.5, 0.5, 0.5});
    file.set_attribute("/", "channel_std", std::vector<double>{0.25, 0.25, 0.25});
  }
  for (CacheMode cache : {CacheMode::kOn, CacheMode::kOff}) {
    const ImageDataset set = ImageDataset::open(path, cache);
    ReadBuffers buffers;
    for (int64_t i : {0, 3, 4}) {
      Image whole;
      codec.decode(entries[static_cast<size_t>(i)].data(), entries[static_cast<size_t>(i)].size(), "entry", whole);
      const ImageView window = set.read_window(i, 5, 7, 20, 19, buffers);
      for (int64_t y = 0; y < 20; ++y)
        ASSERT_TRUE(std::equal(window.row(y), window.row(y) + 19 * 3, whole.row(5 + y) + 7 * 3))
            << "entry " << i << " row " << y;
    }
    // The window's rows lie in the part that is there: only the missing
    // end-of-image marker tells that the file was cut off.
    expect_error([&] { set.read_window(1, 0, 0, 4, 4, buffers); }, "image 1 of " + path);
    expect_error([&] { set.read_window(1, 0, 0, 4, 4, buffers); }, "no end-of-image marker");
    expect_error([&] { set.read_window(2, 0, 0, 4, 4, buffers); }, "image 2 of " + path);
    expect_error([&] { set.read_window(2, 0, 0, 4, 4, buffers); }, "24x24, expected 64x32");
    expect_error([&] { set.read_window(5, 0, 0, 4, 4, buffers); }, "image 5 of " + path);
    expect_error([&] { set.read_window(5, 0, 0, 4, 4, buffers); }, "extraneous bytes");
  }
}

TEST(AugmentedSource, RejectsACropLargerThanTheImages) {
  Fixture f;
  const std::string path = f.dir / "set.h5";
  images_to_hdf5(list_image_folder(f.input), options_for(path, ImageStorage::kRaw, 16));
  auto dataset = std::make_shared<const ImageDataset>(ImageDataset::open(path));
  AugmentedSourceOptions o;
  o.transform.crop_size = 17;
  EXPECT_THROW(make_augmented_source(dataset, o), Error);
}

}  // namespace
}  // namespace convoy
