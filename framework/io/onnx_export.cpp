#include "io/onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "formats/atomic_file.h"
#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/dropout.h"
#include "nn/layers/flatten.h"
#include "nn/layers/linear.h"
#include "nn/layers/lrn.h"
#include "nn/layers/pool2d.h"
#include "nn/sequential.h"

namespace convoy {

namespace {

constexpr int64_t kOpset = 13;

// Nodes and initializers appended to one graph, each output named after its node.
class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto& graph) : graph_(graph) {}

  // An initializer; `is_parameter` counts it in the model's parameters.
  std::string constant(const std::string& name, const std::vector<int64_t>& dims, const float* values,
                       bool is_parameter = false) {
    onnx::TensorProto* t = graph_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    int64_t count = 1;
    for (const int64_t d : dims) t->add_dims(d), count *= d;
    t->mutable_float_data()->Add(values, values + count);
    if (is_parameter) parameters_ += count;
    return name;
  }

  onnx::NodeProto& node(const std::string& op, const std::string& name, const std::vector<std::string>& inputs) {
    onnx::NodeProto* n = graph_.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& in : inputs) n->add_input(in);
    n->add_output(name);
    return *n;
  }

  int64_t parameters() const { return parameters_; }

 private:
  onnx::GraphProto& graph_;
  int64_t parameters_ = 0;
};

void set_ints(onnx::NodeProto& n, const char* name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (const int64_t v : values) a->add_ints(v);
}

void set_int(onnx::NodeProto& n, const char* name, int64_t value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void set_float(onnx::NodeProto& n, const char* name, double value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(static_cast<float>(value));
}

std::vector<int64_t> dims_of(const Tensor& t) {
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < t.shape().rank(); ++i) dims.push_back(t.shape()[i]);
  return dims;
}

// A layer's parameters as initializers named as in checkpoints.
std::vector<std::string> parameter_inputs(GraphBuilder& g, Module& m) {
  std::vector<std::string> names;
  for (Parameter* p : m.parameters()) {
    CONVOY_CHECK(p->value.device() == Device::kCPU, "export the model from the host");
    names.push_back(g.constant(p->name, dims_of(p->value), p->value.data(), true));
  }
  return names;
}

// One module's nodes after `x`; returns the new output (x itself for dropout).
std::string add_module(GraphBuilder& g, Module& m, const std::string& x) {
  const std::string name = m.name();
  if (auto* conv = dynamic_cast<Conv2d*>(&m)) {
    const Convolution2dConfig& c = conv->config();  // a fused activation stays its own Activation module
    std::vector<std::string> inputs{x};
    for (const auto& p : parameter_inputs(g, m)) inputs.push_back(p);
    onnx::NodeProto& n = g.node("Conv", name, inputs);
    set_ints(n, "kernel_shape", {c.kernel_h, c.kernel_w});
    set_ints(n, "strides", {c.stride_h, c.stride_w});
    set_ints(n, "pads", {c.pad_h, c.pad_w, c.pad_h, c.pad_w});
    return name;
  }
  if (auto* act = dynamic_cast<Activation*>(&m))
    return g.node(act->activation() == ActivationKind::kRelu ? "Relu" : "Sigmoid", name, {x}), name;
  if (auto* pool = dynamic_cast<Pool2d*>(&m)) {
    const Pooling2dConfig& c = pool->config();
    onnx::NodeProto& n = g.node(c.kind == PoolingKind::kMax ? "MaxPool" : "AveragePool", name, {x});
    set_ints(n, "kernel_shape", {c.window_h, c.window_w});
    set_ints(n, "strides", {c.stride_h, c.stride_w});
    set_ints(n, "pads", {c.pad_h, c.pad_w, c.pad_h, c.pad_w});
    if (c.kind == PoolingKind::kAverage) set_int(n, "count_include_pad", 1);  // as the backends average
    return name;
  }
  if (auto* lrn = dynamic_cast<Lrn*>(&m)) {
    // docs/models.md: alpha not divided by the window [i - n/2, i + n/2]; ONNX divides by its (odd) size.
    const LrnConfig& c = lrn->config();
    const int64_t window = 2 * (c.local_size / 2) + 1;
    onnx::NodeProto& n = g.node("LRN", name, {x});
    set_int(n, "size", window);
    set_float(n, "alpha", c.alpha * static_cast<double>(window));
    set_float(n, "beta", c.beta);
    set_float(n, "bias", c.k);
    return name;
  }
  if (dynamic_cast<Flatten*>(&m)) {
    onnx::NodeProto& n = g.node("Flatten", name, {x});
    set_int(n, "axis", 1);
    return name;
  }
  if (dynamic_cast<Linear*>(&m)) {
    std::vector<std::string> inputs{x};
    for (const auto& p : parameter_inputs(g, m)) inputs.push_back(p);
    onnx::NodeProto& n = g.node("Gemm", name, inputs);  // x (B, in) times weight (out, in) transposed
    set_int(n, "transB", 1);
    return name;
  }
  if (dynamic_cast<Dropout*>(&m)) return x;  // inference: the identity
  CONVOY_USER_ERROR("cannot export layer '", name, "' (", m.kind(), ") to ONNX: supported are conv2d, relu, ",
                    "sigmoid, max and average pooling, lrn, flatten, linear and dropout");
}

void set_tensor_type(onnx::ValueInfoProto& v, const std::string& name, const std::vector<int64_t>& dims) {
  v.set_name(name);
  onnx::TypeProto_Tensor* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  onnx::TensorShapeProto* s = t->mutable_shape();
  s->add_dim()->set_dim_param("batch");
  for (const int64_t d : dims) s->add_dim()->set_dim_value(d);
}

std::string joined(const std::vector<double>& values) {
  std::ostringstream out;
  out.precision(17);
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  return out.str();
}

void add_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  onnx::StringStringEntryProto* e = model.add_metadata_props();
  e->set_key(key);
  e->set_value(value);
}

// (x - mean) / std per channel, from the pixels input; returns the normalised tensor's name.
std::string add_normalisation(GraphBuilder& g, const OnnxExportOptions& o, int64_t channels) {
  if (static_cast<int64_t>(o.mean.size()) != channels || static_cast<int64_t>(o.std.size()) != channels)
    CONVOY_USER_ERROR("the normalisation has ", o.mean.size(), " means and ", o.std.size(), " standard deviations; ",
                      "the model takes ", channels, " channels");
  std::vector<float> mean(o.mean.begin(), o.mean.end()), std(o.std.begin(), o.std.end());
  g.constant("channel_mean", {1, channels, 1, 1}, mean.data());
  g.constant("channel_std", {1, channels, 1, 1}, std.data());
  g.node("Sub", "centred", {"pixels", "channel_mean"});
  return g.node("Div", "normalised", {"centred", "channel_std"}), "normalised";
}

}  // namespace

std::string export_onnx(Sequential& model, const Shape& input_chw, const OnnxExportOptions& options,
                        const std::string& path) {
  CONVOY_CHECK(input_chw.rank() == 3, "export_onnx takes the input as (C, H, W), got ", input_chw.to_string());
  onnx::ModelProto proto;
  proto.set_ir_version(onnx::IR_VERSION);
  proto.set_producer_name("convoy");
  proto.set_producer_version(CONVOY_VERSION);
  proto.add_opset_import()->set_version(kOpset);
  onnx::GraphProto* graph = proto.mutable_graph();
  graph->set_name(options.model_name);
  GraphBuilder g(*graph);
  const bool normalise = !options.mean.empty() || !options.std.empty();
  const std::string input = normalise ? "pixels" : "input";
  set_tensor_type(*graph->add_input(), input, {input_chw[0], input_chw[1], input_chw[2]});
  std::string x = normalise ? add_normalisation(g, options, input_chw[0]) : input;
  Shape shape{1, input_chw[0], input_chw[1], input_chw[2]};
  for (size_t i = 0; i < model.size(); ++i) {
    x = add_module(g, model.at(i), x);
    shape = model.at(i).output_shape(shape);
  }
  if (shape.rank() != 2) CONVOY_USER_ERROR("the model's output is ", shape.to_string(), ", not (batch, classes)");
  if (options.softmax) {
    onnx::NodeProto& n = g.node("Softmax", "softmax", {x});
    set_int(n, "axis", 1);
    x = "softmax";
  }
  const std::string output = options.softmax ? "probabilities" : "logits";
  graph->mutable_node(graph->node_size() - 1)->set_output(0, output);
  set_tensor_type(*graph->add_output(), output, {shape[1]});
  add_metadata(proto, "convoy_model", options.model_name);
  if (normalise) {
    add_metadata(proto, "channel_mean", joined(options.mean));
    add_metadata(proto, "channel_std", joined(options.std));
  }
  if (!options.class_names.empty()) {
    std::string names;
    for (const auto& c : options.class_names) names += (names.empty() ? "" : "\n") + c;
    add_metadata(proto, "class_names", names);
  }
  try {
    onnx::checker::check_model(proto);
  } catch (const std::exception& e) {
    CONVOY_CHECK(false, "the exported ONNX model fails ONNX's checker: ", e.what());
  }
  write_file_atomically(path, [&](const std::string& temporary) {
    std::ofstream out(temporary, std::ios::binary);
    if (!proto.SerializeToOstream(&out) || !out.flush())
      CONVOY_USER_ERROR("cannot write the ONNX model '", path, "' (disk full?)");
  });
  return std::to_string(graph->node_size()) + " nodes, " + std::to_string(g.parameters()) + " parameters, opset " +
         std::to_string(kOpset);
}

}  // namespace convoy
