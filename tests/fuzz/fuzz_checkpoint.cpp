// load_checkpoint on HDF5 files whose contents the fuzz input decides: every
// LeNet-5 parameter and momentum present, missing, of another shape or type,
// or holding non-finite values; every position attribute present, missing,
// of another type, or impossible. Written through the HDF5 API, then loaded
// into a LeNet-5 as --resume and --evaluate do.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <limits>

#include "io/checkpoint.h"
#include "models/lenet5.h"
#include "optim/sgd.h"
#include "tests/fuzz/fuzz_support.h"

using namespace convoy;

namespace {

enum Part { kGood = 0, kMissing, kWrongShape, kWrongType, kNonFinite };

void write_tensor(FuzzedDataProvider& in, hid_t file, const std::string& name, const Shape& shape) {
  std::vector<hsize_t> dims(shape.dims().begin(), shape.dims().end());
  std::vector<float> values(static_cast<size_t>(shape.numel()), 0.01f);
  auto as_bytes = [](const std::vector<float>& v) {
    return std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), reinterpret_cast<const uint8_t*>(v.data() + v.size()));
  };
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case kGood: fuzz::write_dataset(file, name, H5T_NATIVE_FLOAT, dims, as_bytes(values)); break;
    case kMissing: break;
    case kWrongShape:
      if (!dims.empty()) dims[in.ConsumeIntegralInRange<size_t>(0, dims.size() - 1)] = in.ConsumeIntegralInRange<hsize_t>(0, 7);
      if (in.ConsumeBool()) dims.push_back(1);
      fuzz::write_dataset(file, name, H5T_NATIVE_FLOAT, dims, as_bytes(values));
      break;
    case kWrongType: fuzz::write_dataset(file, name, in.ConsumeBool() ? H5T_NATIVE_INT32 : H5T_NATIVE_DOUBLE, dims, as_bytes(values)); break;
    case kNonFinite:
      values[in.ConsumeIntegralInRange<size_t>(0, values.size() - 1)] =
          in.ConsumeBool() ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
      fuzz::write_dataset(file, name, H5T_NATIVE_FLOAT, dims, as_bytes(values));
      break;
  }
}

void write_position_attribute(FuzzedDataProvider& in, hid_t file, const char* name, int64_t good) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: fuzz::write_attribute(file, name, H5T_NATIVE_INT64, {}, &good); break;
    case 1: break;
    case 2: {
      const int64_t v = in.ConsumeIntegral<int64_t>();
      fuzz::write_attribute(file, name, H5T_NATIVE_INT64, {}, &v);
      break;
    }
    case 3: fuzz::write_string_attribute(file, name, in.ConsumeRandomLengthString(12)); break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  fuzz::quiet_hdf5();
  static std::unique_ptr<Sequential> model = models::make_lenet5();
  static Sgd sgd(model->parameters(), SgdOptions{0.9, 0.0, false});
  const std::string path = fuzz::scratch_path(".ckpt.h5");
  {
    hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) return 0;
    if (in.ConsumeIntegralInRange<int>(0, 3) != 1) H5Gclose(H5Gcreate2(file, "/parameters", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    const bool velocities = in.ConsumeIntegralInRange<int>(0, 3) != 1;
    if (velocities) H5Gclose(H5Gcreate2(file, "/velocities", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    for (Parameter* p : model->parameters()) {
      write_tensor(in, file, "/parameters/" + p->name, p->value.shape());
      if (velocities) write_tensor(in, file, "/velocities/" + p->name, p->value.shape());
    }
    const int64_t version = in.ConsumeIntegralInRange<int>(0, 5) == 1 ? 99 : 1;
    if (in.ConsumeIntegralInRange<int>(0, 5) != 1) fuzz::write_attribute(file, "format_version", H5T_NATIVE_INT64, {}, &version);
    if (in.ConsumeIntegralInRange<int>(0, 5) != 1) fuzz::write_string_attribute(file, "model", in.ConsumeBool() ? "lenet5" : "alexnet");
    write_position_attribute(in, file, "epoch", 1);
    write_position_attribute(in, file, "batch_in_epoch", 3);
    write_position_attribute(in, file, "global_step", 40);
    write_position_attribute(in, file, "global_batch", 64);
    write_position_attribute(in, file, "train_samples", 60000);
    write_position_attribute(in, file, "seed", 1);
    if (in.ConsumeIntegralInRange<int>(0, 5) != 1) fuzz::write_string_attribute(file, "options", in.ConsumeRandomLengthString(32));
    std::vector<double> schedule(in.ConsumeIntegralInRange<int>(0, 5) == 1 ? in.ConsumeIntegralInRange<size_t>(0, 5) : 3, 1.0);
    if (in.ConsumeIntegralInRange<int>(0, 5) != 2) fuzz::write_attribute(file, "schedule_state", H5T_NATIVE_DOUBLE, {schedule.size()}, schedule.data());
    H5Fclose(file);
  }
  const bool with_optimizer_state = in.ConsumeBool();
  fuzz::expect_only_user_errors([&] {
    const TrainingPosition position =
        load_checkpoint(path, model->parameters(), with_optimizer_state ? &sgd.velocities() : nullptr);
    // What loaded is finite: a damaged checkpoint never becomes the model.
    for (Parameter* p : model->parameters())
      for (int64_t i = 0; i < p->value.numel(); ++i)
        if (!std::isfinite(p->value.data()[i])) std::abort();
    (void)position;
  });
  return 0;
}
