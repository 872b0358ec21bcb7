// jpeg_layout_bench: how fast the HDF5 layouts of a JPEG set serve random
// reads of whole encoded images, the loader's access pattern when the set is
// not held in memory. Reads the same shuffled indices from
//   vlen-reopen  /jpeg, variable-length elements, the dataset opened per read
//                (convoy's reader until 2026-12-07)
//   vlen         /jpeg, the dataset opened once
//   flat-hdf5    /jpeg_bytes (one contiguous uint8 dataset) + /jpeg_offsets
//                (N + 1 uint64, in memory), one H5Dread of a hyperslab a read
//   flat-pread   the same bytes with pread() at the dataset's file offset:
//                no libhdf5 call, so no library lock, per read
// at 1 and 2 threads, from the page cache ("warm") and after evicting the
// files' pages ("cold", posix_fadvise DONTNEED, what `vmtouch -e` does).
// --make-flat writes the flat copy of a /jpeg file first. Last line: summary.
#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <functional>
#include <iostream>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "benchmarks/bench_stats.h"
#include "core/memory.h"
#include "core/error.h"
#include "formats/hdf5_file.h"

namespace po = boost::program_options;
using namespace convoy;
using bench::Clock;

namespace {

void evict_pages(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  CONVOY_CHECK(fd >= 0, "cannot open ", path);
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// The flat copy: every /jpeg element back to back in /jpeg_bytes (contiguous),
// /jpeg_offsets[i] where element i starts (N + 1 entries).
void make_flat(const std::string& vlen_path, const std::string& flat_path) {
  const Hdf5File in(vlen_path, Hdf5File::Mode::kRead);
  const int64_t n = in.dataset_shape("/jpeg")[0];
  std::vector<int64_t> offsets(static_cast<size_t>(n) + 1, 0);
  for (int64_t first = 0; first < n; first += 4096)
    in.read_vlen_uint8_block("/jpeg", first, std::min<int64_t>(4096, n - first),
                             [&](int64_t i, const uint8_t*, size_t size) { offsets[i + 1] = static_cast<int64_t>(size); });
  std::partial_sum(offsets.begin(), offsets.end(), offsets.begin());
  Hdf5File out(flat_path, Hdf5File::Mode::kCreate);
  out.create_contiguous_bytes("/jpeg_bytes", offsets.back());
  out.write("/jpeg_offsets", Shape{n + 1}, offsets.data());
  std::vector<uint8_t> block;
  for (int64_t first = 0; first < n; first += 4096) {
    const int64_t last = std::min<int64_t>(first + 4096, n);
    block.resize(static_cast<size_t>(offsets[last] - offsets[first]));
    in.read_vlen_uint8_block("/jpeg", first, last - first, [&](int64_t i, const uint8_t* p, size_t size) {
      std::copy(p, p + size, block.data() + (offsets[i] - offsets[first]));
    });
    out.write_rows("/jpeg_bytes", offsets[first], static_cast<int64_t>(block.size()), block.data());
  }
  out.close();
  std::printf("wrote %s: %lld images, %.1f MB\n", flat_path.c_str(), static_cast<long long>(n), offsets.back() / 1e6);
}

// One layout's reader: read(i, scratch) returns the element's size; thread-safe.
struct Layout {
  std::string name;
  std::function<size_t(int64_t, std::vector<uint8_t>&)> read;
};

struct FlatFile {
  hid_t file = -1, bytes = -1;
  int fd = -1;
  haddr_t base = 0;
  std::vector<uint64_t> offsets;
  explicit FlatFile(const std::string& path) {
    file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    CONVOY_CHECK(file >= 0, "cannot open ", path);
    bytes = H5Dopen2(file, "/jpeg_bytes", H5P_DEFAULT);
    const hid_t offsets_set = H5Dopen2(file, "/jpeg_offsets", H5P_DEFAULT);
    const hid_t space = H5Dget_space(offsets_set);
    offsets.resize(static_cast<size_t>(H5Sget_simple_extent_npoints(space)));
    H5Dread(offsets_set, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, offsets.data());
    H5Sclose(space), H5Dclose(offsets_set);
    base = H5Dget_offset(bytes);
    CONVOY_CHECK(base != HADDR_UNDEF, path, ": /jpeg_bytes is not contiguous");
    fd = ::open(path.c_str(), O_RDONLY);
  }
  ~FlatFile() { ::close(fd), H5Dclose(bytes), H5Fclose(file); }
  size_t read_hdf5(int64_t i, std::vector<uint8_t>& out) const {
    hsize_t start = offsets[i], length = offsets[i + 1] - offsets[i];
    out.resize(length);
    const hid_t file_space = H5Dget_space(bytes);
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &length, nullptr);
    const hid_t mem = H5Screate_simple(1, &length, nullptr);
    CONVOY_CHECK(H5Dread(bytes, H5T_NATIVE_UINT8, mem, file_space, H5P_DEFAULT, out.data()) >= 0, "read");
    H5Sclose(mem), H5Sclose(file_space);
    return length;
  }
  size_t read_pread(int64_t i, std::vector<uint8_t>& out) const {
    const size_t length = offsets[i + 1] - offsets[i];
    out.resize(length);
    CONVOY_CHECK(::pread(fd, out.data(), length, static_cast<off_t>(base + offsets[i])) ==
                     static_cast<ssize_t>(length), "short read");
    return length;
  }
};

struct VlenFile {
  hid_t file = -1, set = -1, type = -1;
  explicit VlenFile(const std::string& path) {
    file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    set = H5Dopen2(file, "/jpeg", H5P_DEFAULT);
    type = H5Tvlen_create(H5T_NATIVE_UINT8);
  }
  ~VlenFile() { H5Tclose(type), H5Dclose(set), H5Fclose(file); }
  size_t read(int64_t i, std::vector<uint8_t>& out) const {
    hsize_t start = static_cast<hsize_t>(i), one = 1;
    const hid_t file_space = H5Dget_space(set);
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &one, nullptr);
    const hid_t mem = H5Screate_simple(1, &one, nullptr);
    hvl_t value{0, nullptr};
    CONVOY_CHECK(H5Dread(set, type, mem, file_space, H5P_DEFAULT, &value) >= 0, "read");
    out.assign(static_cast<uint8_t*>(value.p), static_cast<uint8_t*>(value.p) + value.len);
    H5Dvlen_reclaim(type, mem, H5P_DEFAULT, &value);
    H5Sclose(mem), H5Sclose(file_space);
    return out.size();
  }
};

// Images/s reading `order` with `threads` threads, each taking every threads-th index.
double read_rate(const Layout& layout, const std::vector<int64_t>& order, int threads, double& megabytes) {
  std::vector<size_t> bytes(static_cast<size_t>(threads), 0);
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::vector<uint8_t> scratch;
      for (size_t k = static_cast<size_t>(t); k < order.size(); k += static_cast<size_t>(threads))
        bytes[static_cast<size_t>(t)] += layout.read(order[k], scratch);
    });
  for (auto& th : pool) th.join();
  const double seconds = bench::ms_since(start) / 1000.0;
  megabytes = std::accumulate(bytes.begin(), bytes.end(), size_t{0}) / 1e6;
  return static_cast<double>(order.size()) / seconds;
}

}  // namespace

int main(int argc, char** argv) try {
  std::string vlen_path, flat_path;
  int64_t reads = 8192;
  bool make = false;
  po::options_description options("jpeg_layout_bench options");
  options.add_options()("vlen", po::value(&vlen_path)->required(), "HDF5 file with a /jpeg dataset")(
      "flat", po::value(&flat_path)->required(), "its flat copy (/jpeg_bytes + /jpeg_offsets)")(
      "make-flat", po::bool_switch(&make), "write --flat from --vlen first")(
      "reads", po::value(&reads), "images read per measurement (distinct, shuffled over the whole set)")(
      "help,h", "show this help");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, options), vm);
  if (vm.count("help")) return std::cout << options << "\n", 0;
  po::notify(vm);
  if (make) make_flat(vlen_path, flat_path);
  const VlenFile vlen(vlen_path);
  const FlatFile flat(flat_path);
  const int64_t n = static_cast<int64_t>(flat.offsets.size()) - 1;
  const Hdf5File reopening(vlen_path, Hdf5File::Mode::kRead);
  const std::vector<Layout> layouts = {
      {"vlen-reopen", [&](int64_t i, std::vector<uint8_t>& s) { return reopening.read_vlen_uint8("/jpeg", i, s), s.size(); }},
      {"vlen", [&](int64_t i, std::vector<uint8_t>& s) { return vlen.read(i, s); }},
      {"flat-hdf5", [&](int64_t i, std::vector<uint8_t>& s) { return flat.read_hdf5(i, s); }},
      {"flat-pread", [&](int64_t i, std::vector<uint8_t>& s) { return flat.read_pread(i, s); }}};
  std::mt19937_64 rng(7);
  std::vector<int64_t> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), rng);
  std::printf("%lld images; %lld random reads a measurement\n", static_cast<long long>(n),
              static_cast<long long>(reads));
  std::printf("%-12s %-5s %8s %12s %12s %8s\n", "layout", "pages", "threads", "images/s", "MB/s", "RSS MB");
  std::string summary = "summary";
  size_t round = 0;
  for (const bool cold : {false, true})
    for (const Layout& layout : layouts)
      for (const int threads : {1, 2}) {
        // Distinct indices for every measurement, so a warm one never rereads
        // what an earlier one brought in; warm ones read their share once first.
        std::vector<int64_t> order(all.begin() + static_cast<int64_t>(round * reads) % n,
                                   all.begin() + std::min<int64_t>(n, static_cast<int64_t>(round * reads) % n + reads));
        ++round;
        double mb = 0;
        if (cold) evict_pages(vlen_path), evict_pages(flat_path);
        else read_rate(layout, order, threads, mb);
        const double rate = read_rate(layout, order, threads, mb);
        const double seconds = static_cast<double>(order.size()) / rate;
        std::printf("%-12s %-5s %8d %12.0f %12.1f %8.1f\n", layout.name.c_str(), cold ? "cold" : "warm", threads,
                    rate, mb / seconds, resident_memory_mb());
        summary += " " + layout.name + (cold ? "_cold" : "_warm") + "_t" + std::to_string(threads) + "=" +
                   std::to_string(static_cast<int64_t>(rate));
      }
  std::printf("%s\n", summary.c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "jpeg_layout_bench: %s\n", e.what());
  return 1;
}
