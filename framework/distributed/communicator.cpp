#include "distributed/communicator.h"

#include "core/error.h"

namespace convoy {

size_t element_size(DataType type) {
  switch (type) {
    case DataType::kFloat32: return 4;
    case DataType::kBFloat16: return 2;
  }
  CONVOY_THROW("unknown data type");
}

const char* to_string(DataType type) { return type == DataType::kFloat32 ? "fp32" : "bf16"; }

std::string broadcast_string(Communicator& comm, std::string text, int root, const std::string& label) {
  int64_t length = static_cast<int64_t>(text.size());
  comm.broadcast(&length, sizeof length, root, label);
  text.resize(static_cast<size_t>(length));
  if (length > 0) comm.broadcast(text.data(), length, root, label);
  return text;
}

}  // namespace convoy
