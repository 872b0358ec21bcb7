#include "data_pipeline/images_to_hdf5.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>

#include "core/error.h"
#include "data_pipeline/image.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/image_resize.h"
#include "formats/atomic_file.h"
#include "formats/hdf5_file.h"
#include "core/progress.h"

namespace convoy {

namespace fs = std::filesystem;

ImageStorage parse_image_storage(const std::string& text) {
  if (text == "raw") return ImageStorage::kRaw;
  if (text == "jpeg") return ImageStorage::kJpeg;
  CONVOY_USER_ERROR("--storage must be 'raw' or 'jpeg', got '", text, "'");
}

ImageListing list_image_folder(const std::string& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) CONVOY_USER_ERROR("input folder '", folder, "' does not exist or is not a folder");
  std::vector<std::string> classes;
  for (const auto& entry : fs::directory_iterator(folder, ec))
    if (entry.is_directory() && entry.path().filename().string()[0] != '.')
      classes.push_back(entry.path().filename().string());
  if (ec) CONVOY_USER_ERROR("cannot list input folder '", folder, "': ", ec.message());
  if (classes.empty())
    CONVOY_USER_ERROR("input folder '", folder, "' holds no class folders (expected <class>/<image> files)");
  std::sort(classes.begin(), classes.end());
  ImageListing listing;
  listing.class_names = classes;
  for (size_t c = 0; c < classes.size(); ++c) {
    std::vector<std::string> files;
    const fs::path class_dir = fs::path(folder) / classes[c];
    for (const auto& entry : fs::directory_iterator(class_dir, ec))
      if (!entry.is_directory() && entry.path().filename().string()[0] != '.') files.push_back(entry.path().string());
    if (ec) CONVOY_USER_ERROR("cannot list class folder '", class_dir.string(), "': ", ec.message());
    std::sort(files.begin(), files.end());
    for (auto& f : files) listing.entries.push_back({std::move(f), static_cast<int32_t>(c)});
  }
  if (listing.entries.empty())
    CONVOY_USER_ERROR("input folder '", folder, "' holds ", classes.size(), " class folders but no image files");
  return listing;
}

ImageListing read_image_list(const std::string& list_file) {
  std::ifstream in(list_file);
  if (!in) CONVOY_USER_ERROR("cannot open image list '", list_file, "'");
  const fs::path base = fs::path(list_file).parent_path();
  ImageListing listing;
  std::string line;
  int32_t max_label = -1;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    std::istringstream fields(line);
    std::string path, extra;
    long long label = 0;
    if (!(fields >> path) || path[0] == '#') continue;
    if (!(fields >> label) || (fields >> extra) || label < 0 || label > INT32_MAX)
      CONVOY_USER_ERROR("image list '", list_file, "' line ", number,
                        ": expected 'path label' with a label >= 0, got '", line, "'");
    const fs::path p(path);
    listing.entries.push_back({p.is_absolute() ? path : (base / p).string(), static_cast<int32_t>(label)});
    max_label = std::max(max_label, static_cast<int32_t>(label));
  }
  if (listing.entries.empty()) CONVOY_USER_ERROR("image list '", list_file, "' lists no images");
  for (int32_t c = 0; c <= max_label; ++c) listing.class_names.push_back(std::to_string(c));
  return listing;
}

std::vector<ClassNameEntry> read_class_names(const std::string& path) {
  std::ifstream in(path);
  if (!in) CONVOY_USER_ERROR("cannot open class-names file '", path, "'");
  std::vector<ClassNameEntry> names;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    std::istringstream fields(line);
    long long index = -1;
    ClassNameEntry entry;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!(fields >> index >> entry.id) || index != static_cast<long long>(names.size()))
      CONVOY_USER_ERROR("class-names file '", path, "' line ", number, ": expected '", names.size(),
                        " <id> <name>', got '", line, "'");
    std::getline(fields, entry.name);
    const size_t first = entry.name.find_first_not_of(" \t");
    const size_t last = entry.name.find_last_not_of(" \t\r");
    entry.name = first == std::string::npos ? entry.id : entry.name.substr(first, last - first + 1);
    names.push_back(std::move(entry));
  }
  if (names.empty()) CONVOY_USER_ERROR("class-names file '", path, "' lists no classes");
  return names;
}

void apply_class_names(ImageListing& listing, const std::vector<ClassNameEntry>& names, bool by_id,
                       const std::string& names_path) {
  if (by_id) {
    if (names.size() != listing.class_names.size())
      CONVOY_USER_ERROR("class-names file '", names_path, "' lists ", names.size(), " classes but the input has ",
                        listing.class_names.size(), " class folders");
    for (size_t c = 0; c < names.size(); ++c)
      if (names[c].id != listing.class_names[c])
        CONVOY_USER_ERROR("class-names file '", names_path, "' gives index ", c, " to '", names[c].id,
                          "' but the sorted class folders put '", listing.class_names[c], "' there");
  } else {
    for (const auto& e : listing.entries)
      if (static_cast<size_t>(e.label) >= names.size())
        CONVOY_USER_ERROR("label ", e.label, " of '", e.path, "' is out of range: class-names file '", names_path,
                          "' lists ", names.size(), " classes");
  }
  listing.class_names.clear();
  for (const auto& n : names) listing.class_names.push_back(n.name);
}

std::string images_to_hdf5_temp_path(const std::string& out) { return temporary_path_for(out); }

namespace {

enum class SlotState { kEmpty, kReady, kFailed };

struct Slot {
  SlotState state = SlotState::kEmpty;
  Image image;                 // the stored size x size image (raw)
  std::vector<uint8_t> jpeg;   // its re-encoding (jpeg storage)
  std::string error;           // why the image was skipped
};

// Decode workers feed a ring of `window` slots; the main thread writes them
// in index order, so the file order is the listing order whatever the timing.
class Pipeline {
 public:
  Pipeline(const ImageListing& listing, const ImagesToHdf5Options& options, int threads)
      : listing_(listing), options_(options), window_(static_cast<int64_t>(threads) * 4), slots_(window_),
        moments_(threads) {
    for (int t = 0; t < threads; ++t) workers_.emplace_back([this, t] { run_worker(t); });
  }
  ~Pipeline() { stop(); }

  // Waits for image `index` (in order); the caller must release() it after use.
  Slot& wait(int64_t index) {
    std::unique_lock<std::mutex> lock(mutex_);
    Slot& slot = slots_[index % window_];
    ready_.wait(lock, [&] { return slot.state != SlotState::kEmpty || fatal_; });
    if (fatal_) std::rethrow_exception(fatal_);
    return slot;
  }
  void release(int64_t index) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slots_[index % window_].state = SlotState::kEmpty;
      consumed_ = index + 1;
    }
    space_.notify_all();
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    space_.notify_all();
    for (auto& w : workers_)
      if (w.joinable()) w.join();
  }
  RgbMoments moments() const {
    RgbMoments total;
    for (const auto& m : moments_) total.merge(m);
    return total;
  }

 private:
  void run_worker(int t) {
    try {
      JpegCodec codec;
      codec.set_max_pixels(options_.max_pixels);
      Image decoded, stored;
      std::vector<uint8_t> bytes;
      const int64_t n = static_cast<int64_t>(listing_.entries.size());
      for (;;) {
        const int64_t index = next_.fetch_add(1);
        if (index >= n) return;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          space_.wait(lock, [&] { return stopping_ || index < consumed_ + window_; });
          if (stopping_) return;
        }
        Slot& slot = slots_[index % window_];
        bool ok = true;
        const std::string& path = listing_.entries[index].path;
        try {
          read_file(path, bytes);
          codec.decode(bytes.data(), bytes.size(), path, decoded);
        } catch (const Error& e) {
          ok = false;
          slot.error = e.what();
        }
        if (ok) {
          resize_shorter_side_and_center_crop(decoded, options_.size, options_.size, options_.size, slot.image);
          const Image* pixels = &slot.image;
          if (options_.storage == ImageStorage::kJpeg) {
            codec.encode_jpeg(slot.image, options_.jpeg_quality, slot.jpeg, options_.jpeg_full_chroma);
            // Statistics from the pixels a reader will decode, not the pre-encoding ones.
            codec.decode(slot.jpeg.data(), slot.jpeg.size(), path, stored);
            pixels = &stored;
          }
          accumulate(*pixels, moments_[t]);
        }
        {
          std::lock_guard<std::mutex> lock(mutex_);
          slot.state = ok ? SlotState::kReady : SlotState::kFailed;
        }
        ready_.notify_all();
      }
    } catch (...) {  // an internal failure (not a bad image): hand it to the main thread
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!fatal_) fatal_ = std::current_exception();
      }
      ready_.notify_all();
    }
  }

  static void accumulate(const Image& image, RgbMoments& moments) {
    const uint8_t* p = image.pixels.data();
    const int64_t count = image.height * image.width;
    for (int64_t i = 0; i < count; ++i, p += 3) moments.add(p[0] / 255.0, p[1] / 255.0, p[2] / 255.0);
  }

  const ImageListing& listing_;
  const ImagesToHdf5Options& options_;
  const int64_t window_;
  std::vector<Slot> slots_;
  std::vector<RgbMoments> moments_;  // one per worker, merged at the end
  std::vector<std::thread> workers_;
  std::atomic<int64_t> next_{0};
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  int64_t consumed_ = 0;
  bool stopping_ = false;
  std::exception_ptr fatal_;
};

void write_all(const std::string& tmp, const ImageListing& listing, const ImagesToHdf5Options& options,
               int threads, ImagesToHdf5Report& report) {
  const int64_t n = static_cast<int64_t>(listing.entries.size());
  const int64_t size = options.size;
  std::unique_ptr<Hdf5File> file;
  try {
    file = std::make_unique<Hdf5File>(tmp, Hdf5File::Mode::kCreate);
  } catch (const Error&) {
    CONVOY_USER_ERROR("cannot write the output '", options.out, "' (does its folder exist and is it writable?)");
  }
  const bool jpeg = options.storage == ImageStorage::kJpeg;
  const std::string dataset = jpeg ? "/jpeg" : "/images";
  if (jpeg)
    file->create_vlen_uint8(dataset, n, std::min<int64_t>(n, 1024));
  else
    file->create_rows_uint8(dataset, Shape{n, size, size, 3}, 1);

  std::vector<int32_t> labels;
  labels.reserve(static_cast<size_t>(n));
  Pipeline pipeline(listing, options, threads);
  ProgressBar progress("images_to_hdf5", n);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    Slot& slot = pipeline.wait(i);
    if (slot.state == SlotState::kFailed) {
      if (options.strict) CONVOY_USER_ERROR(slot.error, " (--strict: stopping)");
      std::cerr << "images_to_hdf5: warning: skipped: " << slot.error << "\n";
      report.skipped_files.push_back(listing.entries[i].path);
      ++report.skipped;
    } else {
      const int64_t row = static_cast<int64_t>(labels.size());
      if (jpeg)
        file->write_vlen_uint8(dataset, row, slot.jpeg.data(), slot.jpeg.size());
      else
        file->write_rows(dataset, row, 1, slot.image.pixels.data());
      labels.push_back(listing.entries[i].label);
    }
    pipeline.release(i);
    if (options.show_progress) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char status[96];
      std::snprintf(status, sizeof(status), "%.0f img/s  %lld skipped", seconds > 0 ? (i + 1) / seconds : 0.0,
                    static_cast<long long>(report.skipped));
      progress.update(i + 1, status);
    }
  }
  if (options.show_progress) progress.finish();
  pipeline.stop();
  report.written = static_cast<int64_t>(labels.size());
  if (report.written == 0) CONVOY_USER_ERROR("no usable image among the ", n, " inputs (all were skipped)");
  file->set_rows(dataset, report.written);
  file->write("/labels", Shape{report.written}, labels.data());
  file->write_strings("/class_names", listing.class_names);

  const RgbMoments moments = pipeline.moments();
  report.channel_mean = moments.mean();
  report.channel_std = moments.std();
  report.pca = eigen_symmetric3(moments.covariance());
  file->set_attribute("/", "num_classes", static_cast<int64_t>(listing.class_names.size()));
  file->set_attribute("/", "height", size);
  file->set_attribute("/", "width", size);
  file->set_attribute("/", "channels", int64_t{3});
  if (jpeg) file->set_attribute("/", "jpeg_quality", static_cast<int64_t>(options.jpeg_quality));
  file->set_attribute("/", "channel_mean", std::vector<double>(report.channel_mean.begin(), report.channel_mean.end()));
  file->set_attribute("/", "channel_std", std::vector<double>(report.channel_std.begin(), report.channel_std.end()));
  file->set_attribute("/", "pca_eigval", std::vector<double>(report.pca.values.begin(), report.pca.values.end()));
  std::vector<double> vectors;
  for (int r = 0; r < 3; ++r)
    for (int i = 0; i < 3; ++i) vectors.push_back(report.pca.vectors[r][i]);
  file->set_attribute("/", "pca_eigvec", vectors);
  file->close();
}

}  // namespace

ImagesToHdf5Report images_to_hdf5(const ImageListing& listing, const ImagesToHdf5Options& options) {
  if (options.out.empty()) CONVOY_USER_ERROR("no output file given (--out FILE.h5)");
  if (options.size <= 0 || options.size > 65536) CONVOY_USER_ERROR("--size must be 1..65536, got ", options.size);
  if (options.jpeg_quality < 1 || options.jpeg_quality > 100)
    CONVOY_USER_ERROR("--jpeg-quality must be 1..100, got ", options.jpeg_quality);
  if (listing.entries.empty()) CONVOY_USER_ERROR("no input images");
  for (const auto& e : listing.entries)
    if (e.label < 0 || static_cast<size_t>(e.label) >= listing.class_names.size())
      CONVOY_USER_ERROR("label ", e.label, " of '", e.path, "' is out of range (", listing.class_names.size(),
                        " classes)");
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(threads, 1);

  ImagesToHdf5Report report;
  report.threads = threads;
  const auto start = std::chrono::steady_clock::now();
  // A reader never sees a half-written file.
  write_file_atomically(options.out, [&](const std::string& temporary) {
    write_all(temporary, listing, options, threads, report);
  });
  std::error_code ec;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.bytes = static_cast<int64_t>(fs::file_size(options.out, ec));
  return report;
}

}  // namespace convoy
