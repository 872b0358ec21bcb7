#include "models/lenet5.h"

#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/flatten.h"
#include "nn/layers/linear.h"
#include "nn/layers/pool2d.h"

namespace convoy::models {

std::unique_ptr<Sequential> make_lenet5(const LeNet5Options& o) {
  auto net = std::make_unique<Sequential>();
  net->add(std::make_unique<Conv2d>(1, 6, 5, 1, 2), "conv1");
  net->add(make_sigmoid(), "sig1");
  net->add(std::make_unique<Pool2d>(PoolingKind::kAverage, 2, 2), "pool1");
  net->add(std::make_unique<Conv2d>(6, 16, 5, 1, 0), "conv2");
  net->add(make_sigmoid(), "sig2");
  net->add(std::make_unique<Pool2d>(PoolingKind::kAverage, 2, 2), "pool2");
  net->add(std::make_unique<Flatten>(), "flatten");
  const int64_t side = ((o.input_size) / 2 - 4) / 2;  // 28 -> 28 -> 14 -> 10 -> 5
  net->add(std::make_unique<Linear>(16 * side * side, 120), "fc1");
  net->add(make_sigmoid(), "sig3");
  net->add(std::make_unique<Linear>(120, 84), "fc2");
  net->add(make_sigmoid(), "sig4");
  net->add(std::make_unique<Linear>(84, o.num_classes), "fc3");
  net->fuse_activations();
  return net;
}

}  // namespace convoy::models
