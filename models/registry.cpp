#include "models/registry.h"

#include "core/error.h"
#include "models/alexnet.h"
#include "models/lenet5.h"

namespace convoy::models {

std::unique_ptr<Sequential> make_model(const ModelSpec& spec) {
  if (spec.name == "lenet5") {
    LeNet5Options o;
    if (spec.num_classes) o.num_classes = spec.num_classes;
    if (spec.input_size) o.input_size = spec.input_size;
    return make_lenet5(o);
  }
  if (spec.name == "alexnet") {
    AlexNetOptions o;
    if (spec.num_classes) o.num_classes = spec.num_classes;
    if (spec.input_size) o.input_size = spec.input_size;
    return make_alexnet(o);
  }
  CONVOY_USER_ERROR("unknown model '", spec.name, "': expected lenet5 or alexnet");
}

Shape model_input_shape(const ModelSpec& spec) {
  if (spec.name == "lenet5") return Shape{1, 1, spec.input_size ? spec.input_size : 28, spec.input_size ? spec.input_size : 28};
  if (spec.name == "alexnet") return Shape{1, 3, spec.input_size ? spec.input_size : 227, spec.input_size ? spec.input_size : 227};
  CONVOY_USER_ERROR("unknown model '", spec.name, "': expected lenet5 or alexnet");
}

std::vector<std::string> model_names() { return {"lenet5", "alexnet"}; }

}  // namespace convoy::models
