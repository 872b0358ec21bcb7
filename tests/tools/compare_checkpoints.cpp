// compare_checkpoints A.h5 B.h5 [--max-relative R]: for every parameter and
// momentum tensor of two checkpoints, max|a - b| / max|a| (docs/distributed.md's
// measure); prints the worst and exits 1 when it exceeds R (default 1e-4).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "formats/hdf5_file.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: compare_checkpoints A.h5 B.h5 [--max-relative R]\n");
    return 2;
  }
  const double bound = argc >= 5 && std::string(argv[3]) == "--max-relative" ? std::atof(argv[4]) : 1e-4;
  try {
    convoy::Hdf5File a(argv[1], convoy::Hdf5File::Mode::kRead), b(argv[2], convoy::Hdf5File::Mode::kRead);
    double worst = 0;
    std::string worst_name;
    int tensors = 0;
    for (const std::string group : {"/parameters", "/velocities"}) {
      for (const std::string& name : a.list(group)) {
        const std::string path = group + "/" + name;
        const convoy::Shape shape = a.dataset_shape(path);
        if (!b.has(path) || b.dataset_shape(path) != shape) {
          std::printf("%s: missing or of another shape in %s\n", path.c_str(), argv[2]);
          return 1;
        }
        std::vector<float> x(static_cast<size_t>(shape.numel())), y(x.size());
        a.read(path, x.data(), shape.numel());
        b.read(path, y.data(), shape.numel());
        double diff = 0, scale = 0;
        for (size_t i = 0; i < x.size(); ++i) {
          diff = std::max(diff, std::abs(static_cast<double>(x[i]) - y[i]));
          scale = std::max(scale, std::abs(static_cast<double>(x[i])));
        }
        const double relative = scale > 0 ? diff / scale : diff;
        ++tensors;
        if (relative >= worst) worst = relative, worst_name = path;
      }
    }
    std::printf("compared %d tensors: largest relative difference %.3g (%s), bound %.3g\n", tensors, worst,
                worst_name.c_str(), bound);
    return tensors > 0 && worst <= bound ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_checkpoints: %s\n", e.what());
    return 2;
  }
}
