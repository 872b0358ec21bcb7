// The encoded images of a JPEG set, read by index from its HDF5 file, in
// either layout docs/data.md describes:
//   flat  /jpeg_bytes (every image back to back, stored contiguously) and
//         /jpeg_offsets (N + 1 int64; image i is [offsets[i], offsets[i+1])),
//         written by images_to_hdf5 since 2026-12-07. The offsets are held in
//         memory and an image is one pread() at the bytes' place in the file:
//         no libhdf5 call, so readers on many threads never wait for its lock
//         (5-9x the variable-length rate measured, docs/data.md).
//   vlen  /jpeg, one variable-length uint8 element per image (older files),
//         one libhdf5 read an image.
// Both are validated on open (types, shapes, offsets in order and inside the
// file, no element over max_element_bytes) with errors naming the file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace convoy {

class Hdf5File;

class EncodedImages {
 public:
  // Whether `file` holds a JPEG set in either layout.
  static bool present(const Hdf5File& file);
  static std::unique_ptr<const EncodedImages> open(std::shared_ptr<const Hdf5File> file, size_t max_element_bytes);
  virtual ~EncodedImages() = default;

  int64_t size() const { return size_; }
  // "flat" or "variable-length": what inspect_dataset reports.
  virtual const char* layout() const = 0;
  // Image i's bytes, read into scratch (the span points into it). Thread-safe.
  virtual std::span<const uint8_t> read(int64_t i, std::vector<uint8_t>& scratch) const = 0;
  // Images [first, first + count), handed in order to visit(index, bytes, size)
  // (the bytes may live in scratch, reused by the caller). Thread-safe.
  virtual void read_block(int64_t first, int64_t count, std::vector<uint8_t>& scratch,
                          const std::function<void(int64_t, const uint8_t*, size_t)>& visit) const = 0;

 protected:
  int64_t size_ = 0;
};

}  // namespace convoy
