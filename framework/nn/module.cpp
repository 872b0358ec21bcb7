#include "nn/module.h"

namespace convoy {

void Module::set_name(std::string name) {
  name_ = std::move(name);
  for (Parameter* p : parameters()) {
    const auto dot = p->name.rfind('.');
    p->name = name_ + "." + (dot == std::string::npos ? p->name : p->name.substr(dot + 1));
  }
}

void Module::to(Device device) {
  for (Parameter* p : parameters()) {
    p->value = p->value.to(device);
    p->grad = p->grad.to(device);
  }
}

Device Module::device() {
  const std::vector<Parameter*> all = parameters();
  return all.empty() ? Device::kCPU : all.front()->value.device();
}

}  // namespace convoy
