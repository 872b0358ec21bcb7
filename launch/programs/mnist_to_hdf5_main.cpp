// mnist_to_hdf5: converts MNIST's four IDX files (.gz or raw) to docs/data.md HDF5 splits.
#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "launch/trainer/command_line.h"
#include "launch/trainer/train_program.h"
#include "core/error.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/mnist_to_hdf5.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
  return convoy::run_guarded("mnist_to_hdf5", [&] {
    std::string idx_dir, out_dir;
    po::options_description options("usage: mnist_to_hdf5 --idx-dir DIR --out-dir DIR\n\noptions");
    options.add_options()
        ("help,h", "print this help")
        ("idx-dir", po::value(&idx_dir)->required(),
         "folder with train-/t10k- images/labels IDX files (.gz or raw)")
        ("out-dir", po::value(&out_dir)->required(),
         "folder to write mnist_train.h5 and mnist_test.h5 into (created if missing)");
    po::variables_map vm;
    if (!convoy::parse_command_line(argc, argv, options, nullptr, vm)) return 0;

    const auto start = std::chrono::steady_clock::now();
    convoy::convert_mnist_folder(idx_dir, out_dir);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    // Report from the written files, which also checks they read back.
    for (const char* name : {convoy::kMnistTrainFile, convoy::kMnistTestFile}) {
      const std::string path = (std::filesystem::path(out_dir) / name).string();
      const auto data = convoy::ImageDataset::open(path);
      std::printf("wrote %s: %lld images %lldx%lldx%lld, %lld classes, mean %.4f, std %.4f\n", path.c_str(),
                  static_cast<long long>(data.size()), static_cast<long long>(data.height()),
                  static_cast<long long>(data.width()), static_cast<long long>(data.channels()),
                  static_cast<long long>(data.num_classes()), data.channel_mean()[0], data.channel_std()[0]);
    }
    std::printf("converted in %.2f s\n", seconds);
    return 0;
  });
}
