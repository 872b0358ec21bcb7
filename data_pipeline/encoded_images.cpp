#include "data_pipeline/encoded_images.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "formats/hdf5_file.h"

namespace convoy {

namespace {

// /jpeg_bytes + /jpeg_offsets: offsets in memory, bytes by pread.
class FlatEncodedImages final : public EncodedImages {
 public:
  FlatEncodedImages(std::shared_ptr<const Hdf5File> file, size_t max_element_bytes) : file_(std::move(file)) {
    read_offsets(max_element_bytes);
    locate_bytes();
    fd_ = ::open(file_->path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) CONVOY_USER_ERROR("cannot open dataset file '", file_->path(), "': ", std::strerror(errno));
  }
  ~FlatEncodedImages() override { ::close(fd_); }
  const char* layout() const override { return "flat"; }
  FlatEncodedImages(const FlatEncodedImages&) = delete;
  FlatEncodedImages& operator=(const FlatEncodedImages&) = delete;

  std::span<const uint8_t> read(int64_t i, std::vector<uint8_t>& scratch) const override {
    const int64_t begin = offsets_[static_cast<size_t>(i)], end = offsets_[static_cast<size_t>(i) + 1];
    scratch.resize(static_cast<size_t>(end - begin));
    read_bytes(begin, scratch.data(), scratch.size(), i);
    return scratch;
  }

  void read_block(int64_t first, int64_t count, std::vector<uint8_t>& scratch,
                  const std::function<void(int64_t, const uint8_t*, size_t)>& visit) const override {
    const int64_t begin = offsets_[static_cast<size_t>(first)];
    scratch.resize(static_cast<size_t>(offsets_[static_cast<size_t>(first + count)] - begin));
    read_bytes(begin, scratch.data(), scratch.size(), first);
    for (int64_t i = first; i < first + count; ++i) {
      const int64_t at = offsets_[static_cast<size_t>(i)];
      visit(i, scratch.data() + (at - begin), static_cast<size_t>(offsets_[static_cast<size_t>(i) + 1] - at));
    }
  }

 private:
  void read_offsets(size_t max_element_bytes) {
    const std::string& path = file_->path();
    const Shape shape = file_->dataset_shape("/jpeg_offsets");
    if (shape.rank() != 1 || shape[0] < 1)
      CONVOY_USER_ERROR("dataset file '", path, "' has /jpeg_offsets of shape ", shape.to_string(),
                        "; expected (N + 1) offsets for N images");
    offsets_.resize(static_cast<size_t>(shape[0]));
    file_->read("/jpeg_offsets", offsets_.data(), shape[0]);
    size_ = shape[0] - 1;
    if (offsets_[0] != 0) CONVOY_USER_ERROR("dataset file '", path, "': /jpeg_offsets[0] is not 0");
    for (int64_t i = 0; i < size_; ++i) {
      const int64_t length = offsets_[static_cast<size_t>(i) + 1] - offsets_[static_cast<size_t>(i)];
      if (length < 0 || static_cast<uint64_t>(length) > max_element_bytes)
        CONVOY_USER_ERROR("dataset file '", path, "': image ", i, " spans ", length,
                          " bytes by /jpeg_offsets; an image takes 0 to ", max_element_bytes);
    }
  }

  // The bytes' place in the file, checked against the offsets and the file's size.
  void locate_bytes() {
    const std::string& path = file_->path();
    const Shape shape = file_->dataset_shape("/jpeg_bytes");
    if (!file_->is_bytes("/jpeg_bytes") || shape.rank() != 1 || shape[0] != offsets_.back())
      CONVOY_USER_ERROR("dataset file '", path, "' has /jpeg_bytes of shape ", shape.to_string(),
                        "; expected the ", offsets_.back(), " bytes /jpeg_offsets ends at, as uint8");
    base_ = file_->contiguous_offset("/jpeg_bytes");
    std::error_code ec;
    const auto file_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
    if (ec || base_ > file_bytes || offsets_.back() > file_bytes - base_)  // no sum that could overflow
      CONVOY_USER_ERROR("dataset file '", path, "' ends before its /jpeg_bytes do (truncated?)");
  }

  void read_bytes(int64_t at, uint8_t* out, size_t length, int64_t image) const {
    size_t done = 0;
    while (done < length) {
      const ssize_t got = ::pread(fd_, out + done, length - done, static_cast<off_t>(base_ + at) + done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        CONVOY_USER_ERROR("cannot read image ", image, " of '", file_->path(), "': ",
                          got < 0 ? std::strerror(errno) : "the file ends early (truncated?)");
      done += static_cast<size_t>(got);
    }
  }

  std::shared_ptr<const Hdf5File> file_;
  std::vector<int64_t> offsets_;
  int64_t base_ = 0;
  int fd_ = -1;
};

// /jpeg: one variable-length element an image, through libhdf5.
class VlenEncodedImages final : public EncodedImages {
 public:
  VlenEncodedImages(std::shared_ptr<const Hdf5File> file, size_t max_element_bytes)
      : file_(std::move(file)), max_element_bytes_(max_element_bytes) {
    const std::string& path = file_->path();
    if (!file_->is_vlen_bytes("/jpeg"))
      CONVOY_USER_ERROR("dataset file '", path, "' has a /jpeg dataset that is not variable-length uint8 ",
                        "(one encoded image per element)");
    const Shape shape = file_->dataset_shape("/jpeg");
    if (shape.rank() != 1)
      CONVOY_USER_ERROR("dataset file '", path, "' has /jpeg of shape ", shape.to_string(),
                        "; expected one variable-length JPEG per image");
    size_ = shape[0];
  }

  const char* layout() const override { return "variable-length"; }

  std::span<const uint8_t> read(int64_t i, std::vector<uint8_t>& scratch) const override {
    file_->read_vlen_uint8("/jpeg", i, scratch, max_element_bytes_);
    return scratch;
  }

  void read_block(int64_t first, int64_t count, std::vector<uint8_t>&,
                  const std::function<void(int64_t, const uint8_t*, size_t)>& visit) const override {
    file_->read_vlen_uint8_block("/jpeg", first, count, visit, max_element_bytes_);
  }

 private:
  std::shared_ptr<const Hdf5File> file_;
  size_t max_element_bytes_;
};

}  // namespace

bool EncodedImages::present(const Hdf5File& file) {
  return file.has("/jpeg_bytes") || file.has("/jpeg_offsets") || file.has("/jpeg");
}

std::unique_ptr<const EncodedImages> EncodedImages::open(std::shared_ptr<const Hdf5File> file,
                                                         size_t max_element_bytes) {
  if (file->has("/jpeg_bytes") || file->has("/jpeg_offsets")) {
    if (!file->has("/jpeg_bytes") || !file->has("/jpeg_offsets"))
      CONVOY_USER_ERROR("dataset file '", file->path(), "' has only one of /jpeg_bytes and /jpeg_offsets");
    return std::make_unique<const FlatEncodedImages>(std::move(file), max_element_bytes);
  }
  return std::make_unique<const VlenEncodedImages>(std::move(file), max_element_bytes);
}

}  // namespace convoy
