// MNIST IDX -> one HDF5 file per split in docs/data.md's layout.
#pragma once

#include <string>

namespace convoy {

inline constexpr const char* kMnistTrainFile = "mnist_train.h5";
inline constexpr const char* kMnistTestFile = "mnist_test.h5";

// Writes /images uint8 (N, H, W, 1) one image per chunk, /labels int32 (N),
// /class_names "0".."9" and the root attributes (num_classes, height, width,
// channels, channel_mean, channel_std in [0,1] units over this split's pixels).
// Atomic: written to a temporary beside out_h5 and renamed into place; on any
// failure the temporary is removed and an existing out_h5 is left untouched.
void convert_mnist_split(const std::string& images_path, const std::string& labels_path,
                         const std::string& out_h5);

// Converts the standard four files found in idx_folder (.gz or raw) to
// out_dir/mnist_train.h5 and out_dir/mnist_test.h5, creating out_dir if needed.
void convert_mnist_folder(const std::string& idx_folder, const std::string& out_dir);

}  // namespace convoy
