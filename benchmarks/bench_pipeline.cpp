// bench_pipeline: input-pipeline throughput, from a 256x256 docs/data.md file to
// 227x227 float batches with random crop + flip + PCA lighting (dataset mode)
// + normalisation, for 1..N loader workers, in raw and JPEG storage, as float
// batches (a CPU run's) and as 8-bit batches (a GPU run's: the crops' bytes
// and their maps; the GPU normalises); plus the JPEG decode-only rate. Without --raw/--jpeg it converts --images (default
// ../shared/data/imagenet-samples) once into --cache-dir. Medians of
// --repeats runs. Last line: "summary key=value ...".
// --epoch instead reads one whole epoch of --jpeg (this process's share with
// --rank/--world, as a rank of a distributed run reads it) and reports the
// time to the first batch (open included), the rate and the resident memory
// at 10%, 50% and 100% of the epoch: run two at once for two ranks on one file.
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "benchmarks/bench_stats.h"
#include "core/memory.h"
#include "launch/trainer/command_line.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/images_to_hdf5.h"
#include "data_pipeline/loader.h"
#include "data_pipeline/sample_source.h"
#include "data_pipeline/sampler.h"
#include "formats/hdf5_file.h"
#include "launch/trainer/train_program.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace convoy;
using bench::median;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }


std::string converted(const std::string& images, const std::string& cache_dir, ImageStorage storage) {
  const fs::path out = fs::path(cache_dir) / (storage == ImageStorage::kRaw ? "samples_raw.h5" : "samples_jpeg.h5");
  if (!fs::exists(out)) {
    fs::create_directories(cache_dir);
    std::printf("converting %s into %s (once)\n", images.c_str(), out.c_str());
    ImagesToHdf5Options o;
    o.out = out.string();
    o.storage = storage;
    o.show_progress = false;
    images_to_hdf5(list_image_folder(images), o);
  }
  return out.string();
}

// Images/s through the loader: `images` augmented samples in batches of `batch`.
double loader_rate(const std::shared_ptr<const ImageDataset>& dataset, int workers, int64_t batch,
                   int64_t images, BatchFormat format) {
  AugmentedSourceOptions o;
  o.transform.crop_size = 227;
  o.transform.pca = PcaMode::kDataset;
  use_dataset_statistics(*dataset, o.transform);
  auto source = make_augmented_source(dataset, o);
  Loader loader(*source, batch, workers, std::max(2, workers), format);
  int64_t done = 0, epoch = 0;
  const auto start = Clock::now();
  while (done < images) {
    loader.start(shuffled_order(dataset->size(), 1, epoch), epoch, 0, false);
    while (done < images) {
      const LoadedBatch* b = loader.next();
      if (!b) break;
      done += static_cast<int64_t>(b->labels.size());
    }
    ++epoch;
  }
  return static_cast<double>(done) / seconds_since(start);
}

// JPEG decode only, one thread: whole 256x256 images, or just a random
// 227x227 window of each (what training reads).
double decode_rate(const ImageDataset& jpeg, int64_t images, bool window) {
  ReadBuffers buffers;
  const int64_t crop = 227;
  const auto start = Clock::now();
  for (int64_t i = 0; i < images; ++i) {
    const int64_t top = window ? (i * 7) % (jpeg.height() - crop + 1) : 0;
    const int64_t left = window ? (i * 13) % (jpeg.width() - crop + 1) : 0;
    jpeg.read_window(i % jpeg.size(), top, left, window ? crop : jpeg.height(), window ? crop : jpeg.width(),
                     buffers);
  }
  return static_cast<double>(images) / seconds_since(start);
}

struct EpochOptions {
  std::string jpeg;
  CacheMode cache = CacheMode::kOff;
  int workers = 1;
  int64_t batch = 128, rank = 0, world = 1;
};

// One epoch's share of --jpeg through the loader (8-bit batches, as a GPU run's).
void epoch_run(const EpochOptions& o) {
  const auto start = Clock::now();
  const auto set = std::make_shared<const ImageDataset>(ImageDataset::open(o.jpeg, o.cache));
  const double open_s = seconds_since(start);
  AugmentedSourceOptions so;
  so.transform.crop_size = 227;
  so.transform.pca = PcaMode::kDataset;
  use_dataset_statistics(*set, so.transform);
  auto source = make_augmented_source(set, so);
  Loader loader(*source, o.batch, o.workers, std::max(2, o.workers), BatchFormat::kPixels);
  const std::vector<int64_t> order = distributed_order(set->size(), o.rank, o.world, true, 1, 0, false);
  loader.start(order, 0, 0, true);
  const int64_t batches = (static_cast<int64_t>(order.size()) + o.batch - 1) / o.batch;
  double first_batch_s = 0;
  std::vector<std::pair<int, double>> rss;  // (percent of the epoch, MB)
  int64_t done = 0, seen = 0;
  for (const LoadedBatch* b = loader.next(); b; b = loader.next()) {
    if (seen++ == 0) first_batch_s = seconds_since(start);
    done += static_cast<int64_t>(b->labels.size());
    for (const int percent : {10, 50, 100})
      if (seen == std::max<int64_t>(1, batches * percent / 100)) rss.emplace_back(percent, resident_memory_mb());
  }
  const double seconds = seconds_since(start) - first_batch_s;
  std::printf("%s: %lld images (rank %lld of %lld), %d workers, --cache-in-memory %s\n", o.jpeg.c_str(),
              static_cast<long long>(done), static_cast<long long>(o.rank), static_cast<long long>(o.world), o.workers,
              o.cache == CacheMode::kOn ? "on" : o.cache == CacheMode::kOff ? "off" : "auto");
  std::printf("%-28s %12.3f\n%-28s %12.3f\n%-28s %12.0f\n", "open (s)", open_s, "first batch (s)", first_batch_s,
              "images/s after it", static_cast<double>(done - o.batch) / seconds);
  std::string summary;
  for (const auto& [percent, mb] : rss) {
    std::printf("resident MB at %3d%%          %12.1f\n", percent, mb);
    summary += " rss_mb_" + std::to_string(percent) + "=" + std::to_string(mb);
  }
  std::printf("summary images=%lld open_s=%.3f first_batch_s=%.3f img_per_s=%.0f%s\n", static_cast<long long>(done),
              open_s, first_batch_s, static_cast<double>(done - o.batch) / seconds, summary.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("bench_pipeline", [&] {
    std::string raw, jpeg, images = "../shared/data/imagenet-samples";
    CacheMode cache_mode = CacheMode::kOn;
    std::string cache_dir = (fs::path(std::getenv("HOME") ? std::getenv("HOME") : ".") / ".cache" / "convoy" / "bench_pipeline").string();
    int max_workers = 2;
    int64_t batch = 128, count = 2048, repeats = 3;
    bool epoch_mode = false;
    EpochOptions epoch;
    po::options_description desc("bench_pipeline options");
    desc.add_options()("raw", po::value(&raw), "raw-storage HDF5 file (256x256)")
        ("jpeg", po::value(&jpeg), "JPEG-storage HDF5 file (256x256)")
        ("images", convoy::option_value(&images), "image folder to convert when --raw/--jpeg are not given")
        ("cache-dir", convoy::option_value(&cache_dir), "where converted files are kept")
        ("cache-in-memory", convoy::option_value(&cache_mode), "auto | on | off")
        ("max-workers", convoy::option_value(&max_workers), "measure 1..N workers")
        ("batch-size", convoy::option_value(&batch), "images per batch")
        ("images-per-run", convoy::option_value(&count), "images per measurement")
        ("repeats", convoy::option_value(&repeats), "runs per figure (the median is reported)")
        ("epoch", po::bool_switch(&epoch_mode), "one whole epoch of --jpeg with --max-workers workers instead")
        ("rank", convoy::option_value(&epoch.rank), "--epoch: this process's share, as rank R ...")
        ("world", convoy::option_value(&epoch.world), "--epoch: ... of this many")
        ("help,h", "show this help");
    po::variables_map vm;
    if (!convoy::parse_command_line(argc, argv, desc, nullptr, vm)) return 0;
    if (epoch_mode) {
      if (jpeg.empty()) CONVOY_USER_ERROR("--epoch needs --jpeg FILE");
      epoch.jpeg = jpeg, epoch.cache = cache_mode, epoch.workers = max_workers, epoch.batch = batch;
      epoch_run(epoch);
      return 0;
    }
    if (raw.empty()) raw = converted(images, cache_dir, ImageStorage::kRaw);
    if (jpeg.empty()) jpeg = converted(images, cache_dir, ImageStorage::kJpeg);
    const CacheMode cache = cache_mode;
    const auto raw_set = std::make_shared<const ImageDataset>(ImageDataset::open(raw, cache));
    const auto opening = std::chrono::steady_clock::now();
    const auto jpeg_set = std::make_shared<const ImageDataset>(ImageDataset::open(jpeg, cache));
    const double open_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - opening).count();
    jpeg_set->wait_until_cached();  // the rates below are from memory, as a long run's are
    const double fill_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - opening).count();
    std::printf("JPEG set: %lld images, opened in %.3f s, %lld cached in the background within %.2f s\n",
                static_cast<long long>(jpeg_set->size()), open_s, static_cast<long long>(jpeg_set->cached_images()),
                fill_s);

    std::printf("%-6s %-7s %8s %12s %16s\n", "mode", "batches", "workers", "img/s (med)", "img/s per worker");
    std::vector<double> raw_rates, jpeg_rates, raw_pixel_rates, jpeg_pixel_rates;
    for (const auto& [name, set, format, rates] :
         {std::tuple{"raw", raw_set, BatchFormat::kFloat, &raw_rates},
          std::tuple{"raw", raw_set, BatchFormat::kPixels, &raw_pixel_rates},
          std::tuple{"jpeg", jpeg_set, BatchFormat::kFloat, &jpeg_rates},
          std::tuple{"jpeg", jpeg_set, BatchFormat::kPixels, &jpeg_pixel_rates}}) {
      for (int w = 1; w <= max_workers; ++w) {
        std::vector<double> runs;
        for (int64_t r = 0; r < repeats; ++r) runs.push_back(loader_rate(set, w, batch, count, format));
        const double rate = median(runs);
        rates->push_back(rate);
        std::printf("%-6s %-7s %8d %12.0f %16.0f\n", name, format == BatchFormat::kFloat ? "float" : "8-bit", w, rate,
                    rate / w);
      }
    }
    std::vector<double> decodes, window_decodes;
    for (int64_t r = 0; r < repeats; ++r) {
      decodes.push_back(decode_rate(*jpeg_set, 1000, false));
      window_decodes.push_back(decode_rate(*jpeg_set, 1000, true));
    }
    const double decode = median(decodes), window_decode = median(window_decodes);
    std::printf("%-6s %-7s %8d %12.0f %16.0f   (JPEG decode only, whole 256x256)\n", "decode", "-", 1, decode, decode);
    std::printf("%-6s %-7s %8d %12.0f %16.0f   (JPEG decode only, 227x227 window)\n", "window", "-", 1,
                window_decode, window_decode);
    std::printf("summary raw_img_per_s_per_core=%.0f jpeg_img_per_s_per_core=%.0f decode_img_per_s_per_core=%.0f "
                "window_decode_img_per_s_per_core=%.0f raw_8bit_img_per_s_per_core=%.0f jpeg_8bit_img_per_s_per_core=%.0f",
                raw_rates[0], jpeg_rates[0], decode, window_decode, raw_pixel_rates[0], jpeg_pixel_rates[0]);
    if (max_workers >= 2)
      std::printf(" raw_scaling_2w=%.2f jpeg_scaling_2w=%.2f", raw_rates[1] / raw_rates[0], jpeg_rates[1] / jpeg_rates[0]);
    std::printf(" jpeg_open_s=%.3f jpeg_cache_fill_s=%.2f\n", open_s, fill_s);
    return 0;
  });
}
