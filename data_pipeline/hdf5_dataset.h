// A whole SPEC §8 HDF5 split held in memory: for small sets such as MNIST.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convoy {

class InMemoryImageDataset {
 public:
  // Reads and validates the file (raw /images only; /jpeg sets are not supported
  // here). A missing or malformed file is a user error naming the file and the problem.
  static InMemoryImageDataset open(const std::string& path);

  int64_t size() const { return size_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t channels() const { return channels_; }
  int64_t num_classes() const { return num_classes_; }
  int64_t image_bytes() const { return height_ * width_ * channels_; }

  // Image i as HWC uint8; valid while the dataset lives.
  const uint8_t* image(int64_t i) const;
  int32_t label(int64_t i) const;
  const std::vector<uint8_t>& images() const { return images_; }
  const std::vector<int32_t>& labels() const { return labels_; }

  const std::vector<double>& channel_mean() const { return channel_mean_; }
  const std::vector<double>& channel_std() const { return channel_std_; }
  const std::vector<std::string>& class_names() const { return class_names_; }  // empty if absent
  const std::string& path() const { return path_; }

 private:
  InMemoryImageDataset() = default;

  std::string path_;
  int64_t size_ = 0;
  int64_t height_ = 0;
  int64_t width_ = 0;
  int64_t channels_ = 0;
  int64_t num_classes_ = 0;
  std::vector<uint8_t> images_;
  std::vector<int32_t> labels_;
  std::vector<double> channel_mean_;
  std::vector<double> channel_std_;
  std::vector<std::string> class_names_;
};

}  // namespace convoy
