// Readers for MNIST's IDX files (big-endian header, uint8 payload), .gz or raw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convoy {

struct IdxImages {
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major, one image after another
};

// Both read through zlib, which passes raw files through unchanged. Every problem
// (missing file, wrong magic, bad dims, truncated or over-long file, label
// outside 0..9) is a user error naming the file.
IdxImages read_idx_images(const std::string& path);
std::vector<int32_t> read_idx_labels(const std::string& path);

// Finds `stem` (e.g. "train-images-idx3-ubyte") in `folder`, raw or with ".gz",
// also under the "train-images.idx3-ubyte" spelling; raw is preferred when both exist.
std::string find_idx_file(const std::string& folder, const std::string& stem);

}  // namespace convoy
