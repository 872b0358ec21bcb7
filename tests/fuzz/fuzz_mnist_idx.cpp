// MNIST IDX reading from hostile bytes: the first byte chooses images or
// labels, raw or gzip-compressed (the rest compressed by the target, so that
// zlib's output, not only its error paths, reaches the parser).
#include <zlib.h>

#include "data_pipeline/mnist_idx.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool labels = data[0] & 1, gzip = data[0] & 2;
  const std::string path = convoy::fuzz::scratch_path(gzip ? ".idx.gz" : ".idx");
  if (gzip) {
    gzFile out = gzopen(path.c_str(), "wb");
    if (size > 1) gzwrite(out, data + 1, static_cast<unsigned>(size - 1));
    gzclose(out);
  } else {
    convoy::fuzz::write_bytes(path, data + 1, size - 1);
  }
  convoy::fuzz::expect_only_user_errors([&] {
    if (labels) {
      const std::vector<int32_t> values = convoy::read_idx_labels(path);
      for (int32_t v : values)
        if (v < 0 || v > 9) std::abort();  // promised: labels 0..9
    } else {
      const convoy::IdxImages images = convoy::read_idx_images(path);
      if (static_cast<int64_t>(images.pixels.size()) != images.count * images.rows * images.cols) std::abort();
    }
  });
  return 0;
}
