// inspect_dataset: prints the summary of a docs/data.md HDF5 file and, with --grid,
// writes a PNG of training samples as the network sees them. Each tile shows
// (a) the stored image with the crop window outlined and (b) the augmented,
// un-normalised crop; a bar above (a) is blue for "not flipped" and orange for
// "flipped", and a bar above (b) shows the lighting offset delta magnified 10x
// around mid-grey. A text legend (tile -> sample, label, crop, flip, alpha,
// delta) goes to stdout.
#include <boost/program_options.hpp>
#include <png.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "launch/trainer/command_line.h"
#include "core/error.h"
#include "formats/atomic_file.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/transforms.h"
#include "launch/trainer/train_program.h"

namespace po = boost::program_options;
using namespace convoy;

namespace {

struct Canvas {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Canvas(int64_t w, int64_t h) : width(w), height(h), rgb(static_cast<size_t>(w * h * 3), 32) {}
  void set(int64_t x, int64_t y, uint8_t r, uint8_t g, uint8_t b) {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    uint8_t* p = rgb.data() + (y * width + x) * 3;
    p[0] = r;
    p[1] = g;
    p[2] = b;
  }
  void fill_rect(int64_t x0, int64_t y0, int64_t w, int64_t h, uint8_t r, uint8_t g, uint8_t b) {
    for (int64_t y = y0; y < y0 + h; ++y)
      for (int64_t x = x0; x < x0 + w; ++x) set(x, y, r, g, b);
  }
  void outline(int64_t x0, int64_t y0, int64_t w, int64_t h, int thickness, uint8_t r, uint8_t g, uint8_t b) {
    fill_rect(x0, y0, w, thickness, r, g, b);
    fill_rect(x0, y0 + h - thickness, w, thickness, r, g, b);
    fill_rect(x0, y0, thickness, h, r, g, b);
    fill_rect(x0 + w - thickness, y0, thickness, h, r, g, b);
  }
};

// Draws an HWC uint8 image (1 or 3 channels) at (x0, y0), each pixel scale x scale.
void blit(Canvas& canvas, const Image& image, int64_t x0, int64_t y0, int64_t scale) {
  for (int64_t y = 0; y < image.height; ++y)
    for (int64_t x = 0; x < image.width; ++x) {
      const uint8_t* p = image.row(y) + x * image.channels;
      const uint8_t r = p[0], g = image.channels == 3 ? p[1] : p[0], b = image.channels == 3 ? p[2] : p[0];
      canvas.fill_rect(x0 + x * scale, y0 + y * scale, scale, scale, r, g, b);
    }
}

// libpng's errors longjmp: no C++ object may live across png_* calls here.
bool write_png_file(const std::string& file_path, const Canvas& canvas) {
  FILE* f = std::fopen(file_path.c_str(), "wb");
  if (!f) return false;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  bool ok = png && info;
  if (ok) {
    if (setjmp(png_jmpbuf(png))) {
      ok = false;
    } else {
      png_init_io(png, f);
      png_set_IHDR(png, info, static_cast<png_uint_32>(canvas.width), static_cast<png_uint_32>(canvas.height), 8,
                   PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
      png_write_info(png, info);
      for (int64_t y = 0; y < canvas.height; ++y)
        png_write_row(png, const_cast<png_bytep>(canvas.rgb.data() + y * canvas.width * 3));
      png_write_end(png, nullptr);
    }
  }
  png_destroy_write_struct(png ? &png : nullptr, info ? &info : nullptr);
  if (std::fclose(f) != 0) ok = false;
  return ok;
}

void write_png(const std::string& path, const Canvas& canvas) {
  write_file_atomically(path, [&](const std::string& temporary) {
    if (!write_png_file(temporary, canvas)) CONVOY_USER_ERROR("cannot write PNG '", path, "' (disk full?)");
  });
}

std::string vec_string(const std::vector<double>& v) {
  std::string s = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.4f", i ? ", " : "", v[i]);
    s += buf;
  }
  return s + "]";
}

void print_summary(const ImageDataset& ds) {
  std::printf("file         %s\n", ds.path().c_str());
  std::printf("count        %lld\n", static_cast<long long>(ds.size()));
  std::printf("storage      %s%s\n", ds.storage().c_str(), ds.cached() ? " (cached in memory)" : "");
  if (ds.storage() == "jpeg, variable-length")
    std::printf("             (the layout of files written before 2026-12-07: images_to_hdf5 again makes\n"
                "             reads from disk 3-9x faster, docs/data.md)\n");
  std::printf("image        %lld x %lld x %lld (H x W x C)\n", static_cast<long long>(ds.height()),
              static_cast<long long>(ds.width()), static_cast<long long>(ds.channels()));
  std::printf("num_classes  %lld\n", static_cast<long long>(ds.num_classes()));
  std::vector<int64_t> counts(static_cast<size_t>(ds.num_classes()), 0);
  for (int32_t l : ds.labels()) ++counts[static_cast<size_t>(l)];
  if (!counts.empty()) {
    const auto [lo, hi] = std::minmax_element(counts.begin(), counts.end());
    std::printf("per class    min %lld (class %lld), max %lld (class %lld)\n", static_cast<long long>(*lo),
                static_cast<long long>(lo - counts.begin()), static_cast<long long>(*hi),
                static_cast<long long>(hi - counts.begin()));
  }
  const auto& names = ds.class_names();
  if (names.empty()) {
    std::printf("class_names  (none)\n");
  } else {
    std::printf("class_names  %zu:", names.size());
    for (size_t i = 0; i < std::min<size_t>(5, names.size()); ++i) std::printf(" %zu=\"%s\"", i, names[i].c_str());
    std::printf("%s\n", names.size() > 5 ? " ..." : "");
  }
  std::printf("channel_mean %s\n", vec_string(ds.channel_mean()).c_str());
  std::printf("channel_std  %s\n", vec_string(ds.channel_std()).c_str());
  if (ds.has_pca()) {
    const Eigen3& e = ds.pca();
    std::printf("pca_eigval   %s\n", vec_string({e.values[0], e.values[1], e.values[2]}).c_str());
    for (int r = 0; r < 3; ++r)
      std::printf("%s %s\n", r == 0 ? "pca_eigvec  " : "            ",
                  vec_string({e.vectors[r][0], e.vectors[r][1], e.vectors[r][2]}).c_str());
  } else {
    std::printf("pca          (none)\n");
  }
}

struct InspectOptions {
  std::string path, grid;
  PcaMode pca = PcaMode::kDataset;
  int64_t samples = 16, epoch = 0, crop = 227;
  uint64_t seed = 1;
  double pca_sigma = 0.1;
  bool crop_given = false;
};

// The command line; empty after --help.
std::optional<InspectOptions> parse_options(int argc, char** argv) {
  InspectOptions o;
  po::options_description options(
      "usage: inspect_dataset FILE.h5 [--grid out.png] [options]\n"
      "Prints a docs/data.md file's summary; --grid writes a PNG of the first N training samples:\n"
      "per sample, the stored image with the crop window outlined (yellow) and the augmented crop\n"
      "(un-normalised). Bar above the stored image: blue = not flipped, orange = flipped. Bar above\n"
      "the crop: mid-grey + 10x the lighting offset delta. A legend goes to stdout.\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("file", po::value(&o.path), "the HDF5 file")
      ("grid", po::value(&o.grid), "write a PNG grid of augmented samples here")
      ("samples", po::value(&o.samples)->default_value(16), "number of samples in the grid (the first N indices)")
      ("seed", po::value(&o.seed)->default_value(1), "augmentation seed")
      ("epoch", po::value(&o.epoch)->default_value(0), "augmentation epoch")
      ("crop", po::value(&o.crop)->default_value(227),
       "crop size (capped at the image size; 1-channel sets are shown uncropped unless given)")
      ("pca", convoy::option_value(&o.pca), "PCA lighting: dataset | image | off")
      ("pca-sigma", convoy::option_value(&o.pca_sigma), "lighting alpha ~ N(0, sigma)");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (!convoy::parse_command_line(argc, argv, options, &positional, vm)) return std::nullopt;
  if (o.path.empty()) CONVOY_USER_ERROR("give an HDF5 file (see --help)");
  o.crop_given = !vm["crop"].defaulted();
  return o;
}

// The training transform the grid shows (o.crop is capped at the image).
TransformOptions grid_transform(const ImageDataset& ds, InspectOptions& o) {
  const int64_t channels = ds.channels();
  TransformOptions t;
  t.pca = o.pca;
  t.pca_sigma = o.pca_sigma;
  if (channels == 1) {
    // MNIST: no crop (unless asked), no flip, no lighting: what train_lenet does.
    if (!o.crop_given) o.crop = ds.height();
    t.flip = o.crop_given;
    t.pca = PcaMode::kOff;
  } else if (channels != 3) {
    CONVOY_USER_ERROR(o.path, " holds ", channels, "-channel images; expected 1 or 3");
  }
  if (t.pca == PcaMode::kDataset) {
    if (!ds.has_pca()) CONVOY_USER_ERROR(o.path, " has no pca_eigval/pca_eigvec; use --pca image or off");
    t.dataset_pca = ds.pca();
  }
  o.crop = std::min({o.crop, ds.height(), ds.width()});
  if (o.crop < 1) CONVOY_USER_ERROR("--crop must be at least 1");
  t.crop_size = o.crop;
  for (int64_t c = 0; c < channels; ++c) {
    t.mean[static_cast<size_t>(c)] = ds.channel_mean()[static_cast<size_t>(c)];
    t.std[static_cast<size_t>(c)] = ds.channel_std()[static_cast<size_t>(c)];
  }
  return t;
}

// Where each sample's tile goes: the stored image (scaled), a gap, the crop; a bar above each.
struct GridLayout {
  int64_t scale, gap = 6, bar = 10, margin = 12, tile_w, tile_h, cols, rows;
  GridLayout(const ImageDataset& ds, int64_t crop, int64_t samples)
      : scale(std::max<int64_t>(1, 128 / std::max(ds.height(), ds.width()))),
        tile_w(ds.width() * scale + gap + crop * scale),
        tile_h(bar + 2 + std::max(ds.height(), crop) * scale),
        cols(static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(samples))))),
        rows((samples + cols - 1) / cols) {}
};

// The network's input (normalised CHW floats) back to pixels, for the eye.
void unnormalise(const std::vector<float>& chw, const TransformOptions& t, int64_t channels, int64_t crop,
                 Image& out) {
  out.resize(crop, crop, channels);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = 0; y < crop; ++y)
      for (int64_t x = 0; x < crop; ++x) {
        const double v = chw[static_cast<size_t>((c * crop + y) * crop + x)] * t.std[static_cast<size_t>(c)] +
                         t.mean[static_cast<size_t>(c)];
        out.row(y)[x * channels + c] = static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
      }
}

// Sample i's tile: (a) the stored image, crop window outlined, its bar telling
// the flip; (b) the crop as the network sees it, its bar 0.5 + 10 * delta.
void draw_tile(Canvas& canvas, const GridLayout& g, int64_t i, const Image& stored, const Image& augmented,
               const AugmentDraw& draw, const std::array<double, 3>& delta, int64_t crop) {
  const int64_t row = i / g.cols, col = i % g.cols;
  const int64_t x0 = g.margin + col * (g.tile_w + g.margin), y0 = g.margin + row * (g.tile_h + g.margin);
  const int64_t img_y = y0 + g.bar + 2;
  if (draw.flip) canvas.fill_rect(x0, y0, stored.width * g.scale, g.bar, 255, 140, 0);
  else canvas.fill_rect(x0, y0, stored.width * g.scale, g.bar, 40, 110, 255);
  blit(canvas, stored, x0, img_y, g.scale);
  if (crop < stored.height || crop < stored.width)
    canvas.outline(x0 + draw.left * g.scale, img_y + draw.top * g.scale, crop * g.scale, crop * g.scale, 2, 255, 230,
                   0);
  const int64_t bx = x0 + stored.width * g.scale + g.gap;
  auto swatch = [&](int c) {
    const double d = augmented.channels == 3 ? delta[static_cast<size_t>(c)] : delta[0];
    return static_cast<uint8_t>(std::lround(std::clamp(0.5 + 10.0 * d, 0.0, 1.0) * 255.0));
  };
  canvas.fill_rect(bx, y0, crop * g.scale, g.bar, swatch(0), swatch(1), swatch(2));
  blit(canvas, augmented, bx, img_y, g.scale);
}

void print_legend_line(const ImageDataset& ds, const GridLayout& g, int64_t i, const AugmentDraw& draw,
                       const std::array<double, 3>& delta) {
  const int32_t label = ds.label(i);
  const auto& names = ds.class_names();
  std::string name = label < static_cast<int32_t>(names.size()) ? names[static_cast<size_t>(label)] : "-";
  if (name.size() > 25) name = name.substr(0, 22) + "...";
  std::printf("%4lld %3lld %3lld %6lld %5d %-25s %4lld %4lld %-4s [%+.4f %+.4f %+.4f] [%+.4f %+.4f %+.4f]\n",
              static_cast<long long>(i), static_cast<long long>(i / g.cols), static_cast<long long>(i % g.cols),
              static_cast<long long>(i), label, name.c_str(), static_cast<long long>(draw.top),
              static_cast<long long>(draw.left), draw.flip ? "yes" : "no", draw.alpha[0], draw.alpha[1],
              draw.alpha[2], delta[0], delta[1], delta[2]);
}

void write_grid(const ImageDataset& ds, InspectOptions& o) {
  if (o.samples < 1) CONVOY_USER_ERROR("--samples must be at least 1");
  o.samples = std::min(o.samples, ds.size());
  const TransformOptions t = grid_transform(ds, o);
  const GridLayout g(ds, o.crop, o.samples);
  Canvas canvas(g.margin + g.cols * (g.tile_w + g.margin), g.margin + g.rows * (g.tile_h + g.margin));
  JpegCodec codec;
  std::vector<uint8_t> scratch;
  Image stored, augmented;
  std::vector<float> chw(static_cast<size_t>(ds.channels() * o.crop * o.crop));
  std::printf("\ngrid %s: %lld samples, crop %lld, pca %s (sigma %g), seed %llu, epoch %lld\n", o.grid.c_str(),
              static_cast<long long>(o.samples), static_cast<long long>(o.crop), name_of(t.pca), t.pca_sigma,
              static_cast<unsigned long long>(o.seed), static_cast<long long>(o.epoch));
  std::printf("tile row col sample label class                     top left flip alpha                      delta\n");
  for (int64_t i = 0; i < o.samples; ++i) {
    ds.read_image(i, stored, codec, scratch);
    const AugmentDraw draw = draw_augmentation(o.seed, o.epoch, i, stored.height, stored.width, t);
    apply_train_transform(stored, draw, t, chw.data());
    const std::array<double, 3> delta = lighting_delta(stored, draw, t);
    unnormalise(chw, t, ds.channels(), o.crop, augmented);
    draw_tile(canvas, g, i, stored, augmented, draw, delta, o.crop);
    print_legend_line(ds, g, i, draw, delta);
  }
  write_png(o.grid, canvas);
  std::printf("wrote %s (%lld x %lld)\n", o.grid.c_str(), static_cast<long long>(canvas.width),
              static_cast<long long>(canvas.height));
}

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("inspect_dataset", [&] {
    std::optional<InspectOptions> o = parse_options(argc, argv);
    if (!o) return 0;
    const ImageDataset ds = ImageDataset::open(o->path, CacheMode::kOff);
    print_summary(ds);
    if (!o->grid.empty()) write_grid(ds, *o);
    return 0;
  });
}
