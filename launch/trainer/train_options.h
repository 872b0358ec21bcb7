// The options shared by train_lenet and train_alexnet (same names where the
// meaning is the same), parsed with Boost.Program_options.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/device_choice.h"
#include "core/named_values.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/transforms.h"
#include "launch/trainer/anomaly_policy.h"
#include "nn/init.h"
#include "optim/lr_schedule.h"

namespace convoy {

// --lr-scaling: none | linear (lr x global batch / --lr-base-batch).
enum class LrScaling { kNone, kLinear };
std::span<const NamedValue<LrScaling>> named_values(LrScaling);
// --grad-compression: none | bf16 (gradients all-reduced in bf16).
enum class GradCompression { kNone, kBf16 };
std::span<const NamedValue<GradCompression>> named_values(GradCompression);

// Options with a few possible values are enums, parsed once when the command
// line is read (core/named_values.h, launch/trainer/command_line.h) and
// written back by name (to_json).
struct TrainOptions {
  std::string model;  // "lenet5" | "alexnet"
  // Data.
  std::string data, val, cache_dir;
  int64_t synthetic = 0, synthetic_val = 0;  // train_alexnet: random images
  int64_t num_classes = 0, input_size = 0;   // 0: the model's default
  // Augmentation (train_alexnet): docs/data.md (augmentation).
  PcaMode pca = PcaMode::kDataset;
  CacheMode cache_in_memory = CacheMode::kAuto;
  double pca_sigma = 0.1;
  bool no_flip = false;
  int eval_crops = 1;
  // Recipe.
  int64_t epochs = 1, batch_size = 64, eval_batch_size = 0;  // per rank; eval 0: batch_size
  double lr = 0.01, momentum = 0.9, weight_decay = 0.0;
  bool decay_biases = false;
  LrScheduleKind lr_schedule = LrScheduleKind::kConstant;
  double warmup_epochs = 0.0, lr_gamma = 0.1, min_lr = 0.0;
  int64_t lr_step_size = 30, lr_patience = 2;
  std::vector<int64_t> lr_milestones;
  InitScheme init = InitScheme::kXavier;
  uint64_t seed = 1;
  // Data parallel (docs/models.md): global batch = batch_size x ranks x accumulate_steps.
  int accumulate_steps = 1;
  LrScaling lr_scaling = LrScaling::kNone;
  int64_t lr_base_batch = 256;
  double bucket_mb = 25.0;  // all-reduce bucket size (the first bucket is 1 MiB)
  bool no_overlap = false;  // all-reduce after backward instead of during it
  GradCompression grad_compression = GradCompression::kNone;
  double collective_timeout = 600.0;  // seconds before a stalled collective ends the job
  double startup_timeout = 600.0;  // seconds each wait of start-up may take (read before MPI starts)
  int64_t check_every = 0;  // steps between comparisons of the ranks' parameters (0: epoch ends and checkpoints only)
  // Device (docs/gpu.md): auto | cpu | cuda | cuda:N; the GPU math.
  DeviceRequest device;  // auto
  Precision precision = Precision::kFp32;
  ConvAlgorithms conv_algorithms = ConvAlgorithms::kMeasured;
  bool deterministic = false;
  // Running.
  int threads = 0;  // 0: OMP_NUM_THREADS or all cores
  int workers = 1;  // data-loading threads (0: load in the training thread)
  int64_t max_steps = 0;  // 0: no limit
  int64_t log_every = 10;
  std::string metrics, tensorboard, checkpoint_dir, resume, evaluate, timeline;
  int64_t keep_checkpoints = 2;
  bool resume_reset_position = false;  // resume weights and optimizer state, restart the saved epoch
  // A step whose summed gradients hold NaN or infinity: stop the job, or
  // skip its update (on every rank alike), at most max_skipped in a row.
  AnomalyAction anomaly = AnomalyAction::kStop;
  int64_t max_skipped = 10;
  bool summary = false;

  nlohmann::json to_json() const;
  // The options every rank must share: those that change the maths or the
  // sequence of collectives (not data paths, threads, workers, logging,
  // timeouts).
  nlohmann::json shared_options() const;
  // "--lr-base-batch" for the key "lr_base_batch".
  static std::string flag_name(const std::string& key);
};

// Parses argv over `defaults`; image_options adds --synthetic and the
// augmentation options. Returns nullopt after printing --help.
// A bad option is a user error (one sentence naming it).
std::optional<TrainOptions> parse_train_options(int argc, const char* const* argv,
                                                const TrainOptions& defaults, bool image_options,
                                                bool show_help = true);

}  // namespace convoy
