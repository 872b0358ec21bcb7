// images_to_hdf5: an ImageNet-style folder (<class>/<image>) or a file list
// ("path label" lines) to one docs/data.md HDF5 file, stored raw or re-encoded JPEG.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data_pipeline/image_codec.h"
#include "data_pipeline/pca.h"

namespace convoy {

enum class ImageStorage { kRaw, kJpeg };
ImageStorage parse_image_storage(const std::string& text);  // "raw" | "jpeg", else a user error

struct ImageEntry {
  std::string path;
  int32_t label = 0;
};

struct ImageListing {
  std::vector<ImageEntry> entries;
  std::vector<std::string> class_names;  // index = label
  std::vector<std::string> class_ids;    // e.g. WordNet ids, index = label; stored as /class_ids where known
};

// Class folders in sorted order give the labels; files inside each are sorted
// too (hidden files skipped). Class names and ids are the folder names.
ImageListing list_image_folder(const std::string& folder);
// Lines "path label" (path without spaces; relative paths resolved against the
// list's folder; blank lines and '#' comments skipped). Class names "0", "1", ...
// up to the largest label, unless replaced by a class-names file.
ImageListing read_image_list(const std::string& list_file);

struct ClassNameEntry {
  std::string id;    // e.g. the WordNet id
  std::string name;  // the rest of the line
};
// Lines "<index> <id> <name...>", indices 0..n-1 in order.
std::vector<ClassNameEntry> read_class_names(const std::string& path);
// Replaces listing.class_names from a class-names file: for a folder listing
// (by_id) each folder name must be the id at the folder's index; for a list
// every label must be below the file's class count.
void apply_class_names(ImageListing& listing, const std::vector<ClassNameEntry>& names, bool by_id,
                       const std::string& names_path);

struct ImagesToHdf5Options {
  std::string out;
  int64_t size = 256;  // shorter side after resizing, and the square crop
  ImageStorage storage = ImageStorage::kRaw;
  int jpeg_quality = 90;
  bool jpeg_full_chroma = false;  // 4:4:4 instead of 4:2:0 chroma
  int threads = 0;  // 0: hardware concurrency
  bool strict = false;
  int64_t max_pixels = kDefaultMaxPixels;  // larger images (by their header) are skipped unread
  bool show_progress = true;
  bool restart = false;  // discard a partial conversion of `out` instead of continuing it
  // Tests only: called at named points ("before-commit", "committed" with the
  // inputs done; "assembling" with the rows written) to end the process there.
  std::function<void(const char* point, int64_t count)> test_hook;
};

struct ImagesToHdf5Report {
  int64_t written = 0, skipped = 0;
  int64_t resumed_from = 0;  // inputs a partial conversion had done before this run
  int64_t bytes = 0;  // size of the output file
  double seconds = 0.0;
  int threads = 0;
  std::vector<std::string> skipped_files;
  std::array<double, 3> channel_mean{}, channel_std{};
  Eigen3 pca;
};

// Decodes, resizes (shorter side to options.size, centre crop size x size) and
// stores every listed image, in listing order, computing channel_mean/std and
// the RGB covariance eigen-decomposition over all stored pixels (summed per
// image in listing order: the same bits whatever the threads). Resumable: the
// work goes to "<out>.partial/" (conversion_spool.h), committed every 256
// images; a run that ended early, SIGKILL included, is continued by the same
// call, and gives the file an uninterrupted run gives. A partial conversion of
// other inputs or options is refused (options.restart discards it). The
// finished file is assembled in the partial folder and renamed to `out`, so
// `out` is never a partial file. Unreadable, corrupt, damaged (libjpeg
// warnings) and over-large images are skipped with a warning naming the file
// on stderr, and counted (options.strict: an error). Before it fills the disk
// (estimated from the first images) it stops with what it needs.
ImagesToHdf5Report images_to_hdf5(const ImageListing& listing, const ImagesToHdf5Options& options);

}  // namespace convoy
