#include "io/checkpoint.h"

#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "core/error.h"
#include "core/finite.h"
#include "formats/atomic_file.h"
#include "formats/hdf5_file.h"

namespace convoy {

namespace fs = std::filesystem;

namespace {
constexpr int64_t kFormatVersion = 1;

std::string param_path(const std::string& group, const std::string& name) {
  return "/" + group + "/" + name;
}

// Reads dataset `name` into `t` wherever `t` lives (through the host for a
// device tensor), refusing non-finite values.
void read_tensor(Hdf5File& file, const std::string& name, Tensor& t, const std::string& path,
                 const std::string& what);

// A NaN or an infinity in a checkpoint is damage (training never writes one).
void require_finite(const Tensor& t, const std::string& path, const std::string& what) {
  const int64_t at = first_non_finite(t.data(), t.numel());
  if (at >= 0)
    CONVOY_USER_ERROR("checkpoint '", path, "': ", what, " holds a non-finite value at element ", at, " (damaged?)");
}
}  // namespace

void save_checkpoint(const std::string& path, const std::vector<Parameter*>& parameters,
                     const std::vector<Tensor>& velocities, const TrainingPosition& position) {
  CONVOY_CHECK(velocities.empty() || velocities.size() == parameters.size(),
               "one velocity per parameter");
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  if (ec) CONVOY_USER_ERROR("cannot create the checkpoint folder of '", path, "': ", ec.message());
  write_file_atomically(path, [&](const std::string& temporary) {
    Hdf5File file(temporary, Hdf5File::Mode::kCreate);
    file.create_group("/parameters");
    if (!velocities.empty()) file.create_group("/velocities");
    for (size_t i = 0; i < parameters.size(); ++i) {
      const Parameter& p = *parameters[i];
      // Device tensors are written from a host copy: a checkpoint does not depend on the device.
      const Tensor value = p.value.to(Device::kCPU);
      file.write(param_path("parameters", p.name), value.shape(), value.data());
      if (!velocities.empty()) {
        const Tensor velocity = velocities[i].to(Device::kCPU);
        file.write(param_path("velocities", p.name), velocity.shape(), velocity.data());
      }
    }
    file.set_attribute("/", "format_version", kFormatVersion);
    file.set_attribute("/", "convoy_version", std::string(CONVOY_VERSION));
    file.set_attribute("/", "model", position.model);
    file.set_attribute("/", "epoch", position.epoch);
    file.set_attribute("/", "batch_in_epoch", position.batch_in_epoch);
    file.set_attribute("/", "global_step", position.global_step);
    file.set_attribute("/", "global_batch", position.global_batch);
    file.set_attribute("/", "train_samples", position.train_samples);
    file.set_attribute("/", "seed", static_cast<int64_t>(position.seed));
    file.set_attribute("/", "options", position.options_json);
    file.set_attribute("/", "schedule_state",
                       std::vector<double>{position.schedule.best_error,
                                           static_cast<double>(position.schedule.bad_epochs),
                                           static_cast<double>(position.schedule.decays)});
    file.close();
  });
}

TrainingPosition load_checkpoint(const std::string& path, const std::vector<Parameter*>& parameters,
                                 std::vector<Tensor>* velocities) {
  Hdf5File file(path, Hdf5File::Mode::kRead);
  if (!file.has_attribute("/", "format_version"))
    CONVOY_USER_ERROR("'", path, "' is not a convoy checkpoint (no format_version attribute)");
  const int64_t version = file.attribute_int("/", "format_version");
  if (version < 1 || version > kFormatVersion)
    CONVOY_USER_ERROR("checkpoint '", path, "' has format version ", version, "; this convoy reads version ",
                      kFormatVersion, " (written by another version?)");
  TrainingPosition position;
  position.model = file.attribute_string("/", "model");
  position.epoch = file.attribute_int("/", "epoch");
  position.batch_in_epoch = file.attribute_int("/", "batch_in_epoch");
  position.global_step = file.attribute_int("/", "global_step");
  if (file.has_attribute("/", "global_batch")) position.global_batch = file.attribute_int("/", "global_batch");
  if (file.has_attribute("/", "train_samples")) position.train_samples = file.attribute_int("/", "train_samples");
  position.seed = static_cast<uint64_t>(file.attribute_int("/", "seed"));
  position.options_json = file.attribute_string("/", "options");
  const std::vector<double> schedule = file.attribute_doubles("/", "schedule_state");
  if (schedule.size() != 3) CONVOY_USER_ERROR("checkpoint '", path, "': bad schedule_state");
  position.schedule = {schedule[0], static_cast<int64_t>(schedule[1]),
                       static_cast<int64_t>(schedule[2])};
  for (size_t i = 0; i < parameters.size(); ++i) {
    Parameter& p = *parameters[i];
    const std::string name = param_path("parameters", p.name);
    if (!file.has(name))
      CONVOY_USER_ERROR("checkpoint '", path, "' has no parameter ", p.name,
                        " (written for another model?)");
    const Shape stored = file.dataset_shape(name);
    if (stored != p.value.shape())
      CONVOY_USER_ERROR("checkpoint '", path, "': parameter ", p.name, " has shape ",
                        stored.to_string(), ", the model expects ", p.value.shape().to_string());
    read_tensor(file, name, p.value, path, "parameter " + p.name);
    if (velocities) {
      const std::string vname = param_path("velocities", p.name);
      if (!file.has(vname))
        CONVOY_USER_ERROR("checkpoint '", path, "' holds no optimizer state for ", p.name);
      if (file.dataset_shape(vname) != p.value.shape())
        CONVOY_USER_ERROR("checkpoint '", path, "': the momentum of ", p.name, " has shape ",
                          file.dataset_shape(vname).to_string(), ", the model expects ", p.value.shape().to_string());
      read_tensor(file, vname, (*velocities)[i], path, "the momentum of " + p.name);
    }
  }
  return position;
}

namespace {
void read_tensor(Hdf5File& file, const std::string& name, Tensor& t, const std::string& path,
                 const std::string& what) {
  Tensor host = t.device().is_cpu() ? t : Tensor::empty(t.shape());
  file.read(name, host.data(), host.numel());
  require_finite(host, path, what);
  if (!t.device().is_cpu()) t.copy_from(host);
}
}  // namespace

std::string checkpoint_path(const std::string& dir, int64_t global_step) {
  char name[64];
  std::snprintf(name, sizeof name, "checkpoint-step-%08lld.h5", static_cast<long long>(global_step));
  return (fs::path(dir) / name).string();
}

std::optional<std::string> find_latest_checkpoint(const std::string& dir) {
  std::optional<std::string> best;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return best;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("checkpoint-step-", 0) == 0 && entry.path().extension() == ".h5" &&
        (!best || name > fs::path(*best).filename().string()))
      best = entry.path().string();
  }
  return best;
}

}  // namespace convoy
