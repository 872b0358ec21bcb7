#include "data_pipeline/mnist_to_hdf5.h"

#include <unistd.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "core/error.h"
#include "data_pipeline/mnist_idx.h"
#include "formats/atomic_file.h"
#include "formats/hdf5_file.h"

namespace convoy {

namespace {

namespace fs = std::filesystem;

constexpr int64_t kNumClasses = 10;

struct PixelStats {
  double mean = 0.0;
  double std = 0.0;
};

// Population mean and std in [0,1] units, from a 256-bin histogram: exact sums, one pass.
PixelStats pixel_stats(const std::vector<uint8_t>& pixels) {
  std::array<uint64_t, 256> histogram{};
  for (const uint8_t p : pixels) ++histogram[p];
  const double n = static_cast<double>(pixels.size());
  double mean = 0.0;
  for (int v = 0; v < 256; ++v) mean += static_cast<double>(histogram[v]) * (v / 255.0);
  mean /= n;
  // Second pass over the histogram (not the pixels) avoids E[x^2] - E[x]^2 cancellation.
  double variance = 0.0;
  for (int v = 0; v < 256; ++v) {
    const double d = v / 255.0 - mean;
    variance += static_cast<double>(histogram[v]) * d * d;
  }
  return {mean, std::sqrt(variance / n)};
}

void write_split(const std::string& path, const IdxImages& images, const std::vector<int32_t>& labels,
                 const PixelStats& stats) {
  Hdf5File file(path, Hdf5File::Mode::kCreate);
  file.write("/images", Shape{images.count, images.rows, images.cols, 1}, images.pixels.data(),
             /*chunk_rows=*/1);
  file.write("/labels", Shape{static_cast<int64_t>(labels.size())}, labels.data());
  std::vector<std::string> class_names;
  for (int64_t c = 0; c < kNumClasses; ++c) class_names.push_back(std::to_string(c));
  file.write_strings("/class_names", class_names);
  file.set_attribute("/", "num_classes", kNumClasses);
  file.set_attribute("/", "height", images.rows);
  file.set_attribute("/", "width", images.cols);
  file.set_attribute("/", "channels", int64_t{1});
  file.set_attribute("/", "channel_mean", std::vector<double>{stats.mean});
  file.set_attribute("/", "channel_std", std::vector<double>{stats.std});
  file.close();
}

}  // namespace

void convert_mnist_split(const std::string& images_path, const std::string& labels_path,
                         const std::string& out_h5) {
  // Read and check everything before touching the output.
  const IdxImages images = read_idx_images(images_path);
  const std::vector<int32_t> labels = read_idx_labels(labels_path);
  if (images.count != static_cast<int64_t>(labels.size()))
    CONVOY_USER_ERROR("MNIST image/label count mismatch: '", images_path, "' holds ", images.count,
                      " images but '", labels_path, "' holds ", labels.size(), " labels");
  if (images.count == 0) CONVOY_USER_ERROR("IDX image file '", images_path, "' holds no images");
  const PixelStats stats = pixel_stats(images.pixels);

  // A reader never sees a half-written file.
  write_file_atomically(out_h5, [&](const std::string& temporary) { write_split(temporary, images, labels, stats); });
}

void convert_mnist_folder(const std::string& idx_folder, const std::string& out_dir) {
  // Find all four inputs first, so a missing one fails before anything is written.
  const std::string train_images = find_idx_file(idx_folder, "train-images-idx3-ubyte");
  const std::string train_labels = find_idx_file(idx_folder, "train-labels-idx1-ubyte");
  const std::string test_images = find_idx_file(idx_folder, "t10k-images-idx3-ubyte");
  const std::string test_labels = find_idx_file(idx_folder, "t10k-labels-idx1-ubyte");

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir))
    CONVOY_USER_ERROR("cannot create output folder '", out_dir, "'",
                      ec ? ": " + ec.message() : std::string(" (a file of that name exists)"));
  convert_mnist_split(train_images, train_labels, (fs::path(out_dir) / kMnistTrainFile).string());
  convert_mnist_split(test_images, test_labels, (fs::path(out_dir) / kMnistTestFile).string());
}

}  // namespace convoy
