// ImageDataset::open and its reads on HDF5 files whose contents the fuzz input
// decides: raw or JPEG storage; each dataset and attribute present, missing,
// of another type, shape or count; labels in or out of range; variable-length
// elements or the flat layout's bytes and offsets (contiguous or chunked)
// holding real JPEGs, damaged ones or noise. The file is written
// through the HDF5 API (libhdf5 itself is not what is fuzzed here: see
// fuzz_hdf5_raw), then opened and read as training would.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <limits>

#include "data_pipeline/hdf5_dataset.h"
#include "tests/fuzz/fuzz_support.h"

using namespace convoy;

namespace {

// Each part of the file: 0 is the well-formed choice (an input that runs out
// of bytes writes a valid file), the others are one way of getting it wrong.
enum Part { kGood = 0, kMissing, kWrongValue, kWrongType, kWrongShape };
// The encoded images' other layout (data_pipeline/encoded_images.h).
enum FlatPart { kFlat = 5, kFlatWrongOffsets };

std::vector<uint8_t> bytes_from(FuzzedDataProvider& in, size_t most) { return in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, most)); }

void write_int_attribute(FuzzedDataProvider& in, hid_t file, const char* name, int64_t good) {
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case kGood: fuzz::write_attribute(file, name, H5T_NATIVE_INT64, {}, &good); break;
    case kMissing: break;
    case kWrongValue: {
      const int64_t v = in.ConsumeIntegral<int64_t>();
      fuzz::write_attribute(file, name, H5T_NATIVE_INT64, {}, &v);
      break;
    }
    case kWrongType: fuzz::write_string_attribute(file, name, in.ConsumeRandomLengthString(16)); break;
    case kWrongShape: {
      const std::vector<int64_t> v(in.ConsumeIntegralInRange<size_t>(0, 4), good);
      fuzz::write_attribute(file, name, H5T_NATIVE_INT64, {v.size()}, v.data());
      break;
    }
  }
}

void write_doubles_attribute(FuzzedDataProvider& in, hid_t file, const char* name, std::vector<double> good) {
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case kGood: fuzz::write_attribute(file, name, H5T_NATIVE_DOUBLE, {good.size()}, good.data()); break;
    case kMissing: break;
    case kWrongValue:
      for (double& v : good) {
        const int pick = in.ConsumeIntegralInRange<int>(0, 3);
        v = pick == 0 ? std::numeric_limits<double>::quiet_NaN() : pick == 1 ? -1.0 : pick == 2 ? 0.0 : in.ConsumeFloatingPoint<double>();
      }
      fuzz::write_attribute(file, name, H5T_NATIVE_DOUBLE, {good.size()}, good.data());
      break;
    case kWrongType: fuzz::write_string_attribute(file, name, "0.5"); break;
    case kWrongShape: good.resize(in.ConsumeIntegralInRange<size_t>(0, 12), 0.5);
      fuzz::write_attribute(file, name, H5T_NATIVE_DOUBLE, {good.size()}, good.data());
      break;
  }
}

std::vector<hsize_t> perturbed(FuzzedDataProvider& in, std::vector<hsize_t> dims) {
  const int how = in.ConsumeIntegralInRange<int>(0, 2);
  if (how == 0 && !dims.empty()) dims.pop_back();
  else if (how == 1) dims.push_back(in.ConsumeIntegralInRange<hsize_t>(0, 3));
  else for (hsize_t& d : dims) d = in.ConsumeIntegralInRange<hsize_t>(0, 9);
  return dims;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  fuzz::quiet_hdf5();
  const std::string path = fuzz::scratch_path(".h5");
  const bool jpeg = in.ConsumeBool();
  const hsize_t n = 1 + in.ConsumeIntegralInRange<hsize_t>(0, 5);
  const int64_t height = 8 + in.ConsumeIntegralInRange<int64_t>(0, 24), width = 8 + in.ConsumeIntegralInRange<int64_t>(0, 24);
  const int64_t channels = in.ConsumeBool() ? 1 : 3, classes = 1 + in.ConsumeIntegralInRange<int64_t>(0, 9);
  const std::vector<uint8_t> pixels = bytes_from(in, 256);
  {
    hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) return 0;
    write_int_attribute(in, file, "num_classes", classes);
    write_int_attribute(in, file, "height", height);
    write_int_attribute(in, file, "width", width);
    write_int_attribute(in, file, "channels", channels);
    write_doubles_attribute(in, file, "channel_mean", std::vector<double>(static_cast<size_t>(channels), 0.5));
    write_doubles_attribute(in, file, "channel_std", std::vector<double>(static_cast<size_t>(channels), 0.25));
    if (in.ConsumeBool()) write_doubles_attribute(in, file, "pca_eigval", {0.2, 0.02, 0.004});
    if (in.ConsumeBool()) write_doubles_attribute(in, file, "pca_eigvec", std::vector<double>(9, 0.5));
    const std::vector<hsize_t> image_dims{n, static_cast<hsize_t>(height), static_cast<hsize_t>(width), static_cast<hsize_t>(channels)};
    if (!jpeg) {
      switch (in.ConsumeIntegralInRange<int>(0, 4)) {
        case kGood: fuzz::write_dataset(file, "/images", H5T_NATIVE_UINT8, image_dims, pixels, in.ConsumeBool()); break;
        case kMissing: break;
        case kWrongValue: fuzz::write_dataset(file, "/images", H5T_NATIVE_UINT8, {n}, pixels); break;
        case kWrongType: fuzz::write_dataset(file, "/images", H5T_NATIVE_FLOAT, image_dims, pixels); break;
        case kWrongShape: fuzz::write_dataset(file, "/images", H5T_NATIVE_UINT8, perturbed(in, image_dims), pixels); break;
      }
    } else {
      // Encoded images: real JPEGs of the right or another size, cut short, damaged, or noise.
      std::vector<std::vector<uint8_t>> blobs;
      JpegCodec codec;
      for (hsize_t i = 0; i < n; ++i) {
        const int kind = in.ConsumeIntegralInRange<int>(0, 4);
        Image image;
        const bool other_size = kind == 1;
        image.resize(other_size ? height / 2 + 1 : height, width, 3);
        for (size_t k = 0; k < image.pixels.size(); ++k) image.pixels[k] = pixels.empty() ? 128 : pixels[k % pixels.size()];
        std::vector<uint8_t> blob = kind == 4 ? bytes_from(in, 64) : codec.encode_jpeg(image, 80);
        if (kind == 2) blob.resize(blob.size() * in.ConsumeIntegralInRange<size_t>(0, 9) / 10);
        if (kind == 3 && blob.size() > 40)
          for (size_t k = 0; k < 8; ++k) blob[blob.size() / 2 + k] ^= in.ConsumeIntegral<uint8_t>();
        blobs.push_back(std::move(blob));
      }
      switch (in.ConsumeIntegralInRange<int>(0, 6)) {
        case kGood: fuzz::write_vlen(file, "/jpeg", H5T_NATIVE_UINT8, blobs); break;
        case kFlat:
        case kFlatWrongOffsets: {  // /jpeg_bytes + /jpeg_offsets, the offsets right or perturbed
          std::vector<uint8_t> joined;
          std::vector<int64_t> offsets{0};
          for (const auto& b : blobs) joined.insert(joined.end(), b.begin(), b.end()), offsets.push_back(static_cast<int64_t>(joined.size()));
          if (joined.empty()) joined.push_back(0);
          for (size_t k = 0; k < offsets.size() && in.remaining_bytes() > 0; ++k)
            if (in.ConsumeIntegralInRange<int>(0, 3) == 0 && k > 0) offsets[k] += in.ConsumeIntegralInRange<int64_t>(-200, 200);
          fuzz::write_dataset(file, "/jpeg_bytes", H5T_NATIVE_UINT8, {joined.size()}, joined, in.ConsumeBool());
          fuzz::write_dataset(file, "/jpeg_offsets", H5T_NATIVE_INT64, {offsets.size()},
                              std::vector<uint8_t>(reinterpret_cast<uint8_t*>(offsets.data()), reinterpret_cast<uint8_t*>(offsets.data() + offsets.size())));
          break;
        }
        case kMissing: break;
        case kWrongValue: fuzz::write_dataset(file, "/jpeg", H5T_NATIVE_UINT8, {n}, pixels); break;
        case kWrongType: {
          for (auto& b : blobs) b.resize(b.size() / 4 * 4);
          fuzz::write_vlen(file, "/jpeg", H5T_NATIVE_INT32, blobs);
          break;
        }
        case kWrongShape: fuzz::write_dataset(file, "/jpeg", H5T_NATIVE_UINT8, perturbed(in, {n, 4}), pixels); break;
      }
    }
    std::vector<int32_t> labels(n);
    for (int32_t& l : labels) l = static_cast<int32_t>(in.ConsumeIntegralInRange<int64_t>(0, classes - 1));
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
      case kGood: fuzz::write_dataset(file, "/labels", H5T_NATIVE_INT32, {n}, std::vector<uint8_t>(reinterpret_cast<uint8_t*>(labels.data()), reinterpret_cast<uint8_t*>(labels.data() + n))); break;
      case kMissing: break;
      case kWrongValue: fuzz::write_dataset(file, "/labels", H5T_NATIVE_INT32, {n}, bytes_from(in, 64)); break;
      case kWrongType: fuzz::write_dataset(file, "/labels", H5T_NATIVE_DOUBLE, {n}, bytes_from(in, 64)); break;
      case kWrongShape: fuzz::write_dataset(file, "/labels", H5T_NATIVE_INT32, perturbed(in, {n}), bytes_from(in, 64)); break;
    }
    if (in.ConsumeBool()) {  // class names: strings of the right count, or not
      const hsize_t count = in.ConsumeBool() ? static_cast<hsize_t>(classes) : in.ConsumeIntegralInRange<hsize_t>(0, 12);
      hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, H5T_VARIABLE);
      H5Tset_cset(type, H5T_CSET_UTF8);
      std::vector<std::string> names(count);
      std::vector<const char*> pointers;
      for (auto& s : names) s = in.ConsumeRandomLengthString(8), pointers.push_back(s.c_str());
      hid_t space = H5Screate_simple(1, &count, nullptr);
      hid_t d = H5Dcreate2(file, "/class_names", in.ConsumeBool() ? type : H5T_NATIVE_INT32, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (d >= 0 && count > 0 && H5Dget_type(d) >= 0) H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data());
      if (d >= 0) H5Dclose(d);
      H5Sclose(space);
      H5Tclose(type);
    }
    H5Fclose(file);
  }
  const CacheMode cache = in.ConsumeBool() ? CacheMode::kOn : CacheMode::kOff;
  const int64_t top = in.ConsumeIntegralInRange<int64_t>(-1, 40), left = in.ConsumeIntegralInRange<int64_t>(-1, 40);
  const int64_t crop_h = in.ConsumeIntegralInRange<int64_t>(0, 40), crop_w = in.ConsumeIntegralInRange<int64_t>(0, 40);
  fuzz::expect_only_user_errors([&] {
    const ImageDataset set = ImageDataset::open(path, cache);
    ReadBuffers buffers;
    for (int64_t i = 0; i < std::min<int64_t>(set.size(), 4); ++i) {
      if (set.label(i) < 0 || set.label(i) >= set.num_classes()) std::abort();
      fuzz::expect_only_user_errors([&] {
        set.read_image(i, buffers.image, buffers.codec, buffers.encoded);
        if (buffers.image.height != set.height() || buffers.image.width != set.width()) std::abort();
      });
      // A window inside the image reads; one outside is a user error.
      const bool inside = top >= 0 && left >= 0 && crop_h > 0 && crop_w > 0 && top + crop_h <= set.height() &&
                          left + crop_w <= set.width();
      if (inside || set.is_jpeg())
        fuzz::expect_only_user_errors([&] {
          const ImageView v = set.read_window(i, top, left, crop_h, crop_w, buffers);
          if (v.height != crop_h || v.width != crop_w) std::abort();
        });
    }
  });
  return 0;
}
