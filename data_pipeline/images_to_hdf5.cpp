#include "data_pipeline/images_to_hdf5.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>
#include <thread>

#include "core/error.h"
#include "core/progress.h"
#include "data_pipeline/conversion_pipeline.h"
#include "data_pipeline/conversion_spool.h"
#include "data_pipeline/image_codec.h"
#include "formats/atomic_file.h"
#include "formats/hdf5_file.h"

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
  listing.class_ids = classes;
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
  listing.class_ids.clear();
  for (const auto& n : names) {
    listing.class_names.push_back(n.name);
    listing.class_ids.push_back(n.id);
  }
}

namespace {

constexpr int64_t kCommitEvery = 256;  // images between commits of a resumable conversion
constexpr int64_t kDiskProbe = 32;     // images of this run before the free-disk check

// What the output depends on: the options, the classes and each input's path,
// label, size and modification time. A partial conversion continues only
// under the same fingerprint.
std::string conversion_fingerprint(const ImageListing& listing, const ImagesToHdf5Options& options) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a, 64 bits
  auto mix = [&](const void* data, size_t size) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  };
  auto mix_text = [&](const std::string& text) { mix(text.c_str(), text.size() + 1); };
  for (const auto& e : listing.entries) {
    struct stat info {};
    if (::stat(e.path.c_str(), &info) != 0)
      CONVOY_USER_ERROR("input image '", e.path, "' cannot be read: ", std::strerror(errno));
    mix_text(e.path);
    mix(&e.label, sizeof e.label);
    const int64_t facts[3] = {info.st_size, info.st_mtim.tv_sec, info.st_mtim.tv_nsec};
    mix(facts, sizeof facts);
  }
  for (const auto& name : listing.class_names) mix_text(name);
  for (const auto& id : listing.class_ids) mix_text(id);
  char text[256];
  std::snprintf(text, sizeof text, "%zu images, %zu classes, size %lld, %s q%d%s, max %lld pixels, inputs %016llx",
                listing.entries.size(), listing.class_names.size(), static_cast<long long>(options.size),
                options.storage == ImageStorage::kJpeg ? "jpeg" : "raw", options.jpeg_quality,
                options.jpeg_full_chroma ? " 4:4:4" : "", static_cast<long long>(options.max_pixels),
                static_cast<unsigned long long>(hash));
  return text;
}

void test_hook(const ImagesToHdf5Options& options, const char* point, int64_t count) {
  if (options.test_hook) options.test_hook(point, count);
}

// Refuses to start (or go on) when the partial conversion's growth plus the
// finished file, estimated from the images stored so far, would not fit.
void check_free_disk(const std::string& out, const SpoolState& state) {
  if (state.records == 0) return;
  const double per_image = static_cast<double>(state.bytes) / static_cast<double>(state.records);
  const double kept = static_cast<double>(state.records) / static_cast<double>(state.next_input);
  const double remaining = per_image * kept * static_cast<double>(state.total - state.next_input);
  const double needed = 1.02 * (remaining + per_image * kept * static_cast<double>(state.total));
  const fs::path folder = fs::absolute(out).parent_path();
  std::error_code ec;
  const fs::space_info space = fs::space(folder, ec);
  if (!ec && static_cast<double>(space.available) < needed)
    CONVOY_USER_ERROR("'", out, "' needs about ", needed / 1e9, " GB more (", per_image / 1e3,
                      " kB an image: the rest of the partial conversion, then the finished file beside it) but '",
                      folder.string(), "' has ", static_cast<double>(space.available) / 1e9,
                      " GB free; the partial conversion stays in '", partial_folder_for(out),
                      "' and the same command continues it");
}

// Decodes listing.entries[spool.committed().next_input ...] into the spool,
// committing every kCommitEvery images; returns the final state.
SpoolState convert_into(ConversionSpool& spool, const ImageListing& listing, const ImagesToHdf5Options& options,
                        int threads) {
  SpoolState state = spool.committed();
  const int64_t n = static_cast<int64_t>(listing.entries.size()), first = state.next_input;
  RgbMoments moments = state.moments.empty() ? RgbMoments() : RgbMoments::from_state(state.moments);
  check_free_disk(options.out, state);
  ConversionPipeline pipeline(listing, options, threads, first);
  ProgressBar progress("images_to_hdf5", n, 30.0, first);
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = first; i < n; ++i) {
    ConversionSlot& slot = pipeline.wait(i);
    if (slot.state == ConversionSlot::State::kFailed) {
      if (options.strict) {  // the input must change, so the partial work could not be continued
        spool.remove();
        CONVOY_USER_ERROR(slot.error, " (--strict: stopping)");
      }
      std::cerr << "images_to_hdf5: warning: skipped: " << slot.error << "\n";
      state.skipped.push_back(i);
    } else {
      const std::vector<uint8_t>& bytes = slot.stored();
      spool.append(bytes.data(), bytes.size());
      moments.merge(slot.moments);  // in input order: the sums do not depend on the threads
      state.records += 1;
      state.bytes += static_cast<int64_t>(bytes.size());
    }
    pipeline.release(i);
    state.next_input = i + 1;
    if (state.next_input % kCommitEvery == 0 || state.next_input == n) {
      state.moments = moments.state();
      test_hook(options, "before-commit", state.next_input);
      spool.commit(state);
      test_hook(options, "committed", state.next_input);
    }
    if (i + 1 - first == kDiskProbe) check_free_disk(options.out, state);
    if (options.show_progress) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      char status[96];
      std::snprintf(status, sizeof(status), "%.0f img/s  %zu skipped", seconds > 0 ? (i + 1 - first) / seconds : 0.0,
                    state.skipped.size());
      progress.update(i + 1, status);
    }
  }
  if (options.show_progress) progress.finish();
  return state;
}

// The spool's records as /images, one image a chunk.
void write_raw_images(ConversionSpool& spool, int64_t n, const ImagesToHdf5Options& options, Hdf5File& file) {
  file.create_rows_uint8("/images", Shape{n, options.size, options.size, 3}, 1);
  std::vector<uint8_t> bytes;
  for (int64_t row = 0; row < n; ++row) {
    spool.read(row, bytes);
    file.write_rows("/images", row, 1, bytes.data());
    if (row == n / 2) test_hook(options, "assembling", row);
  }
}

// The spool's records as /jpeg_bytes (contiguous, written in blocks of about
// 8 MiB) and /jpeg_offsets: the flat layout (encoded_images.h).
void write_encoded_images(ConversionSpool& spool, const SpoolState& state, const ImagesToHdf5Options& options,
                          Hdf5File& file) {
  constexpr size_t kBlockBytes = size_t{8} << 20;
  const int64_t n = state.records;
  file.create_contiguous_bytes("/jpeg_bytes", state.bytes);
  std::vector<int64_t> offsets(static_cast<size_t>(n) + 1, 0);
  std::vector<uint8_t> bytes, block;
  block.reserve(kBlockBytes);
  int64_t block_start = 0;
  for (int64_t row = 0; row < n; ++row) {
    spool.read(row, bytes);
    block.insert(block.end(), bytes.begin(), bytes.end());
    offsets[static_cast<size_t>(row) + 1] = offsets[static_cast<size_t>(row)] + static_cast<int64_t>(bytes.size());
    if (block.size() >= kBlockBytes || row + 1 == n) {
      file.write_rows("/jpeg_bytes", block_start, static_cast<int64_t>(block.size()), block.data());
      block_start += static_cast<int64_t>(block.size());
      block.clear();
    }
    if (row == n / 2) test_hook(options, "assembling", row);
  }
  CONVOY_CHECK(offsets.back() == state.bytes, "the spool holds ", offsets.back(), " bytes, its state says ",
               state.bytes);
  file.write("/jpeg_offsets", Shape{n + 1}, offsets.data());
}

// Writes the finished HDF5 file from a complete spool to `path`.
void assemble(ConversionSpool& spool, const SpoolState& state, const ImageListing& listing,
              const ImagesToHdf5Options& options, const std::string& path, ImagesToHdf5Report& report) {
  const int64_t n = state.records, size = options.size;
  if (n == 0) {
    spool.remove();
    CONVOY_USER_ERROR("no usable image among the ", state.total, " inputs (all were skipped)");
  }
  Hdf5File file(path, Hdf5File::Mode::kCreate);
  const bool jpeg = options.storage == ImageStorage::kJpeg;
  if (jpeg)
    write_encoded_images(spool, state, options, file);
  else
    write_raw_images(spool, n, options, file);
  std::vector<int32_t> labels;
  labels.reserve(static_cast<size_t>(n));
  for (int64_t i = 0, s = 0; i < state.total; ++i) {
    if (s < static_cast<int64_t>(state.skipped.size()) && state.skipped[static_cast<size_t>(s)] == i) {
      report.skipped_files.push_back(listing.entries[static_cast<size_t>(i)].path);
      ++s;
      continue;
    }
    labels.push_back(listing.entries[static_cast<size_t>(i)].label);
  }
  file.write("/labels", Shape{n}, labels.data());
  file.write_strings("/class_names", listing.class_names);
  if (!listing.class_ids.empty()) file.write_strings("/class_ids", listing.class_ids);

  const RgbMoments moments = RgbMoments::from_state(state.moments);
  report.channel_mean = moments.mean();
  report.channel_std = moments.std();
  report.pca = eigen_symmetric3(moments.covariance());
  file.set_attribute("/", "num_classes", static_cast<int64_t>(listing.class_names.size()));
  file.set_attribute("/", "height", size);
  file.set_attribute("/", "width", size);
  file.set_attribute("/", "channels", int64_t{3});
  if (jpeg) file.set_attribute("/", "jpeg_quality", static_cast<int64_t>(options.jpeg_quality));
  file.set_attribute("/", "channel_mean", std::vector<double>(report.channel_mean.begin(), report.channel_mean.end()));
  file.set_attribute("/", "channel_std", std::vector<double>(report.channel_std.begin(), report.channel_std.end()));
  file.set_attribute("/", "pca_eigval", std::vector<double>(report.pca.values.begin(), report.pca.values.end()));
  std::vector<double> vectors;
  for (int r = 0; r < 3; ++r)
    for (int i = 0; i < 3; ++i) vectors.push_back(report.pca.vectors[r][i]);
  file.set_attribute("/", "pca_eigvec", vectors);
  file.close();
  report.written = n;
  report.skipped = static_cast<int64_t>(state.skipped.size());
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
  const int threads =
      std::max(options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency()), 1);

  const fs::path folder = fs::absolute(options.out).parent_path();
  if (std::error_code ec; !fs::is_directory(folder, ec))
    CONVOY_USER_ERROR("cannot write the output '", options.out, "': its folder '", folder.string(),
                      "' does not exist");
  ImagesToHdf5Report report;
  report.threads = threads;
  const auto start = std::chrono::steady_clock::now();
  ConversionSpool spool(options.out, conversion_fingerprint(listing, options),
                        static_cast<int64_t>(listing.entries.size()), options.restart);
  report.resumed_from = spool.committed().next_input;
  const SpoolState state = convert_into(spool, listing, options, threads);
  // The finished file is assembled inside the partial folder (a run killed
  // meanwhile assembles it again) and appears whole, by a rename.
  assemble(spool, state, listing, options, spool.assembly_path(), report);
  publish_file(spool.assembly_path(), options.out);
  spool.remove();
  std::error_code ec;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.bytes = static_cast<int64_t>(fs::file_size(options.out, ec));
  return report;
}

}  // namespace convoy
