#include "tensor/storage.h"

#include "tensor/allocator.h"

namespace convoy {

Storage::Storage(size_t bytes, Device device) : Storage(bytes, device, allocator_for(device)) {}

Storage::Storage(size_t bytes, Device device, Allocator& allocator) : bytes_(bytes), device_(device) {
  if (bytes == 0) return;
  allocator_ = &allocator;
  data_ = allocator_->allocate(bytes);
}

Storage::~Storage() {
  if (data_) allocator_->deallocate(data_);
}

}  // namespace convoy
