// Writes the fuzz targets' seed corpora: small valid inputs of each kind,
// made here (never copied from ../shared). Usage: fuzz_make_seeds OUTDIR
// (creates OUTDIR/<target>/seed-*).
#include <png.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data_pipeline/image_codec.h"

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

namespace {

void save(const fs::path& dir, const std::string& name, const Bytes& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void put32(Bytes& b, uint32_t v) {
  for (int k = 3; k >= 0; --k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
}

convoy::Image pattern(int64_t h, int64_t w, int channels) {
  convoy::Image image;
  image.resize(h, w, channels);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>((i * 37) ^ (i >> 5));
  return image;
}

Bytes png_of(const convoy::Image& image, uint32_t format) {
  png_image p{};
  p.version = PNG_IMAGE_VERSION;
  p.width = static_cast<png_uint_32>(image.width);
  p.height = static_cast<png_uint_32>(image.height);
  p.format = format;
  png_alloc_size_t size = 0;
  png_image_write_to_memory(&p, nullptr, &size, 0, image.pixels.data(), 0, nullptr);
  Bytes out(size);
  png_image_write_to_memory(&p, out.data(), &size, 0, image.pixels.data(), 0, nullptr);
  out.resize(size);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds OUTDIR\n");
    return 2;
  }
  const fs::path out = argv[1];
  // MNIST IDX: first byte 0 raw images, 1 raw labels, 2 gzip images, 3 gzip labels.
  Bytes images{0};
  put32(images, 0x00000803), put32(images, 3), put32(images, 4), put32(images, 4);
  for (int i = 0; i < 48; ++i) images.push_back(static_cast<uint8_t>(i * 5));
  Bytes labels{1};
  put32(labels, 0x00000801), put32(labels, 3);
  labels.insert(labels.end(), {7, 0, 9});
  save(out / "fuzz_mnist_idx", "seed-images", images);
  save(out / "fuzz_mnist_idx", "seed-labels", labels);
  images[0] = 2, labels[0] = 3;
  save(out / "fuzz_mnist_idx", "seed-images-gz", images);
  save(out / "fuzz_mnist_idx", "seed-labels-gz", labels);

  // Images: 4 window bytes, then the file.
  convoy::JpegCodec codec;
  auto with_window = [](Bytes file) {
    file.insert(file.begin(), {32, 64, 128, 200});
    return file;
  };
  save(out / "fuzz_image_decode", "seed-420.jpg", with_window(codec.encode_jpeg(pattern(24, 40, 3), 85)));
  save(out / "fuzz_image_decode", "seed-444.jpg", with_window(codec.encode_jpeg(pattern(17, 9, 3), 95, true)));
  save(out / "fuzz_image_decode", "seed-grey.jpg", with_window(codec.encode_jpeg(pattern(16, 16, 1), 90)));
  save(out / "fuzz_image_decode", "seed-rgb.png", with_window(png_of(pattern(8, 12, 3), PNG_FORMAT_RGB)));
  save(out / "fuzz_image_decode", "seed-grey.png", with_window(png_of(pattern(5, 7, 1), PNG_FORMAT_GRAY)));
  save(out / "fuzz_image_decode", "seed-rgba.png", with_window(png_of(pattern(6, 6, 4), PNG_FORMAT_RGBA)));

  // Command lines: a format byte (bit 0: train_alexnet's options), then NUL-separated arguments.
  auto command = [](uint8_t which, const std::vector<std::string>& args) {
    Bytes b{which};
    for (size_t i = 0; i < args.size(); ++i) {
      if (i) b.push_back(0);
      b.insert(b.end(), args[i].begin(), args[i].end());
    }
    return b;
  };
  save(out / "fuzz_command_line", "seed-lenet", command(0, {"--epochs", "3", "--lr", "0.02", "--batch-size", "32"}));
  save(out / "fuzz_command_line", "seed-alexnet",
       command(1, {"--synthetic", "100", "--lr-schedule", "multistep", "--lr-milestones", "30", "--lr-milestones", "60",
                   "--pca-sigma=0.1", "--anomaly", "skip"}));
  save(out / "fuzz_command_line", "seed-parallel",
       command(0, {"--accumulate-steps", "2", "--lr-scaling", "linear", "--bucket-mb", "0.5", "--resume", "auto",
                   "--checkpoint-dir", "ck"}));

  // The structure-aware targets: an empty input is a well-formed file; a few
  // byte strings give the fuzzer other starting structures.
  for (const char* target : {"fuzz_hdf5_dataset", "fuzz_checkpoint"}) {
    save(out / target, "seed-empty", {});
    for (int k = 1; k <= 4; ++k) {
      Bytes b(static_cast<size_t>(16 * k));
      for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>((i * (7 + k)) % 5);  // small choices
      save(out / target, "seed-" + std::to_string(k), b);
    }
  }
  // Raw HDF5: the smallest files the library writes are made by the
  // structure-aware targets; here, a header-only start.
  save(out / "fuzz_hdf5_raw", "seed-signature", {0x89, 'H', 'D', 'F', '\r', '\n', 0x1A, '\n'});
  return 0;
}
