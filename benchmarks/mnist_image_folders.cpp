// mnist_image_folders: MNIST's digits as image files in <class>/ folders
// (OUT/train/<digit>/<index>.png and OUT/test/<digit>/<index>.png, lossless
// 28x28 greyscale PNG), so that a real labelled set takes the road a photo
// set takes: images_to_hdf5 (resized to 256x256 RGB), the loader's crops and
// flips, train_alexnet. docs/models.md trains AlexNet on it.
#include <png.h>

#include <boost/program_options.hpp>
#include <filesystem>

#include "core/error.h"
#include "data_pipeline/mnist_idx.h"
#include "launch/trainer/command_line.h"
#include "launch/trainer/train_program.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace convoy {
namespace {

struct FolderOptions {
  std::string mnist, out;
  int64_t train_images = 20000, test_images = 10000;
};

void write_grey_png(const std::string& path, const uint8_t* pixels, int64_t rows, int64_t cols) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(cols);
  png.height = static_cast<png_uint_32>(rows);
  png.format = PNG_FORMAT_GRAY;
  if (!png_image_write_to_file(&png, path.c_str(), 0, pixels, 0, nullptr))
    CONVOY_USER_ERROR("cannot write '", path, "': ", png.message);
}

// The first `count` images of one split (all when count exceeds it), in file order.
void write_split(const std::string& folder, const std::string& images_stem, const std::string& labels_stem,
                 const std::string& out, int64_t count) {
  const IdxImages images = read_idx_images(find_idx_file(folder, images_stem));
  const std::vector<int32_t> labels = read_idx_labels(find_idx_file(folder, labels_stem));
  if (static_cast<int64_t>(labels.size()) != images.count)
    CONVOY_USER_ERROR("'", folder, "': ", images.count, " images but ", labels.size(), " labels");
  count = std::min(count, images.count);
  for (int digit = 0; digit < 10; ++digit) fs::create_directories(out + "/" + std::to_string(digit));
  const int64_t image_bytes = images.rows * images.cols;
  for (int64_t i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/%05lld.png", static_cast<long long>(i));
    write_grey_png(out + "/" + std::to_string(labels[static_cast<size_t>(i)]) + name,
                   images.pixels.data() + i * image_bytes, images.rows, images.cols);
  }
  std::printf("%s: %lld images\n", out.c_str(), static_cast<long long>(count));
}

}  // namespace
}  // namespace convoy

int main(int argc, char** argv) {
  return convoy::run_guarded("mnist_image_folders", [&] {
    convoy::FolderOptions o;
    po::options_description options("usage: mnist_image_folders --mnist DIR --out DIR [options]\n\noptions");
    options.add_options()("help,h", "print this help")
        ("mnist", po::value(&o.mnist)->required(), "folder of MNIST's IDX files (.gz or raw)")
        ("out", po::value(&o.out)->required(), "folder to write train/ and test/ into")
        ("train-images", convoy::option_value(&o.train_images),
         "the first N training images")
        ("test-images", convoy::option_value(&o.test_images), "the first N test images");
    po::variables_map vm;
    if (!convoy::parse_command_line(argc, argv, options, nullptr, vm)) return 0;
    convoy::write_split(o.mnist, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", o.out + "/train",
                        o.train_images);
    convoy::write_split(o.mnist, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", o.out + "/test",
                        o.test_images);
    return 0;
  });
}
