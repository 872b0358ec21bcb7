// make_ilsvrc_tree: an ILSVRC-2012-shaped tree made deterministically from a
// folder of photos (<wnid>/*.JPEG, e.g. the 1,000 ImageNet sample photos), in
// the layout the files ship in: Kaggle's ILSVRC/Data/CLS-LOC/train/<wnid>/
// <wnid>_<k>.JPEG and ILSVRC/Data/CLS-LOC/val/ILSVRC2012_val_<8 digits>.JPEG
// with LOC_synset_mapping.txt and LOC_val_solution.csv, and the devkit's
// ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt and
// meta.mat (ILSVRC2012_IDs in an order that is not the sorted-wnid order).
// Each image is a random crop, scale and colour jitter of its class's photo
// with sensor-like noise, resized to --width x --height and encoded at
// --quality, so that file sizes and decode times resemble the real set's; a
// few carry the real set's quirks (greyscale, CMYK, a PNG named .JPEG). For
// conversion benchmarks and the ImageNet walkthrough's test.
#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "core/error.h"
#include "core/philox.h"
#include "data_pipeline/ilsvrc.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/image_resize.h"
#include "launch/trainer/command_line.h"
#include "launch/trainer/train_program.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace convoy {
namespace {

struct TreeOptions {
  std::string photos, out;
  int64_t classes = 1000, train_per_class = 10, val = 50, width = 500, height = 375;
  int quality = 90, threads = 2;
  double grain = 30.0;  // per-pixel noise amplitude in pixel levels: brings size and decode time near real photos'
  uint64_t seed = 1;
};

struct SourceClass {
  std::string wnid, name, photo;
};

// The photo folder's classes (sorted by wnid) and names from its classes.txt ("<index> <wnid> <name>").
std::vector<SourceClass> source_classes(const TreeOptions& o) {
  std::map<std::string, std::string> names;
  std::ifstream in(o.photos + "/classes.txt");
  for (std::string index, wnid, name; in >> index >> wnid && std::getline(in, name);) {
    const size_t first = name.find_first_not_of(' ');
    names[wnid] = first == std::string::npos ? wnid : name.substr(first);
  }
  std::vector<SourceClass> classes;
  for (const auto& entry : fs::directory_iterator(o.photos)) {
    if (!entry.is_directory()) continue;
    std::vector<std::string> files;
    for (const auto& f : fs::directory_iterator(entry.path())) files.push_back(f.path().string());
    if (files.empty()) continue;
    std::sort(files.begin(), files.end());
    const std::string wnid = entry.path().filename().string();
    classes.push_back({wnid, names.count(wnid) ? names[wnid] : wnid, files.front()});
  }
  std::sort(classes.begin(), classes.end(), [](const auto& a, const auto& b) { return a.wnid < b.wnid; });
  if (static_cast<int64_t>(classes.size()) < o.classes)
    CONVOY_USER_ERROR("'", o.photos, "' has photos of ", classes.size(), " classes; --classes asks for ", o.classes);
  classes.resize(static_cast<size_t>(o.classes));
  return classes;
}

// Image `index` of the tree: a jittered window of `photo`, width x height.
void jittered(const Image& photo, const TreeOptions& o, uint64_t index, Image& out) {
  RandomStream random(o.seed, RandomPurpose::kSynthetic, index);
  const double scale = 0.8 + 0.2 * random.next_uniform();  // side of the window, of the photo's
  const int64_t h = std::max<int64_t>(8, static_cast<int64_t>(scale * photo.height));
  const int64_t w = std::max<int64_t>(8, static_cast<int64_t>(scale * photo.width));
  const int64_t top = static_cast<int64_t>(random.next_uniform() * (photo.height - h + 1));
  const int64_t left = static_cast<int64_t>(random.next_uniform() * (photo.width - w + 1));
  Image window;
  window.resize(h, w, 3);
  for (int64_t y = 0; y < h; ++y)
    std::copy_n(photo.row(top + y) + 3 * left, 3 * w, window.row(y));
  resize_window(window, o.height, o.width, 0, 0, o.height, o.width, out);
  float gain[3];
  for (float& g : gain) g = 0.8f + 0.4f * random.next_uniform();
  // The noise from xorshift64* seeded by the image's Philox stream: a draw a
  // subpixel is too many for Philox to be cheap, and these need no quality.
  uint64_t state = (static_cast<uint64_t>(random.next_word()) << 32 | random.next_word()) | 1;
  auto noise = [&state] {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return static_cast<float>((state * 2685821657736338717ull) >> 40) * 0x1p-24f;  // [0, 1)
  };
  const float amplitude = static_cast<float>(o.grain);
  for (int64_t y = 0; y < o.height; ++y) {
    uint8_t* row = out.row(y);
    for (int64_t x = 0; x < 3 * o.width; ++x) {
      const float value = row[x] * gain[x % 3] + amplitude * (2.0f * noise() - 1.0f);
      row[x] = static_cast<uint8_t>(std::clamp(value + 0.5f, 0.0f, 255.0f));
    }
  }
}

void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream file(path, std::ios::binary);
  file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!file) CONVOY_USER_ERROR("cannot write '", path, "'");
}

// The real set's quirks by index: a PNG named .JPEG, CMYK and greyscale JPEGs.
void write_image(const std::string& path, const Image& image, uint64_t index, int quality, JpegCodec& codec,
                 tjhandle encoder) {
  if (index == 7) {  // one PNG, as in the real training set
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(image.width);
    png.height = static_cast<png_uint_32>(image.height);
    png.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&png, path.c_str(), 0, image.pixels.data(), 0, nullptr))
      CONVOY_USER_ERROR("cannot write '", path, "'");
    return;
  }
  if (index % 509 == 3 || index % 97 == 5) {  // CMYK or greyscale
    const bool cmyk = index % 509 == 3;
    std::vector<uint8_t> pixels(static_cast<size_t>(image.height * image.width * (cmyk ? 4 : 1)));
    for (int64_t i = 0; i < image.height * image.width; ++i) {
      const uint8_t* p = image.pixels.data() + 3 * i;
      if (cmyk) {  // libjpeg-turbo stores CMYK inverted (255 = no ink): inverse of the naive conversion
        const int k = std::max({p[0], p[1], p[2]});
        for (int c = 0; c < 3; ++c) pixels[4 * i + c] = static_cast<uint8_t>(k == 0 ? 0 : (p[c] * 255 + k / 2) / k);
        pixels[4 * i + 3] = static_cast<uint8_t>(k);
      } else {
        pixels[i] = static_cast<uint8_t>((299 * p[0] + 587 * p[1] + 114 * p[2]) / 1000);
      }
    }
    unsigned char* jpeg = nullptr;
    unsigned long size = 0;
    if (tjCompress2(encoder, pixels.data(), static_cast<int>(image.width), 0, static_cast<int>(image.height),
                    cmyk ? TJPF_CMYK : TJPF_GRAY, &jpeg, &size, cmyk ? TJSAMP_444 : TJSAMP_GRAY, quality, 0) != 0)
      CONVOY_USER_ERROR("cannot encode '", path, "': ", tjGetErrorStr2(encoder));
    write_bytes(path, jpeg, size);
    tjFree(jpeg);
    return;
  }
  const std::vector<uint8_t> jpeg = codec.encode_jpeg(image, quality);
  write_bytes(path, jpeg.data(), jpeg.size());
}

// Writes images [0, count) with `threads` threads; name(i) is the path, photo_of(i) the source photo.
template <typename Name, typename PhotoOf>
void write_images(const TreeOptions& o, int64_t count, const std::vector<Image>& photos, uint64_t first_index,
                  Name name, PhotoOf photo_of) {
  std::atomic<int64_t> next{0};
  std::vector<std::thread> workers;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (int t = 0; t < o.threads; ++t)
    workers.emplace_back([&] {
      try {
        JpegCodec codec;
        tjhandle encoder = tjInitCompress();
        Image image;
        for (int64_t i; (i = next.fetch_add(1)) < count;) {
          jittered(photos[photo_of(i)], o, first_index + static_cast<uint64_t>(i), image);
          write_image(name(i), image, first_index + static_cast<uint64_t>(i), o.quality, codec, encoder);
        }
        tjDestroy(encoder);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        failure = std::current_exception();
      }
    });
  for (auto& w : workers) w.join();
  if (failure) std::rethrow_exception(failure);
}

void make_tree(const TreeOptions& o) {
  const std::vector<SourceClass> classes = source_classes(o);
  std::vector<Image> photos(classes.size());
  JpegCodec codec;
  std::vector<uint8_t> bytes;
  for (size_t c = 0; c < classes.size(); ++c) {
    read_file(classes[c].photo, bytes);
    codec.decode(bytes.data(), bytes.size(), classes[c].photo, photos[c]);
  }
  const std::string images = o.out + "/ILSVRC/Data/CLS-LOC", devkit = o.out + "/ILSVRC2012_devkit_t12/data";
  fs::create_directories(images + "/val");
  fs::create_directories(devkit);
  std::ofstream mapping(o.out + "/LOC_synset_mapping.txt");
  for (const auto& c : classes) {
    mapping << c.wnid << ' ' << c.name << '\n';
    fs::create_directories(images + "/train/" + c.wnid);
  }
  const int64_t n_classes = static_cast<int64_t>(classes.size());
  write_images(o, n_classes * o.train_per_class, photos, 0,
               [&](int64_t i) {
                 const SourceClass& c = classes[static_cast<size_t>(i / o.train_per_class)];
                 return images + "/train/" + c.wnid + "/" + c.wnid + "_" + std::to_string(i % o.train_per_class) + ".JPEG";
               },
               [&](int64_t i) { return static_cast<size_t>(i / o.train_per_class); });
  // The devkit numbers the classes in an order of its own: here a seeded shuffle.
  std::vector<int> id_of_class(classes.size());
  std::iota(id_of_class.begin(), id_of_class.end(), 1);
  RandomStream shuffle(o.seed, RandomPurpose::kShuffle, 0);
  for (size_t i = id_of_class.size(); i > 1; --i) std::swap(id_of_class[i - 1], id_of_class[shuffle.next_word() % i]);
  std::vector<DevkitSynset> synsets;
  for (size_t c = 0; c < classes.size(); ++c) synsets.push_back({id_of_class[c], classes[c].wnid, classes[c].name, 0});
  synsets.push_back({static_cast<int>(classes.size()) + 1, "n00001740", "entity", 2});  // a parent: not a class
  std::sort(synsets.begin(), synsets.end(), [](const auto& a, const auto& b) { return a.ilsvrc_id < b.ilsvrc_id; });
  write_devkit_meta(devkit + "/meta.mat", synsets);
  std::vector<size_t> val_class(static_cast<size_t>(o.val));
  RandomStream pick(o.seed, RandomPurpose::kSynthetic, 0xFFFFFFFFu);  // apart from the images (major = index)
  for (auto& c : val_class) c = pick.next_word() % classes.size();
  auto val_name = [](int64_t i) {
    char name[48];
    std::snprintf(name, sizeof name, "ILSVRC2012_val_%08lld", static_cast<long long>(i + 1));
    return std::string(name);
  };
  write_images(o, o.val, photos, 1u << 30,
               [&](int64_t i) { return images + "/val/" + val_name(i) + ".JPEG"; },
               [&](int64_t i) { return val_class[static_cast<size_t>(i)]; });
  std::ofstream truth(devkit + "/ILSVRC2012_validation_ground_truth.txt"), csv(o.out + "/LOC_val_solution.csv");
  csv << "ImageId,PredictionString\n";
  for (int64_t i = 0; i < o.val; ++i) {
    const size_t c = val_class[static_cast<size_t>(i)];
    truth << id_of_class[c] << '\n';
    csv << val_name(i) << ',' << classes[c].wnid << " 16 20 300 280 \n";
  }
  std::printf("%-24s %s\n%-24s %lld x %lld\n%-24s %lld\n%-24s %lldx%lld, quality %d\n", "tree", o.out.c_str(),
              "train (classes x each)", static_cast<long long>(n_classes), static_cast<long long>(o.train_per_class),
              "val", static_cast<long long>(o.val), "image size", static_cast<long long>(o.width),
              static_cast<long long>(o.height), o.quality);
  std::printf("summary classes=%lld train=%lld val=%lld\n", static_cast<long long>(n_classes),
              static_cast<long long>(n_classes * o.train_per_class), static_cast<long long>(o.val));
}

}  // namespace
}  // namespace convoy

int main(int argc, char** argv) {
  return convoy::run_guarded("make_ilsvrc_tree", [&] {
    convoy::TreeOptions o;
    po::options_description options("usage: make_ilsvrc_tree --photos DIR --out DIR [options]\n\noptions");
    options.add_options()("help,h", "print this help")
        ("photos", po::value(&o.photos)->required(), "folder of <wnid>/*.JPEG photos with classes.txt")
        ("out", po::value(&o.out)->required(), "folder to create the tree in")
        ("classes", convoy::option_value(&o.classes), "classes (the first by wnid)")
        ("train-per-class", convoy::option_value(&o.train_per_class), "training images a class")
        ("val", convoy::option_value(&o.val), "validation images")
        ("width", convoy::option_value(&o.width), "image width")
        ("height", convoy::option_value(&o.height), "image height")
        ("quality", convoy::option_value(&o.quality), "JPEG quality")
        ("threads", convoy::option_value(&o.threads), "threads")
        ("grain", convoy::option_value(&o.grain), "per-pixel noise amplitude (pixel levels)")
        ("seed", convoy::option_value(&o.seed), "seed of every random choice");
    po::variables_map vm;
    if (!convoy::parse_command_line(argc, argv, options, nullptr, vm)) return 0;
    convoy::make_tree(o);
    return 0;
  });
}
