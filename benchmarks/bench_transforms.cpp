// Single-thread throughput of the docs/data.md (augmentation) training transform: a 256x256x3
// image to a 227x227 CHW float crop with random crop + flip + lighting +
// normalisation, per PCA mode; beside it the 8-bit form a GPU's loader
// writes instead (the crop's bytes and its map). Prints images/s; not a test. Usage:
// bench_transforms [seconds per mode, default 2] [output slots, default 128]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "data_pipeline/pixel_rows.h"
#include "data_pipeline/transforms.h"

int main(int argc, char** argv) {
  using namespace convoy;
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const int kImages = 16;  // ~3 MiB of source images, as a worker cycles through many
  std::vector<Image> images(kImages);
  uint32_t state = 1;
  for (Image& image : images) {
    image.resize(256, 256, 3);
    for (uint8_t& p : image.pixels) p = static_cast<uint8_t>((state = state * 1664525u + 1013904223u) >> 24);
  }
  TransformOptions options;
  options.crop_size = 227;
  options.mean = {0.485, 0.456, 0.406};
  options.std = {0.229, 0.224, 0.225};
  options.dataset_pca = eigen_symmetric3(
      Matrix3{{{0.066, 0.060, 0.052}, {0.060, 0.062, 0.057}, {0.052, 0.057, 0.067}}});
  // Outputs cycle through a batch-sized buffer (argv[2] images, default 128,
  // ~79 MB) as in the loader, so that writes go to memory, not to the cache.
  const int64_t slots = argc > 2 ? std::atoll(argv[2]) : 128;
  const int64_t per = 3 * 227 * 227;
  std::vector<float> out(static_cast<size_t>(slots * per), 0.0f);
  // CPU time of this thread as well as wall time: on a shared machine the
  // per-core rate is images per CPU-second.
  auto thread_seconds = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  };
  // Two forms of a sample: the float crop a CPU run trains on, and the 8-bit
  // form a GPU's loader leaves (the crop's rows copied as stored and the map
  // of core/pixel_batch.h; the GPU then normalises it).
  std::vector<uint8_t> pixel_out(static_cast<size_t>(slots * per), 0);
  auto float_sample = [&](const Image& image, const AugmentDraw& draw, int64_t slot) {
    apply_train_transform(image, draw, options, out.data() + slot * per);
  };
  auto pixel_sample = [&](const Image& image, const AugmentDraw& draw, int64_t slot) {
    volatile PixelAffine affine = train_transform_affine(image, draw, options);
    (void)affine;
    view_to_bytes(ImageView(image).window(draw.top, draw.left, 227, 227), pixel_out.data() + slot * per);
  };
  std::printf("%-10s %16s %16s %16s %16s %8s\n", "pca", "float img/s", "float img/cpu-s", "8-bit img/s",
              "8-bit img/cpu-s", "8b/float");
  std::string summary;
  for (PcaMode mode : {PcaMode::kOff, PcaMode::kDataset, PcaMode::kImage}) {
    options.pca = mode;
    double rate[2][2] = {};  // [form][wall, cpu]
    for (int form = 0; form < 2; ++form) {
      int64_t done = 0;
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = thread_seconds();
      double elapsed = 0;
      while (elapsed < seconds) {
        for (int i = 0; i < 64; ++i, ++done) {
          const Image& image = images[done % kImages];
          const AugmentDraw draw = draw_augmentation(7, 0, done, 256, 256, options);
          if (form == 0) float_sample(image, draw, done % slots);
          else pixel_sample(image, draw, done % slots);
        }
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      rate[form][0] = static_cast<double>(done) / elapsed;
      rate[form][1] = static_cast<double>(done) / (thread_seconds() - cpu_start);
    }
    std::printf("%-10s %16.0f %16.0f %16.0f %16.0f %8.2f\n", name_of(mode), rate[0][0], rate[0][1], rate[1][0],
                rate[1][1], rate[1][1] / rate[0][1]);
    summary += std::string(" ") + name_of(mode) + "_img_per_cpu_s=" + std::to_string(static_cast<int64_t>(rate[0][1])) +
               " " + name_of(mode) + "_pixels_img_per_cpu_s=" + std::to_string(static_cast<int64_t>(rate[1][1]));
  }
  std::printf("summary slots=%lld%s\n", static_cast<long long>(slots), summary.c_str());
  return 0;
}
