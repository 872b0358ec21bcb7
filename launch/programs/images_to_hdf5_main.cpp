// images_to_hdf5: an ImageNet-style folder or file list to a docs/data.md HDF5 file.
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include "launch/trainer/command_line.h"
#include "launch/trainer/train_program.h"
#include "core/error.h"
#include "data_pipeline/conversion_spool.h"
#include "data_pipeline/ilsvrc.h"
#include "data_pipeline/images_to_hdf5.h"

namespace po = boost::program_options;

namespace {

struct CommandLine {
  std::string input, list, class_names, storage = "raw";
  convoy::IlsvrcSources ilsvrc;
  convoy::ImagesToHdf5Options convert;
};

// The command line; empty after --help.
std::optional<CommandLine> parse_options(int argc, char** argv) {
  CommandLine c;
  std::string out;
  int64_t size = 256, max_pixels = convoy::kDefaultMaxPixels;
  int jpeg_quality = 90;
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  po::options_description options(
      "usage: images_to_hdf5 (FOLDER | --list FILE) --out FILE.h5 [options]\n"
      "FOLDER holds <class>/<image> files; class index = the folder's position in sorted order.\n"
      "ILSVRC-2012: the train folder with --synset-mapping; the flat val folder with --val-labels and the\n"
      "classes (--synset-mapping, --devkit-meta or --classes-from TRAIN.h5): docs/data.md.\n"
      "\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("input", po::value(&c.input), "folder of <class>/<image> files (or give --list)")
      ("list", po::value(&c.list), "file of 'path label' lines (relative paths: against the list's folder)")
      ("out", po::value(&out)->required(), "output HDF5 file")
      ("size", po::value(&size)->default_value(256), "shorter side after resizing, and the square centre crop")
      ("storage", po::value(&c.storage)->default_value("raw"), "raw (uint8 /images) or jpeg (re-encoded /jpeg)")
      ("jpeg-quality", po::value(&jpeg_quality)->default_value(90), "JPEG quality for --storage jpeg (1..100)")
      ("jpeg-444", "JPEG storage without chroma subsampling (4:4:4: ~25% larger, ~15% slower to decode, "
                   "closer to the raw pixels; default 4:2:0)")
      ("threads", convoy::option_value(&threads), "decode threads")
      ("strict", "fail on an unreadable, corrupt or damaged image instead of skipping it")
      ("max-pixels", convoy::option_value(&max_pixels),
       "skip images whose header claims more pixels (Pillow's limit by default)")
      ("class-names", po::value(&c.class_names),
       "file of '<index> <id> <name...>' lines (e.g. classes.txt); default: the folder names")
      ("synset-mapping", po::value(&c.ilsvrc.synset_mapping),
       "ILSVRC's LOC_synset_mapping.txt ('<wnid> <names>' lines): the classes, index = sorted wnid position")
      ("val-labels", po::value(&c.ilsvrc.val_labels),
       "FOLDER is ILSVRC's flat validation folder, labelled by LOC_val_solution.csv or the devkit's "
       "ILSVRC2012_validation_ground_truth.txt (with --devkit-meta)")
      ("devkit-meta", po::value(&c.ilsvrc.devkit_meta), "the ILSVRC-2012 devkit's meta.mat (ILSVRC2012_ID -> wnid)")
      ("classes-from", po::value(&c.ilsvrc.classes_from),
       "take the classes from a file converted before (the training set's), so train and val agree")
      ("restart", "discard a partial conversion of --out (OUT.partial/) instead of continuing it")
      ("quiet", "no progress bar");
  po::positional_options_description positional;
  positional.add("input", 1);
  po::variables_map vm;
  if (!convoy::parse_command_line(argc, argv, options, &positional, vm)) return std::nullopt;
  if (c.input.empty() == c.list.empty())
    CONVOY_USER_ERROR("give exactly one input: a FOLDER of <class>/<image> files or --list FILE");
  if (max_pixels < 1) CONVOY_USER_ERROR("--max-pixels must be positive, got ", max_pixels);
  if (c.ilsvrc.any() && (c.input.empty() || !c.class_names.empty()))
    CONVOY_USER_ERROR("the ILSVRC options take a FOLDER and give the class names themselves (no --list, ",
                      "no --class-names)");
  convoy::ImagesToHdf5Options& o = c.convert;
  o.out = out;
  o.size = size;
  o.storage = convoy::parse_image_storage(c.storage);
  o.jpeg_quality = jpeg_quality;
  o.threads = threads;
  o.jpeg_full_chroma = vm.count("jpeg-444") > 0;
  o.strict = vm.count("strict") > 0;
  o.max_pixels = max_pixels;
  o.show_progress = vm.count("quiet") == 0;
  o.restart = vm.count("restart") > 0;
  return c;
}

// The images and their labels: a list, an ILSVRC folder or a <class>/<image> folder.
convoy::ImageListing list_images(const CommandLine& c) {
  convoy::ImageListing listing = !c.list.empty()   ? convoy::read_image_list(c.list)
                                 : c.ilsvrc.any() ? convoy::list_ilsvrc(c.input, c.ilsvrc)
                                                  : convoy::list_image_folder(c.input);
  if (!c.class_names.empty())
    convoy::apply_class_names(listing, convoy::read_class_names(c.class_names), /*by_id=*/!c.input.empty(),
                              c.class_names);
  return listing;
}

void print_report(const CommandLine& c, const convoy::ImagesToHdf5Report& r, size_t classes) {
  const long long size = c.convert.size;
  std::printf("wrote %s: %lld images %lldx%lldx3 (%s), %zu classes\n", c.convert.out.c_str(),
              static_cast<long long>(r.written), size, size, c.storage.c_str(), classes);
  std::printf("%-10s %10s\n", "written", std::to_string(r.written).c_str());
  std::printf("%-10s %10s\n", "skipped", std::to_string(r.skipped).c_str());
  if (r.resumed_from > 0)
    std::printf("%-10s %10lld images done before this run\n", "resumed", static_cast<long long>(r.resumed_from));
  std::printf("%-10s %10.1f MB\n", "bytes", r.bytes / 1e6);
  std::printf("%-10s %10.2f s\n", "time", r.seconds);
  std::printf("%-10s %10.1f images/s (%d threads)\n", "rate", (r.written + r.skipped - r.resumed_from) / r.seconds,
              r.threads);
  std::printf("channel_mean %.6f %.6f %.6f\nchannel_std  %.6f %.6f %.6f\n", r.channel_mean[0], r.channel_mean[1],
              r.channel_mean[2], r.channel_std[0], r.channel_std[1], r.channel_std[2]);
  std::printf("pca_eigval   %.6g %.6g %.6g\npca_eigvec (columns are eigenvectors)\n", r.pca.values[0],
              r.pca.values[1], r.pca.values[2]);
  for (int row = 0; row < 3; ++row)
    std::printf("  %9.6f %9.6f %9.6f\n", r.pca.vectors[row][0], r.pca.vectors[row][1], r.pca.vectors[row][2]);
}

}  // namespace

int main(int argc, char** argv) {
  return convoy::run_guarded("images_to_hdf5", [&] {
    const std::optional<CommandLine> c = parse_options(argc, argv);
    if (!c) return 0;
    const convoy::ImageListing listing = list_images(*c);
    if (c->convert.show_progress)
      std::fprintf(stderr, "images_to_hdf5: %zu images; an interrupted run keeps its work in %s and the same "
                   "command continues it\n", listing.entries.size(), convoy::partial_folder_for(c->convert.out).c_str());
    print_report(*c, convoy::images_to_hdf5(listing, c->convert), listing.class_names.size());
    return 0;
  });
}
