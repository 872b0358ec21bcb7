// A small RAII layer over the HDF5 C API: files, typed datasets and root or
// group attributes. Every failure throws convoy::Error naming the file and the object.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/shape.h"

namespace convoy {

// Whether every call into libhdf5 holds one process-wide lock: decided at the
// first use from H5is_library_threadsafe() (Debian's serial build is
// thread-safe; a build without --enable-threadsafe is not, and the loader's
// workers read from several threads). Tests may force it either way.
bool hdf5_calls_serialized();
void set_hdf5_calls_serialized(bool serialized);

class Hdf5Id;  // formats/hdf5_id.h: HDF5's own types stay inside formats/

class Hdf5File {
 public:
  enum class Mode { kRead, kCreate };
  Hdf5File(const std::string& path, Mode mode);
  ~Hdf5File();
  const std::string& path() const { return path_; }
  void close();  // flushes; further use throws

  bool has(const std::string& object) const;
  // The names of a group's members, in the file's (alphabetical) order.
  std::vector<std::string> list(const std::string& group) const;
  void create_group(const std::string& group);
  Shape dataset_shape(const std::string& dataset) const;

  // chunk_rows > 0 chunks the outer axis by that many rows (one image per chunk: 1).
  void write(const std::string& dataset, const Shape& shape, const float* data);
  void write(const std::string& dataset, const Shape& shape, const int32_t* data);
  void write(const std::string& dataset, const Shape& shape, const int64_t* data);
  void write(const std::string& dataset, const Shape& shape, const uint8_t* data,
             int64_t chunk_rows = 0);
  void write_strings(const std::string& dataset, const std::vector<std::string>& values);

  // Reads a whole dataset, checking its type class and element count.
  void read(const std::string& dataset, float* out, int64_t count) const;
  void read(const std::string& dataset, int32_t* out, int64_t count) const;
  void read(const std::string& dataset, int64_t* out, int64_t count) const;
  void read(const std::string& dataset, uint8_t* out, int64_t count) const;
  // Reads rows [first, first + rows) of a dataset's outer axis.
  void read_rows(const std::string& dataset, int64_t first, int64_t rows, uint8_t* out) const;
  std::vector<std::string> read_strings(const std::string& dataset) const;

  // Streaming writes for sets too large to hold in memory. Both kinds of dataset
  // have an extendible outer axis, so a writer can size them for every input and
  // shrink them (set_rows) to what it actually wrote.
  // A uint8 dataset of `shape`, outer axis chunked by chunk_rows (> 0); fill rows with write_rows.
  void create_rows_uint8(const std::string& dataset, const Shape& shape, int64_t chunk_rows);
  void write_rows(const std::string& dataset, int64_t first, int64_t rows, const uint8_t* data);
  // A 1-D uint8 dataset of `count` bytes stored contiguously (no chunks, no
  // fill: the writer fills every byte with write_rows), so that a reader can
  // find its bytes in the file (contiguous_offset) and read them itself.
  void create_contiguous_bytes(const std::string& dataset, int64_t count);
  // Where a contiguous dataset's first byte lies in the file; refused for a
  // chunked, compressed or unwritten one.
  int64_t contiguous_offset(const std::string& dataset) const;
  // Whether `dataset` holds 8-bit integers.
  bool is_bytes(const std::string& dataset) const;
  // A 1-D dataset of `count` variable-length uint8 sequences (one encoded image each).
  void create_vlen_uint8(const std::string& dataset, int64_t count, int64_t chunk_rows);
  void write_vlen_uint8(const std::string& dataset, int64_t index, const uint8_t* data, size_t size);
  // Element `index` of a variable-length uint8 dataset; one longer than max_bytes is refused.
  void read_vlen_uint8(const std::string& dataset, int64_t index, std::vector<uint8_t>& out,
                       size_t max_bytes = SIZE_MAX) const;
  // Elements [first, first + count) in one read, each handed to visit(index, bytes, size) in order
  // (the bytes are valid during the call); one longer than max_bytes is refused.
  void read_vlen_uint8_block(const std::string& dataset, int64_t first, int64_t count,
                             const std::function<void(int64_t index, const uint8_t* bytes, size_t size)>& visit,
                             size_t max_bytes = SIZE_MAX) const;
  // Whether `dataset` holds variable-length sequences of 8-bit integers (encoded images).
  bool is_vlen_bytes(const std::string& dataset) const;
  // Resizes the outer axis of an extendible dataset.
  void set_rows(const std::string& dataset, int64_t rows);

  // How many times this file has opened a dataset (reads by index open one once).
  int64_t datasets_opened() const { return datasets_opened_; }

  // Attributes on `object` ("/" for the root group).
  void set_attribute(const std::string& object, const std::string& name, int64_t value);
  void set_attribute(const std::string& object, const std::string& name, const std::vector<double>& values);
  void set_attribute(const std::string& object, const std::string& name, const std::string& value);
  bool has_attribute(const std::string& object, const std::string& name) const;
  int64_t attribute_int(const std::string& object, const std::string& name) const;
  std::vector<double> attribute_doubles(const std::string& object, const std::string& name) const;
  std::string attribute_string(const std::string& object, const std::string& name) const;

 private:
  Hdf5Id open_dataset(const std::string& dataset) const;
  Shape shape_of(const Hdf5Id& d, const std::string& dataset) const;
  static bool holds_vlen_bytes(const Hdf5Id& d);
  // Selects elements [first, first + count) of a 1-D dataset: its file space and a memory space of count.
  void select_elements(const Hdf5Id& d, const std::string& dataset, int64_t first, int64_t count,
                       Hdf5Id& file_space, Hdf5Id& mem_space) const;
  Hdf5Id open_attribute(const std::string& object, const std::string& name) const;
  // `type` and `mem_type` are HDF5 type identifiers (hid_t), `expected` an H5T_class_t.
  void write_raw(const std::string& dataset, const Shape& shape, int64_t type, const void* data,
                 int64_t chunk_rows);
  void read_raw(const std::string& dataset, int64_t mem_type, int expected, void* out, int64_t count) const;
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  std::unique_ptr<Hdf5Id> file_;
  mutable std::atomic<int64_t> datasets_opened_{0};
};

}  // namespace convoy
