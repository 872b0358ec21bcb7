#include "formats/hdf5_file.h"

#include <hdf5.h>

#include <atomic>
#include <mutex>

#include "core/error.h"
#include "formats/hdf5_id.h"

namespace convoy {

namespace {
// HDF5 prints its own error stack by default; we report errors ourselves.
// Variable-length UTF-8 strings, for writing and (same cset, or HDF5 refuses the conversion) reading.
Hdf5Id utf8_string_type() {
  Hdf5Id type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

std::recursive_mutex& library_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

// -1: not decided yet; then 0 or 1.
std::atomic<int>& serialized_mode() {
  static std::atomic<int> mode{-1};
  return mode;
}

// Held by every call into the library when it is not built thread-safe
// (recursive: our methods call each other and close identifiers).
std::unique_lock<std::recursive_mutex> library_lock() {
  if (!hdf5_calls_serialized()) return {};
  return std::unique_lock<std::recursive_mutex>(library_mutex());
}

void silence_hdf5_errors() {
  static const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}
}  // namespace

bool hdf5_calls_serialized() {
  int mode = serialized_mode().load();
  if (mode < 0) {
    hbool_t threadsafe = 0;
    mode = (H5is_library_threadsafe(&threadsafe) < 0 || !threadsafe) ? 1 : 0;
    int unknown = -1;
    serialized_mode().compare_exchange_strong(unknown, mode);
    mode = serialized_mode().load();
  }
  return mode == 1;
}

void set_hdf5_calls_serialized(bool serialized) { serialized_mode().store(serialized ? 1 : 0); }

Hdf5Id& Hdf5Id::operator=(Hdf5Id&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Hdf5Id::reset() {
  const auto lock = library_lock();
  if (id_ >= 0 && close_) close_(id_);
  id_ = H5I_INVALID_HID;
}

Hdf5File::Hdf5File(const std::string& path, Mode mode) : path_(path) {
  const auto lock = library_lock();
  silence_hdf5_errors();
  hid_t id = mode == Mode::kCreate ? H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)
                                   : H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    if (mode == Mode::kCreate) CONVOY_USER_ERROR("cannot create HDF5 file '", path, "' (is the folder writable?)");
    CONVOY_USER_ERROR("cannot open '", path, "' as an HDF5 file (missing, unreadable or not HDF5)");
  }
  file_ = std::make_unique<Hdf5Id>(id, H5Fclose);
}

Hdf5File::~Hdf5File() = default;

void Hdf5File::close() {
  const auto lock = library_lock();
  if (file_->get() >= 0 && H5Fflush(file_->get(), H5F_SCOPE_GLOBAL) < 0) fail("flush failed");
  file_->reset();
}

void Hdf5File::fail(const std::string& what) const {
  CONVOY_USER_ERROR("HDF5 file '", path_, "': ", what);
}

std::vector<std::string> Hdf5File::list(const std::string& group) const {
  const auto lock = library_lock();
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  if (H5Literate_by_name(file_->get(), group.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names,
                          H5P_DEFAULT) < 0)
    fail("cannot list the group " + group);
  return names;
}

bool Hdf5File::has(const std::string& object) const {
  const auto lock = library_lock();
  // Check each path component, as H5Lexists requires.
  std::string prefix;
  size_t pos = 0;
  while (pos != std::string::npos) {
    const size_t next = object.find('/', pos + 1);
    prefix = object.substr(0, next);
    if (!prefix.empty() && prefix != "/" && H5Lexists(file_->get(), prefix.c_str(), H5P_DEFAULT) <= 0)
      return false;
    pos = next;
  }
  return true;
}

void Hdf5File::create_group(const std::string& group) {
  const auto lock = library_lock();
  hid_t id = H5Gcreate2(file_->get(), group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail("cannot create group " + group);
  H5Gclose(id);
}

Hdf5Id Hdf5File::open_dataset(const std::string& dataset) const {
  if (!has(dataset)) fail("dataset " + dataset + " is missing");
  hid_t id = H5Dopen2(file_->get(), dataset.c_str(), H5P_DEFAULT);
  if (id < 0) fail(dataset + " is not a readable dataset");
  ++datasets_opened_;
  return Hdf5Id(id, H5Dclose);
}

Shape Hdf5File::shape_of(const Hdf5Id& d, const std::string& dataset) const {
  Hdf5Id space(H5Dget_space(d.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail("cannot read the shape of " + dataset);
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  for (const hsize_t n : dims)
    if (n > static_cast<hsize_t>(INT64_MAX)) fail(dataset + " has an impossible extent");
  return Shape(std::vector<int64_t>(dims.begin(), dims.end()));
}

Shape Hdf5File::dataset_shape(const std::string& dataset) const {
  const auto lock = library_lock();
  return shape_of(open_dataset(dataset), dataset);
}

bool Hdf5File::holds_vlen_bytes(const Hdf5Id& d) {
  Hdf5Id type(H5Dget_type(d.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_VLEN) return false;
  Hdf5Id base(H5Tget_super(type.get()), H5Tclose);
  return base.get() >= 0 && H5Tget_class(base.get()) == H5T_INTEGER && H5Tget_size(base.get()) == 1;
}

bool Hdf5File::is_vlen_bytes(const std::string& dataset) const {
  const auto lock = library_lock();
  return holds_vlen_bytes(open_dataset(dataset));
}

void Hdf5File::write_raw(const std::string& dataset, const Shape& shape, int64_t type,
                         const void* data, int64_t chunk_rows) {
  std::vector<hsize_t> dims(shape.dims().begin(), shape.dims().end());
  Hdf5Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Hdf5Id props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (chunk_rows > 0 && shape.rank() >= 1 && shape.numel() > 0) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = static_cast<hsize_t>(std::min<int64_t>(chunk_rows, shape[0]));
    H5Pset_chunk(props.get(), static_cast<int>(chunk.size()), chunk.data());
  }
  Hdf5Id d(H5Dcreate2(file_->get(), dataset.c_str(), type, space.get(), H5P_DEFAULT, props.get(),
                      H5P_DEFAULT),
           H5Dclose);
  if (d.get() < 0) fail("cannot create dataset " + dataset);
  if (shape.numel() > 0 && H5Dwrite(d.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    fail("cannot write dataset " + dataset + " (disk full?)");
}

void Hdf5File::write(const std::string& dataset, const Shape& shape, const float* data) {
  const auto lock = library_lock();
  write_raw(dataset, shape, H5T_NATIVE_FLOAT, data, 0);
}
void Hdf5File::write(const std::string& dataset, const Shape& shape, const int32_t* data) {
  const auto lock = library_lock();
  write_raw(dataset, shape, H5T_NATIVE_INT32, data, 0);
}
void Hdf5File::write(const std::string& dataset, const Shape& shape, const int64_t* data) {
  const auto lock = library_lock();
  write_raw(dataset, shape, H5T_NATIVE_INT64, data, 0);
}
void Hdf5File::write(const std::string& dataset, const Shape& shape, const uint8_t* data,
                     int64_t chunk_rows) {
  const auto lock = library_lock();
  write_raw(dataset, shape, H5T_NATIVE_UINT8, data, chunk_rows);
}

void Hdf5File::write_strings(const std::string& dataset, const std::vector<std::string>& values) {
  const auto lock = library_lock();
  std::vector<const char*> pointers;
  for (const auto& v : values) pointers.push_back(v.c_str());
  Hdf5Id type = utf8_string_type();
  write_raw(dataset, Shape{static_cast<int64_t>(values.size())}, type.get(), pointers.data(), 0);
}

void Hdf5File::read_raw(const std::string& dataset, int64_t mem_type, int expected,
                        void* out, int64_t count) const {
  Hdf5Id d = open_dataset(dataset);
  Hdf5Id type(H5Dget_type(d.get()), H5Tclose);
  if (H5Tget_class(type.get()) != expected)
    fail(dataset + " has the wrong element type");
  const int64_t stored = shape_of(d, dataset).numel();
  if (stored != count)
    fail(dataset + " holds " + std::to_string(stored) + " elements, expected " + std::to_string(count));
  if (count > 0 && H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    fail("cannot read " + dataset + " (file truncated or corrupt?)");
}

void Hdf5File::read(const std::string& dataset, float* out, int64_t count) const {
  const auto lock = library_lock();
  read_raw(dataset, H5T_NATIVE_FLOAT, H5T_FLOAT, out, count);
}
void Hdf5File::read(const std::string& dataset, int32_t* out, int64_t count) const {
  const auto lock = library_lock();
  read_raw(dataset, H5T_NATIVE_INT32, H5T_INTEGER, out, count);
}
void Hdf5File::read(const std::string& dataset, int64_t* out, int64_t count) const {
  const auto lock = library_lock();
  read_raw(dataset, H5T_NATIVE_INT64, H5T_INTEGER, out, count);
}
void Hdf5File::read(const std::string& dataset, uint8_t* out, int64_t count) const {
  const auto lock = library_lock();
  read_raw(dataset, H5T_NATIVE_UINT8, H5T_INTEGER, out, count);
}

void Hdf5File::read_rows(const std::string& dataset, int64_t first, int64_t rows,
                         uint8_t* out) const {
  const auto lock = library_lock();
  Hdf5Id d = open_dataset(dataset);
  const Shape shape = shape_of(d, dataset);
  if (shape.rank() < 1) fail(dataset + " has no rows");
  if (first < 0 || rows < 0 || first + rows > shape[0])
    fail("rows [" + std::to_string(first) + ", " + std::to_string(first + rows) + ") of " +
         dataset + " are out of range");
  std::vector<hsize_t> start(static_cast<size_t>(shape.rank()), 0), count(shape.dims().begin(), shape.dims().end());
  start[0] = static_cast<hsize_t>(first);
  count[0] = static_cast<hsize_t>(rows);
  Hdf5Id file_space(H5Dget_space(d.get()), H5Sclose);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  Hdf5Id mem_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  if (H5Dread(d.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT, out) < 0)
    fail("cannot read rows of " + dataset + " (file truncated or corrupt?)");
}

std::vector<std::string> Hdf5File::read_strings(const std::string& dataset) const {
  const auto lock = library_lock();
  Hdf5Id d = open_dataset(dataset);
  const int64_t n = shape_of(d, dataset).numel();
  Hdf5Id type = utf8_string_type();
  std::vector<char*> raw(static_cast<size_t>(n), nullptr);
  if (n > 0 && H5Dread(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
    fail("cannot read strings of " + dataset);
  std::vector<std::string> values;
  for (char* s : raw) {
    values.emplace_back(s ? s : "");
    H5free_memory(s);
  }
  return values;
}

Hdf5Id Hdf5File::open_attribute(const std::string& object, const std::string& name) const {
  if (H5Aexists_by_name(file_->get(), object.c_str(), name.c_str(), H5P_DEFAULT) <= 0)
    fail("attribute '" + name + "' of " + object + " is missing");
  return Hdf5Id(H5Aopen_by_name(file_->get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose);
}

bool Hdf5File::has_attribute(const std::string& object, const std::string& name) const {
  const auto lock = library_lock();
  return H5Aexists_by_name(file_->get(), object.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

void Hdf5File::set_attribute(const std::string& object, const std::string& name, int64_t value) {
  const auto lock = library_lock();
  Hdf5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  Hdf5Id a(H5Acreate_by_name(file_->get(), object.c_str(), name.c_str(), H5T_NATIVE_INT64,
                             space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  if (a.get() < 0 || H5Awrite(a.get(), H5T_NATIVE_INT64, &value) < 0)
    fail("cannot write attribute " + name);
}

void Hdf5File::set_attribute(const std::string& object, const std::string& name,
                             const std::vector<double>& values) {
  const auto lock = library_lock();
  const hsize_t n = values.size();
  Hdf5Id space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Hdf5Id a(H5Acreate_by_name(file_->get(), object.c_str(), name.c_str(), H5T_NATIVE_DOUBLE,
                             space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  if (a.get() < 0 || H5Awrite(a.get(), H5T_NATIVE_DOUBLE, values.data()) < 0)
    fail("cannot write attribute " + name);
}

void Hdf5File::set_attribute(const std::string& object, const std::string& name,
                             const std::string& value) {
  const auto lock = library_lock();
  Hdf5Id type = utf8_string_type();
  Hdf5Id space(H5Screate(H5S_SCALAR), H5Sclose);
  Hdf5Id a(H5Acreate_by_name(file_->get(), object.c_str(), name.c_str(), type.get(), space.get(),
                             H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  const char* p = value.c_str();
  if (a.get() < 0 || H5Awrite(a.get(), type.get(), &p) < 0) fail("cannot write attribute " + name);
}

int64_t Hdf5File::attribute_int(const std::string& object, const std::string& name) const {
  const auto lock = library_lock();
  Hdf5Id a = open_attribute(object, name);
  Hdf5Id space(H5Aget_space(a.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) fail("attribute '" + name + "' is not a scalar");
  int64_t value = 0;
  if (H5Aread(a.get(), H5T_NATIVE_INT64, &value) < 0) fail("attribute '" + name + "' is not an integer");
  return value;
}

std::vector<double> Hdf5File::attribute_doubles(const std::string& object,
                                                const std::string& name) const {
  const auto lock = library_lock();
  Hdf5Id a = open_attribute(object, name);
  Hdf5Id space(H5Aget_space(a.get()), H5Sclose);
  std::vector<double> values(static_cast<size_t>(H5Sget_simple_extent_npoints(space.get())));
  if (!values.empty() && H5Aread(a.get(), H5T_NATIVE_DOUBLE, values.data()) < 0)
    fail("attribute '" + name + "' is not numeric");
  return values;
}

std::string Hdf5File::attribute_string(const std::string& object, const std::string& name) const {
  const auto lock = library_lock();
  Hdf5Id a = open_attribute(object, name);
  Hdf5Id type = utf8_string_type();
  char* raw = nullptr;
  if (H5Aread(a.get(), type.get(), &raw) < 0) fail("attribute '" + name + "' is not a string");
  std::string value(raw ? raw : "");
  H5free_memory(raw);
  return value;
}

}  // namespace convoy

// Streaming datasets (images_to_hdf5): extendible outer axis, written a row at a time.
namespace convoy {

namespace {
Hdf5Id vlen_uint8_type() { return Hdf5Id(H5Tvlen_create(H5T_NATIVE_UINT8), H5Tclose); }
}  // namespace

void Hdf5File::create_rows_uint8(const std::string& dataset, const Shape& shape, int64_t chunk_rows) {
  const auto lock = library_lock();
  if (shape.rank() < 1 || chunk_rows <= 0) fail("bad shape or chunking for " + dataset);
  std::vector<hsize_t> dims(shape.dims().begin(), shape.dims().end());
  std::vector<hsize_t> max_dims = dims;
  max_dims[0] = H5S_UNLIMITED;
  std::vector<hsize_t> chunk = dims;
  chunk[0] = static_cast<hsize_t>(chunk_rows);
  for (auto& c : chunk) c = std::max<hsize_t>(c, 1);
  Hdf5Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()), H5Sclose);
  Hdf5Id props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(props.get(), static_cast<int>(chunk.size()), chunk.data());
  Hdf5Id d(H5Dcreate2(file_->get(), dataset.c_str(), H5T_NATIVE_UINT8, space.get(), H5P_DEFAULT,
                      props.get(), H5P_DEFAULT),
           H5Dclose);
  if (d.get() < 0) fail("cannot create dataset " + dataset);
}

void Hdf5File::write_rows(const std::string& dataset, int64_t first, int64_t rows, const uint8_t* data) {
  const auto lock = library_lock();
  Hdf5Id d = open_dataset(dataset);
  Hdf5Id file_space(H5Dget_space(d.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(file_space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(file_space.get(), dims.data(), nullptr);
  if (first < 0 || rows < 0 || static_cast<hsize_t>(first + rows) > dims[0])
    fail("rows [" + std::to_string(first) + ", " + std::to_string(first + rows) + ") of " + dataset +
         " are out of range");
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = static_cast<hsize_t>(first);
  count[0] = static_cast<hsize_t>(rows);
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  Hdf5Id mem_space(H5Screate_simple(rank, count.data(), nullptr), H5Sclose);
  if (H5Dwrite(d.get(), H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT, data) < 0)
    fail("cannot write rows of " + dataset + " (disk full?)");
}

void Hdf5File::create_contiguous_bytes(const std::string& dataset, int64_t count) {
  const auto lock = library_lock();
  if (count <= 0) fail("bad size for " + dataset);
  hsize_t dims[1] = {static_cast<hsize_t>(count)};
  Hdf5Id space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Hdf5Id props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_layout(props.get(), H5D_CONTIGUOUS);
  H5Pset_alloc_time(props.get(), H5D_ALLOC_TIME_EARLY);
  H5Pset_fill_time(props.get(), H5D_FILL_TIME_NEVER);
  Hdf5Id d(H5Dcreate2(file_->get(), dataset.c_str(), H5T_NATIVE_UINT8, space.get(), H5P_DEFAULT, props.get(),
                      H5P_DEFAULT),
           H5Dclose);
  if (d.get() < 0) fail("cannot create " + dataset + " (disk full?)");
}

int64_t Hdf5File::contiguous_offset(const std::string& dataset) const {
  const auto lock = library_lock();
  Hdf5Id d = open_dataset(dataset);
  Hdf5Id props(H5Dget_create_plist(d.get()), H5Pclose);
  const haddr_t offset = H5Pget_layout(props.get()) == H5D_CONTIGUOUS ? H5Dget_offset(d.get()) : HADDR_UNDEF;
  if (offset == HADDR_UNDEF || offset > static_cast<haddr_t>(INT64_MAX))
    fail(dataset + " is not stored contiguously");
  return static_cast<int64_t>(offset);
}

bool Hdf5File::is_bytes(const std::string& dataset) const {
  const auto lock = library_lock();
  Hdf5Id d = open_dataset(dataset);
  Hdf5Id type(H5Dget_type(d.get()), H5Tclose);
  return H5Tget_class(type.get()) == H5T_INTEGER && H5Tget_size(type.get()) == 1;
}

void Hdf5File::create_vlen_uint8(const std::string& dataset, int64_t count, int64_t chunk_rows) {
  const auto lock = library_lock();
  if (count < 0 || chunk_rows <= 0) fail("bad size or chunking for " + dataset);
  hsize_t dims[1] = {static_cast<hsize_t>(count)}, max_dims[1] = {H5S_UNLIMITED};
  hsize_t chunk[1] = {static_cast<hsize_t>(chunk_rows)};
  Hdf5Id space(H5Screate_simple(1, dims, max_dims), H5Sclose);
  Hdf5Id props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(props.get(), 1, chunk);
  Hdf5Id type = vlen_uint8_type();
  Hdf5Id d(H5Dcreate2(file_->get(), dataset.c_str(), type.get(), space.get(), H5P_DEFAULT, props.get(),
                      H5P_DEFAULT),
           H5Dclose);
  if (d.get() < 0) fail("cannot create dataset " + dataset);
}

void Hdf5File::select_elements(const Hdf5Id& d, const std::string& dataset, int64_t first, int64_t count,
                               Hdf5Id& file_space, Hdf5Id& mem_space) const {
  file_space = Hdf5Id(H5Dget_space(d.get()), H5Sclose);
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_ndims(file_space.get()) != 1) fail(dataset + " is not one-dimensional");
  H5Sget_simple_extent_dims(file_space.get(), dims, nullptr);
  if (first < 0 || count < 1 || static_cast<hsize_t>(first + count) > dims[0])
    fail("elements [" + std::to_string(first) + ", " + std::to_string(first + count) + ") of " + dataset +
         " are out of range");
  hsize_t start[1] = {static_cast<hsize_t>(first)}, size[1] = {static_cast<hsize_t>(count)};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, size, nullptr);
  mem_space = Hdf5Id(H5Screate_simple(1, size, nullptr), H5Sclose);
}

void Hdf5File::write_vlen_uint8(const std::string& dataset, int64_t index, const uint8_t* data,
                                size_t size) {
  const auto lock = library_lock();
  Hdf5Id d = open_dataset(dataset);
  Hdf5Id file_space, mem_space;
  select_elements(d, dataset, index, 1, file_space, mem_space);
  hvl_t value;
  value.len = size;
  value.p = const_cast<uint8_t*>(data);
  Hdf5Id type = vlen_uint8_type();
  if (H5Dwrite(d.get(), type.get(), mem_space.get(), file_space.get(), H5P_DEFAULT, &value) < 0)
    fail("cannot write element " + std::to_string(index) + " of " + dataset + " (disk full?)");
}

void Hdf5File::read_vlen_uint8(const std::string& dataset, int64_t index, std::vector<uint8_t>& out,
                               size_t max_bytes) const {
  read_vlen_uint8_block(
      dataset, index, 1, [&](int64_t, const uint8_t* bytes, size_t size) { out.assign(bytes, bytes + size); },
      max_bytes);
}

void Hdf5File::read_vlen_uint8_block(
    const std::string& dataset, int64_t first, int64_t count,
    const std::function<void(int64_t index, const uint8_t* bytes, size_t size)>& visit, size_t max_bytes) const {
  const auto lock = library_lock();
  Hdf5Id d = open_dataset(dataset);
  if (!holds_vlen_bytes(d)) fail(dataset + " is not a variable-length uint8 dataset");
  Hdf5Id file_space, mem_space;
  select_elements(d, dataset, first, count, file_space, mem_space);
  Hdf5Id mem_type = vlen_uint8_type();
  std::vector<hvl_t> values(static_cast<size_t>(count), hvl_t{0, nullptr});
  if (H5Dread(d.get(), mem_type.get(), mem_space.get(), file_space.get(), H5P_DEFAULT, values.data()) < 0)
    fail("cannot read elements [" + std::to_string(first) + ", " + std::to_string(first + count) + ") of " +
         dataset + " (file truncated or corrupt?)");
  // The library's buffers go back whatever happens next (H5Treclaim is 1.12+).
  struct Reclaim {
    const Hdf5Id &type, &space;
    std::vector<hvl_t>& values;
    ~Reclaim() { H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, values.data()); }
  } reclaim{mem_type, mem_space, values};
  for (int64_t k = 0; k < count; ++k) {
    const hvl_t& value = values[static_cast<size_t>(k)];
    const int64_t index = first + k;
    if (value.len > max_bytes)
      fail("element " + std::to_string(index) + " of " + dataset + " is " + std::to_string(value.len) +
           " bytes, more than the " + std::to_string(max_bytes) + " it may hold");
    if (value.len > 0 && value.p == nullptr)
      fail("element " + std::to_string(index) + " of " + dataset + " is damaged");
    visit(index, static_cast<const uint8_t*>(value.p), value.len);
  }
}

void Hdf5File::set_rows(const std::string& dataset, int64_t rows) {
  const auto lock = library_lock();
  Hdf5Id d = open_dataset(dataset);
  Hdf5Id space(H5Dget_space(d.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  dims[0] = static_cast<hsize_t>(rows);
  if (rows < 0 || H5Dset_extent(d.get(), dims.data()) < 0) fail("cannot resize " + dataset);
}

}  // namespace convoy
