// Feeding a GPU 8-bit batches: the device's normalisation gives the host
// transforms' bits exactly, from pageable or pinned memory, and the
// programs' loader for a GPU (pinned 8-bit batches) yields on the device
// exactly the float batches a CPU run trains on; the evaluator scores a model
// on the GPU as on the CPU. Skipped, with the reason, where there is no GPU.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "backend/batch_uploader.h"
#include "core/philox.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/images_to_hdf5.h"
#include "data_pipeline/pixel_rows.h"
#include "data_pipeline/sampler.h"
#include "gpu/gpu_test_support.h"
#include "distributed/single_process_communicator.h"
#include "launch/trainer/batch_feed.h"
#include "launch/trainer/evaluator.h"
#include "nn/init.h"
#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/flatten.h"
#include "nn/layers/linear.h"
#include "nn/layers/pool2d.h"
#include "tests/common/test_support.h"

namespace convoy {
namespace {

const Device kGpu = Device::cuda(0);

std::vector<float> host_floats(const Tensor& device_tensor) {
  const Tensor host = device_tensor.to(Device::kCPU);
  return std::vector<float>(host.data(), host.data() + host.numel());
}

// count random HWC samples and maps (every other one mirrored, a lighting
// offset each), in memory the caller gives.
void fill_random_batch(uint8_t* pixels, PixelTransform* maps, int64_t count, int64_t height, int64_t width,
                       int64_t channels, uint64_t seed) {
  const RandomStream stream(seed, RandomPurpose::kSynthetic, 0);
  const int64_t bytes = count * height * width * channels;
  for (int64_t i = 0; i < bytes; ++i) pixels[i] = static_cast<uint8_t>(stream.word_at(static_cast<uint64_t>(i)));
  const double mean[3] = {0.485, 0.456, 0.406}, std[3] = {0.229, 0.224, 0.225};
  for (int64_t b = 0; b < count; ++b) {
    const double delta[3] = {0.01 * static_cast<double>(b), -0.02, 0.003 * static_cast<double>(b)};
    maps[b].affine = normalising_affine(channels, mean, std, delta);
    maps[b].mirror = static_cast<uint32_t>(b % 2);
  }
}

std::vector<float> host_transform(const PixelBatch& batch) {
  const int64_t per = batch.sample_bytes();
  std::vector<float> out(static_cast<size_t>(batch.count * per));
  for (int64_t b = 0; b < batch.count; ++b)
    view_to_planes(ImageView(batch.pixels + b * per, batch.height, batch.width, batch.channels,
                             batch.width * batch.channels),
                   batch.transforms[b].mirror != 0, batch.transforms[b].affine, out.data() + b * per);
  return out;
}

TEST(PixelFeeding, TheDeviceNormalisesToTheHostsBitsFromPageableOrPinnedMemory) {
  CONVOY_REQUIRE_GPU();
  const std::unique_ptr<BatchUploader> uploader = make_batch_uploader(kGpu);
  ASSERT_TRUE(uploader->normalises_pixels());
  Allocator* pinned = uploader->pinned_memory();
  ASSERT_NE(pinned, nullptr);
  for (int64_t channels : {3, 1}) {
    SCOPED_TRACE(std::to_string(channels) + " channel(s)");
    const int64_t count = 5, height = 17, width = 19, bytes = count * height * width * channels;
    std::vector<uint8_t> pageable(static_cast<size_t>(bytes));
    std::vector<PixelTransform> pageable_maps(count);
    fill_random_batch(pageable.data(), pageable_maps.data(), count, height, width, channels, 31);
    const PixelBatch a{pageable.data(), pageable_maps.data(), count, height, width, channels};
    const std::vector<float> expected_a = host_transform(a);
    const Tensor& on_device_a = uploader->upload_pixels(a);
    EXPECT_EQ(on_device_a.shape(), (Shape{count, channels, height, width}));
    std::memset(pageable.data(), 0, pageable.size());  // reusable once upload_pixels returns

    auto* pinned_pixels = static_cast<uint8_t*>(pinned->allocate(static_cast<size_t>(bytes)));
    auto* pinned_maps = static_cast<PixelTransform*>(pinned->allocate(count * sizeof(PixelTransform)));
    fill_random_batch(pinned_pixels, pinned_maps, count, height, width, channels, 32);
    const PixelBatch b{pinned_pixels, pinned_maps, count, height, width, channels};
    const std::vector<float> expected_b = host_transform(b);
    const Tensor& on_device_b = uploader->upload_pixels(b);
    std::memset(pinned_pixels, 0, static_cast<size_t>(bytes));  // copied from where it lay, and done
    EXPECT_NE(on_device_a.device_data(), on_device_b.device_data());
    EXPECT_EQ(host_floats(on_device_a), expected_a) << "pageable (staged)";
    EXPECT_EQ(host_floats(on_device_b), expected_b) << "pinned (direct)";

    fill_random_batch(pinned_pixels, pinned_maps, count, height, width, channels, 33);
    const PixelBatch short_batch = b.first(2);  // a last, partial batch
    const std::vector<float> expected_c = host_transform(short_batch);
    const Tensor& on_device_c = uploader->upload_pixels(short_batch);
    EXPECT_EQ(on_device_c.shape(), (Shape{2, channels, height, width}));
    EXPECT_EQ(host_floats(on_device_c), expected_c);
    EXPECT_EQ(host_floats(on_device_b), expected_b) << "the last batch survives the next upload";

    // A larger batch: the slot's device buffers grow (fresh blocks, which the
    // copy stream must not write before the compute stream is done with them).
    const int64_t more = 9;
    std::vector<uint8_t> larger(static_cast<size_t>(more * height * width * channels));
    std::vector<PixelTransform> larger_maps(more);
    fill_random_batch(larger.data(), larger_maps.data(), more, height, width, channels, 34);
    const PixelBatch d{larger.data(), larger_maps.data(), more, height, width, channels};
    const std::vector<float> expected_d = host_transform(d);
    EXPECT_EQ(host_floats(uploader->upload_pixels(d)), expected_d) << "grown buffers";
    EXPECT_EQ(host_floats(on_device_c), expected_c);
    synchronize(kGpu);
    pinned->deallocate(pinned_pixels);
    pinned->deallocate(pinned_maps);
  }
}

// A small ImageNet-like set, written as the converter writes one.
std::shared_ptr<const ImageDataset> small_set(const testing::TempDir& dir) {
  JpegCodec codec;
  for (int k = 0; k < 3; ++k) {
    const std::string folder = dir / ("class" + std::to_string(k));
    std::filesystem::create_directories(folder);
    for (int i = 0; i < 3; ++i) {
      Image image;
      image.resize(40 + 3 * i, 44, 3);
      for (int64_t y = 0; y < image.height; ++y)
        for (int64_t x = 0; x < image.width * 3; ++x)
          image.row(y)[x] = static_cast<uint8_t>((x * (k + 2) + y * (i + 1) * 5 + (x % 3) * 60) % 256);
      const std::vector<uint8_t> jpeg = codec.encode_jpeg(image, 95);
      std::FILE* file = std::fopen((folder + "/" + std::to_string(i) + ".jpg").c_str(), "wb");
      std::fwrite(jpeg.data(), 1, jpeg.size(), file);
      std::fclose(file);
    }
  }
  ImagesToHdf5Options o;
  o.out = dir / "set.h5";
  o.size = 36;
  o.threads = 1;
  o.show_progress = false;
  images_to_hdf5(list_image_folder(dir.path().string()), o);
  return std::make_shared<const ImageDataset>(ImageDataset::open(o.out));
}

TEST(PixelFeeding, TheProgramsGpuLoaderYieldsTheCpuRunsBatchesOnTheDevice) {
  CONVOY_REQUIRE_GPU();
  testing::TempDir dir;
  const auto dataset = small_set(dir);
  AugmentedSourceOptions o;
  o.seed = 3;
  o.transform.crop_size = 32;
  o.transform.pca = PcaMode::kImage;
  use_dataset_statistics(*dataset, o.transform);
  auto source = make_augmented_source(dataset, o);
  const std::vector<int64_t> order = shuffled_order(dataset->size(), 3, 1);
  std::vector<std::vector<float>> cpu_batches;
  {
    const std::unique_ptr<BatchUploader> host = make_batch_uploader(Device::kCPU);
    const std::unique_ptr<Loader> loader = make_feeding_loader(*source, 4, 2, 2, *host);
    EXPECT_EQ(loader->format(), BatchFormat::kFloat);
    loader->start(order, 1, 0, true);
    while (const LoadedBatch* b = loader->next())
      cpu_batches.push_back(host_floats(upload_batch(*host, *b, static_cast<int64_t>(b->labels.size()))));
  }
  ASSERT_EQ(cpu_batches.size(), 3u);
  const std::unique_ptr<BatchUploader> gpu = make_batch_uploader(kGpu);
  const std::unique_ptr<Loader> loader = make_feeding_loader(*source, 4, 2, 2, *gpu);
  EXPECT_EQ(loader->format(), BatchFormat::kPixels);
  loader->start(order, 1, 0, true);
  size_t k = 0;
  while (const LoadedBatch* b = loader->next()) {
    const Tensor images = upload_batch(*gpu, *b, static_cast<int64_t>(b->labels.size()));
    EXPECT_EQ(images.device(), kGpu);
    ASSERT_LT(k, cpu_batches.size());
    EXPECT_EQ(host_floats(images), cpu_batches[k]) << "batch " << k;
    ++k;
  }
  EXPECT_EQ(k, cpu_batches.size());
  // Ten crops have no pixel form: floats, in pinned memory, even for a GPU.
  o.training = false;
  o.eval_crops = 10;
  auto ten = make_augmented_source(dataset, o);
  const std::unique_ptr<Loader> float_loader = make_feeding_loader(*ten, 2, 0, 1, *gpu);
  EXPECT_EQ(float_loader->format(), BatchFormat::kFloat);
  float_loader->start(sequential_order(2), 0, 0, false);
  const LoadedBatch* b = float_loader->next();
  ASSERT_NE(b, nullptr);
  const std::vector<float> expected(b->images.data(), b->images.data() + b->images.numel());
  EXPECT_EQ(host_floats(upload_batch(*gpu, *b, 2)), expected);
}

// A classifier of the small set's 32x32 crops (10 classes): a convolution,
// a max pool and a fully connected layer, as a model on either device.
std::unique_ptr<Sequential> small_classifier() {
  auto net = std::make_unique<Sequential>();
  net->add(std::make_unique<Conv2d>(3, 6, 5, 1, 0), "conv");  // 32 -> 28
  net->add(make_sigmoid(), "sigmoid");
  net->add(std::make_unique<Pool2d>(PoolingKind::kMax, 2, 2), "pool");  // 28 -> 14
  net->add(std::make_unique<Flatten>(), "flatten");
  net->add(std::make_unique<Linear>(6 * 14 * 14, 10), "fc");
  return net;
}

// The evaluator with a model on the GPU scores as with the same model on the
// CPU: centre crops as 8-bit batches normalised on the device, and ten crops
// as floats whose probabilities are averaged on the host; 9 samples in
// batches of 4 end with a partial batch. A second evaluation reuses the
// uploader and the convolution's chosen algorithms.
TEST(PixelFeeding, TheEvaluatorScoresAModelOnTheGpuAsOnTheCpu) {
  CONVOY_REQUIRE_GPU();
  testing::TempDir dir;
  const auto dataset = small_set(dir);
  auto cpu = small_classifier(), gpu = small_classifier();
  // Seed 3: on the CPU, top-1 1/3, and top-5 5/9 with one crop, 6/9 with ten.
  initialize_parameters(cpu->parameters(), InitScheme::kXavier, 3);
  initialize_parameters(gpu->parameters(), InitScheme::kXavier, 3);
  gpu->to(kGpu);
  for (const int crops : {1, 10}) {
    SCOPED_TRACE(std::to_string(crops) + " crop(s)");
    AugmentedSourceOptions o;
    o.training = false;
    o.eval_crops = crops;
    o.transform.crop_size = 32;
    use_dataset_statistics(*dataset, o.transform);
    const auto source = make_augmented_source(dataset, o);
    TrainOptions t;
    t.batch_size = 4;
    t.eval_crops = crops;
    t.workers = 2;
    SingleProcessCommunicator comm;
    Evaluator on_cpu(*source, t, comm), on_gpu(*source, t, comm);
    const EvalResult want = on_cpu.evaluate(*cpu);
    ASSERT_EQ(want.count, 9);
    ASSERT_GT(want.loss, 0.0);
    for (int round = 0; round < 2; ++round) {
      SCOPED_TRACE("evaluation " + std::to_string(round + 1));
      const EvalResult got = on_gpu.evaluate(*gpu);
      EXPECT_EQ(got.count, want.count);
      EXPECT_NEAR(got.loss, want.loss, 1e-5 * want.loss);
      EXPECT_EQ(got.top1, want.top1);
      EXPECT_EQ(got.top5, want.top5);
    }
  }
}

}  // namespace
}  // namespace convoy
