// ImageDataset: one docs/data.md HDF5 split, raw (/images) or JPEG-encoded
// (/jpeg_bytes + /jpeg_offsets, or an older file's /jpeg: encoded_images.h),
// read by index from any number of threads. Validated on open: datasets and
// attributes present, shapes consistent, labels within num_classes; otherwise
// a user error naming the file and the problem. Sets that fit in memory are
// loaded whole (CacheMode::kAuto decides from the file size and the RAM).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/named_values.h"
#include "data_pipeline/image.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/jpeg_window_decoder.h"
#include "data_pipeline/pca.h"

namespace convoy {

class Hdf5File;
class EncodedImages;
class JpegCache;

// One thread's decoders and buffers for ImageDataset reads, reused for every image.
struct ReadBuffers {
  JpegCodec codec;
  JpegWindowDecoder window_decoder;
  Image image;                   // decoded pixels (what a returned view may point into)
  std::vector<uint8_t> encoded;  // JPEG bytes read from the file
};

enum class CacheMode { kAuto, kOn, kOff };
std::span<const NamedValue<CacheMode>> named_values(CacheMode);  // auto | on | off

class ImageDataset {
 public:
  // kAuto holds the set in memory when it fits in a quarter of the RAM
  // divided by sharing_processes (the ranks on this node, each with a copy).
  static ImageDataset open(const std::string& path, CacheMode cache = CacheMode::kAuto, int sharing_processes = 1);
  ImageDataset(ImageDataset&&) noexcept;
  ImageDataset& operator=(ImageDataset&&) noexcept;
  ~ImageDataset();

  int64_t size() const { return size_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t channels() const { return channels_; }
  int64_t num_classes() const { return num_classes_; }
  int64_t image_bytes() const { return height_ * width_ * channels_; }
  // The most bytes one encoded image of a JPEG set may take: four times its
  // pixels and 1 MiB (PNG and JPEG at any quality stay far below); a larger
  // element is refused as damaged rather than read into memory.
  size_t max_encoded_bytes() const { return static_cast<size_t>(4 * image_bytes() + (1 << 20)); }
  bool is_jpeg() const { return jpeg_; }
  // "raw", "jpeg" (the flat layout) or "jpeg, variable-length" (a file written
  // before 2026-12-07: converting it again makes reads from disk faster).
  std::string storage() const;
  // Whether the set is held in memory. A JPEG set fills its cache in the
  // background after open (reads meanwhile go to the file): the first batch
  // does not wait for the whole set.
  bool cached() const { return cached_; }
  void wait_until_cached() const;  // benchmarks and tests: until a JPEG set's cache is filled
  int64_t cached_images() const;   // how many images are in memory now

  // Image i as HWC uint8 (decoding JPEG with `codec`, one per thread; `scratch`
  // holds the encoded bytes). Safe to call from several threads at once.
  void read_image(int64_t i, Image& out, JpegCodec& codec, std::vector<uint8_t>& scratch) const;
  // The window (top, left, height, width) of image i, without copying where
  // possible: a cached raw set returns a view into the cache, a JPEG set
  // decodes only the window's rows and iMCU columns into buffers.image. The
  // view is valid until the next read with the same buffers. Thread-safe.
  ImageView read_window(int64_t i, int64_t top, int64_t left, int64_t height, int64_t width,
                        ReadBuffers& buffers) const;
  // Image i of a cached raw set, in place (MNIST's fast path).
  const uint8_t* image(int64_t i) const;
  int32_t label(int64_t i) const;
  const std::vector<int32_t>& labels() const { return labels_; }

  const std::vector<double>& channel_mean() const { return channel_mean_; }
  const std::vector<double>& channel_std() const { return channel_std_; }
  bool has_pca() const { return has_pca_; }
  const Eigen3& pca() const { return pca_; }  // pca_eigval / pca_eigvec of the file
  const std::vector<std::string>& class_names() const { return class_names_; }  // empty if absent
  const std::vector<std::string>& class_ids() const { return class_ids_; }      // /class_ids; empty if absent
  const std::string& path() const { return path_; }

 private:
  void read_attributes(const Hdf5File& f);
  void read_image_count(const std::shared_ptr<const Hdf5File>& f);
  void read_labels(const Hdf5File& f);
  ImageDataset() = default;
  // The encoded bytes of image i of a JPEG set: in the cache, or read into scratch.
  std::span<const uint8_t> jpeg_bytes(int64_t i, std::vector<uint8_t>& scratch) const;

  std::string path_;
  int64_t size_ = 0, height_ = 0, width_ = 0, channels_ = 0, num_classes_ = 0;
  bool jpeg_ = false, cached_ = false, has_pca_ = false;
  std::shared_ptr<const Hdf5File> file_;   // for reads by index while not cached
  std::shared_ptr<const EncodedImages> encoded_;  // a JPEG set's images in the file
  std::vector<uint8_t> images_;            // cached raw pixels
  std::unique_ptr<JpegCache> jpeg_cache_;  // cached JPEG bytes (its thread holds file_ too)
  std::vector<int32_t> labels_;
  std::vector<double> channel_mean_, channel_std_;
  Eigen3 pca_;
  std::vector<std::string> class_names_, class_ids_;
};

// A validation set must label the training set's classes: the same class
// count and, where both files store /class_ids, the same ids in the same
// order. Otherwise a user error naming both files and the first difference.
void check_same_classes(const ImageDataset& train, const ImageDataset& val);

}  // namespace convoy
