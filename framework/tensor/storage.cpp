#include "tensor/storage.h"

#include <cstdlib>

#include "core/error.h"

namespace convoy {

namespace {
constexpr size_t kAlignment = 64;
}

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  CONVOY_CHECK(device == Device::kCPU, "only CPU storage is built in this configuration");
  if (bytes == 0) return;
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  data_ = std::aligned_alloc(kAlignment, rounded);
  if (!data_) CONVOY_THROW("out of memory allocating ", bytes, " bytes");
}

Storage::~Storage() { std::free(data_); }

}  // namespace convoy
