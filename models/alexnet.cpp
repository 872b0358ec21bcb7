#include "models/alexnet.h"

#include "core/error.h"
#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/dropout.h"
#include "nn/layers/flatten.h"
#include "nn/layers/linear.h"
#include "nn/layers/lrn.h"
#include "nn/layers/pool2d.h"

namespace convoy::models {

namespace {
int64_t pooled(int64_t side) { return (side - 3) / 2 + 1; }
}  // namespace

std::unique_ptr<Sequential> make_alexnet(const AlexNetOptions& o) {
  const int64_t conv1_side = (o.input_size - 11) / 4 + 1;
  const int64_t final_side = pooled(pooled(pooled(conv1_side)));
  if (o.input_size < 63 || final_side < 1)
    CONVOY_USER_ERROR("AlexNet needs --input-size >= 63, got ", o.input_size);
  if (o.num_classes < 2) CONVOY_USER_ERROR("--num-classes must be >= 2, got ", o.num_classes);
  const LrnConfig lrn{5, 1e-4, 0.75, 2.0};

  auto net = std::make_unique<Sequential>();
  net->add(std::make_unique<Conv2d>(3, 96, 11, 4, 0), "conv1");
  net->add(make_relu(), "relu1");
  if (o.use_lrn) net->add(std::make_unique<Lrn>(lrn), "lrn1");
  net->add(std::make_unique<Pool2d>(PoolingKind::kMax, 3, 2), "pool1");
  net->add(std::make_unique<Conv2d>(96, 256, 5, 1, 2), "conv2").bias().paper_bias = 1.0;
  net->add(make_relu(), "relu2");
  if (o.use_lrn) net->add(std::make_unique<Lrn>(lrn), "lrn2");
  net->add(std::make_unique<Pool2d>(PoolingKind::kMax, 3, 2), "pool2");
  net->add(std::make_unique<Conv2d>(256, 384, 3, 1, 1), "conv3");
  net->add(make_relu(), "relu3");
  net->add(std::make_unique<Conv2d>(384, 384, 3, 1, 1), "conv4").bias().paper_bias = 1.0;
  net->add(make_relu(), "relu4");
  net->add(std::make_unique<Conv2d>(384, 256, 3, 1, 1), "conv5").bias().paper_bias = 1.0;
  net->add(make_relu(), "relu5");
  net->add(std::make_unique<Pool2d>(PoolingKind::kMax, 3, 2), "pool5");
  net->add(std::make_unique<Flatten>(), "flatten");
  net->add(std::make_unique<Linear>(256 * final_side * final_side, 4096), "fc6").bias().paper_bias = 1.0;
  net->add(make_relu(), "relu6");
  net->add(std::make_unique<Dropout>(o.dropout, 6), "drop6");
  net->add(std::make_unique<Linear>(4096, 4096), "fc7").bias().paper_bias = 1.0;
  net->add(make_relu(), "relu7");
  net->add(std::make_unique<Dropout>(o.dropout, 7), "drop7");
  net->add(std::make_unique<Linear>(4096, o.num_classes), "fc8");
  net->fuse_activations();
  return net;
}

}  // namespace convoy::models
