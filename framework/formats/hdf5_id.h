// One HDF5 identifier, closed with its matching H5*close: the RAII handle
// formats/hdf5_file.cpp builds on. Private to formats/ (not installed), so
// that HDF5's headers stay a private dependency of convoy.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <type_traits>

namespace convoy {

static_assert(std::is_same_v<hid_t, int64_t>, "formats/hdf5_file.h passes HDF5 identifiers as int64_t (HDF5 >= 1.10)");

// Owns one HDF5 identifier and closes it with the matching H5*close.
class Hdf5Id {
 public:
  Hdf5Id() = default;
  Hdf5Id(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Hdf5Id() { reset(); }
  Hdf5Id(Hdf5Id&& other) noexcept { *this = std::move(other); }
  Hdf5Id& operator=(Hdf5Id&& other) noexcept;
  Hdf5Id(const Hdf5Id&) = delete;
  Hdf5Id& operator=(const Hdf5Id&) = delete;
  hid_t get() const { return id_; }
  void reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

}  // namespace convoy
