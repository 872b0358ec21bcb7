// What the fuzz targets share: a scratch file per process, the rule that only
// a user error (a clear message about the input) is an acceptable outcome,
// and raw HDF5 writing for the structure-aware targets (any type, any shape,
// any attribute: what a hostile or damaged file may hold).
#pragma once

#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace convoy::fuzz {

// A file name private to this process (libFuzzer may run several jobs), in
// $TMPDIR (scripts/fuzz.sh points it at a folder it removes afterwards).
inline std::string scratch_path(const char* suffix) {
  const char* folder = std::getenv("TMPDIR");
  return std::string(folder && *folder ? folder : "/tmp") + "/convoy_fuzz_" + std::to_string(::getpid()) + suffix;
}

inline void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

// Runs `read`: a user error is the reader doing its job; an internal error
// (a failed check of ours) means the input got past validation, and is
// reported as a crash, as is any other exception.
template <typename Read>
void expect_only_user_errors(Read read) {
  try {
    read();
  } catch (const Error& e) {
    if (e.is_user_error()) return;
    std::fprintf(stderr, "fuzz: internal error on this input: %s\n", e.what());
    std::abort();
  }
}

// ---- raw HDF5 writing ----

inline void quiet_hdf5() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// A dataset of `type` with `dims` (empty: scalar), filled from `bytes`
// (repeated or cut to the dataset's size). Failures are ignored: the file
// then simply lacks the object.
inline void write_dataset(hid_t file, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                          const std::vector<uint8_t>& bytes, bool chunked = false) {
  hid_t space = dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t props = H5Pcreate(H5P_DATASET_CREATE);
  size_t count = 1;
  for (hsize_t d : dims) count *= static_cast<size_t>(d);
  if (chunked && !dims.empty() && count > 0) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = 1;
    H5Pset_chunk(props, static_cast<int>(chunk.size()), chunk.data());
  }
  hid_t d = H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, props, H5P_DEFAULT);
  if (d >= 0 && count > 0) {
    std::vector<uint8_t> values(count * H5Tget_size(type));
    for (size_t i = 0; i < values.size(); ++i) values[i] = bytes.empty() ? 0 : bytes[i % bytes.size()];
    H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  }
  if (d >= 0) H5Dclose(d);
  H5Pclose(props);
  H5Sclose(space);
}

// A 1-D dataset of variable-length sequences of `base` (one blob each).
inline void write_vlen(hid_t file, const std::string& name, hid_t base, const std::vector<std::vector<uint8_t>>& blobs) {
  hid_t type = H5Tvlen_create(base);
  const hsize_t n = blobs.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t d = H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (d >= 0 && n > 0) {
    const size_t element = H5Tget_size(base);
    std::vector<hvl_t> values(n);
    for (size_t i = 0; i < n; ++i) {
      values[i].len = blobs[i].size() / element;
      values[i].p = const_cast<uint8_t*>(blobs[i].data());
    }
    H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  }
  if (d >= 0) H5Dclose(d);
  H5Sclose(space);
  H5Tclose(type);
}

inline void write_attribute(hid_t file, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                            const void* values) {
  hid_t space = dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t a = H5Acreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) {
    H5Awrite(a, type, values);
    H5Aclose(a);
  }
  H5Sclose(space);
}

inline void write_string_attribute(hid_t file, const std::string& name, const std::string& value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const char* p = value.c_str();
  write_attribute(file, name, type, {}, &p);
  H5Tclose(type);
}

}  // namespace convoy::fuzz
