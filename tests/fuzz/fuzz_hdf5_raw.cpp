// Raw bytes as an HDF5 file, opened as a dataset and as a checkpoint. Debian's
// libhdf5 is not instrumented and has known crashes of its own on hostile
// files: a crash whose stack lies inside libhdf5 is listed (README,
// "Reliability") with its upstream report, not counted as ours.
#include "data_pipeline/hdf5_dataset.h"
#include "io/checkpoint.h"
#include "models/lenet5.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  convoy::fuzz::quiet_hdf5();
  const std::string path = convoy::fuzz::scratch_path(".raw.h5");
  convoy::fuzz::write_bytes(path, data, size);
  static std::unique_ptr<convoy::Sequential> model = convoy::models::make_lenet5();
  convoy::fuzz::expect_only_user_errors([&] {
    const convoy::ImageDataset set = convoy::ImageDataset::open(path, convoy::CacheMode::kOn);
    (void)set.size();
  });
  convoy::fuzz::expect_only_user_errors([&] { convoy::load_checkpoint(path, model->parameters(), nullptr); });
  return 0;
}
