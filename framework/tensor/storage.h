// Storage: one device allocation, shared by the tensors that view it.
#pragma once

#include <cstddef>
#include <memory>

#include "tensor/device.h"

namespace convoy {

class Allocator;

class Storage {
 public:
  // Allocates `bytes` on `device` from its allocator (tensor/allocator.h).
  Storage(size_t bytes, Device device);
  // Allocates `bytes` from `allocator`, memory of `device` (e.g. pinned host
  // memory: Device::kCPU). The allocator must outlive the storage.
  Storage(size_t bytes, Device device, Allocator& allocator);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  Allocator* allocator_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

}  // namespace convoy
