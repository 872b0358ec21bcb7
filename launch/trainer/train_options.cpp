#include "launch/trainer/train_options.h"

#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>

#include "backend/device_choice.h"
#include "core/error.h"
#include "launch/trainer/command_line.h"

namespace convoy {

namespace po = boost::program_options;

namespace {

// A path under $HOME as --help shows it: ~/.cache/convoy, the same text on every machine.
std::string home_relative(const std::string& path) {
  const char* home = std::getenv("HOME");
  const std::string prefix = home ? std::string(home) + "/" : std::string();
  return !prefix.empty() && path.rfind(prefix, 0) == 0 ? "~/" + path.substr(prefix.size()) : path;
}

}  // namespace

std::span<const NamedValue<LrScaling>> named_values(LrScaling) {
  static constexpr NamedValue<LrScaling> kNames[] = {{LrScaling::kNone, "none"}, {LrScaling::kLinear, "linear"}};
  return kNames;
}

std::span<const NamedValue<GradCompression>> named_values(GradCompression) {
  static constexpr NamedValue<GradCompression> kNames[] = {{GradCompression::kNone, "none"},
                                                          {GradCompression::kBf16, "bf16"}};
  return kNames;
}

nlohmann::json TrainOptions::to_json() const {
  return {{"model", model}, {"data", data}, {"val", val}, {"cache_dir", cache_dir},
          {"synthetic", synthetic}, {"synthetic_val", synthetic_val}, {"num_classes", num_classes},
          {"input_size", input_size}, {"epochs", epochs}, {"batch_size", batch_size},
          {"eval_batch_size", eval_batch_size}, {"lr", lr}, {"momentum", momentum},
          {"weight_decay", weight_decay}, {"decay_biases", decay_biases},
          {"lr_schedule", name_of(lr_schedule)}, {"warmup_epochs", warmup_epochs}, {"lr_gamma", lr_gamma},
          {"min_lr", min_lr}, {"pca", name_of(pca)}, {"pca_sigma", pca_sigma}, {"no_flip", no_flip},
          {"eval_crops", eval_crops}, {"cache_in_memory", name_of(cache_in_memory)}, {"lr_step_size", lr_step_size}, {"lr_patience", lr_patience},
          {"lr_milestones", lr_milestones}, {"init", name_of(init)}, {"seed", seed}, {"threads", threads}, {"workers", workers},
          {"max_steps", max_steps}, {"log_every", log_every}, {"metrics", metrics}, {"tensorboard", tensorboard},
          {"checkpoint_dir", checkpoint_dir}, {"keep_checkpoints", keep_checkpoints},
          {"accumulate_steps", accumulate_steps}, {"lr_scaling", name_of(lr_scaling)}, {"lr_base_batch", lr_base_batch},
          {"bucket_mb", bucket_mb}, {"no_overlap", no_overlap}, {"grad_compression", name_of(grad_compression)}, {"collective_timeout", collective_timeout}, {"check_every", check_every}, {"startup_timeout", startup_timeout},
          {"timeline", timeline}, {"resume_reset_position", resume_reset_position}, {"anomaly", name_of(anomaly)},
          {"max_skipped", max_skipped}, {"device", device.to_string()}, {"precision", name_of(precision)},
          {"deterministic", deterministic}, {"conv_algorithms", name_of(conv_algorithms)}};
}

nlohmann::json TrainOptions::shared_options() const {
  nlohmann::json shared = to_json();
  for (const char* local : {"data", "val", "cache_dir", "cache_in_memory", "threads", "workers", "log_every",
                            "metrics", "tensorboard", "checkpoint_dir", "keep_checkpoints", "no_overlap", "collective_timeout",
                            "startup_timeout",
                            "device", "conv_algorithms"})
    shared.erase(local);
  // Not part of a checkpoint's options, but they decide which collectives run
  // (rank 0 broadcasts what it resumes from; a timeline is gathered at the end).
  shared["resume"] = resume;
  shared["evaluate"] = evaluate;
  return shared;
}

std::string TrainOptions::flag_name(const std::string& key) {
  std::string flag = "--" + key;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}

namespace {

// The option groups of --help, in its order; each binds its options to `o`.
po::options_description data_options(TrainOptions& o, bool image_options) {
  const bool lenet = o.model == "lenet5";
  po::options_description data("Data");
  data.add_options()
      ("data", convoy::option_value(&o.data),
       lenet ? "MNIST: a folder of IDX files (.gz or raw) or an HDF5 training file; default: "
               "./data/mnist, then ../shared/data/mnist"
             : "HDF5 training file (docs/data.md layout)")
      ("val", convoy::option_value(&o.val),
       "HDF5 validation/test file (MNIST from a folder: its t10k files)")
      ("cache-dir", po::value(&o.cache_dir)->default_value(o.cache_dir, home_relative(o.cache_dir)),
       "where converted HDF5 files are kept");
  if (image_options) {
    data.add_options()
        ("synthetic", convoy::option_value(&o.synthetic),
         "train on N random images instead of --data (smoke runs, benchmarks)")
        ("synthetic-val", convoy::option_value(&o.synthetic_val),
         "with --synthetic: N random validation images")
        ("pca", convoy::option_value(&o.pca), "PCA lighting: dataset | image | off (docs/data.md)")
        ("pca-sigma", convoy::option_value(&o.pca_sigma), "std of the lighting coefficients")
        ("no-flip", po::bool_switch(&o.no_flip), "no random horizontal flips")
        ("eval-crops", convoy::option_value(&o.eval_crops), "evaluation crops: 1 (centre) or 10")
        ("cache-in-memory", convoy::option_value(&o.cache_in_memory),
         "hold the data sets in memory: auto | on | off");
  }
  data.add_options()
      ("num-classes", convoy::option_value(&o.num_classes), "classes (0: the model's default)")
      ("input-size", convoy::option_value(&o.input_size), "input side in pixels (0: the model's default)");

  return data;
}

po::options_description recipe_options(TrainOptions& o) {
  po::options_description recipe("Recipe");
  recipe.add_options()
      ("epochs", convoy::option_value(&o.epochs), "total epochs (also after --resume)")
      ("batch-size", convoy::option_value(&o.batch_size), "images per step")
      ("eval-batch-size", convoy::option_value(&o.eval_batch_size), "images per evaluation batch (0: --batch-size)")
      ("lr", convoy::option_value(&o.lr), "base learning rate")
      ("momentum", convoy::option_value(&o.momentum), "SGD momentum")
      ("weight-decay", convoy::option_value(&o.weight_decay), "L2 weight decay (weights only)")
      ("decay-biases", po::bool_switch(&o.decay_biases), "apply weight decay to biases too")
      ("lr-schedule", convoy::option_value(&o.lr_schedule), "constant | step | multistep | cosine | plateau")
      ("warmup-epochs", convoy::option_value(&o.warmup_epochs), "linear warm-up over this many epochs")
      ("lr-gamma", convoy::option_value(&o.lr_gamma), "decay factor (step, multistep, plateau)")
      ("lr-step-size", convoy::option_value(&o.lr_step_size), "epochs between decays (step)")
      ("lr-milestones", po::value(&o.lr_milestones)->multitoken(), "epochs at which to decay (multistep)")
      ("lr-patience", convoy::option_value(&o.lr_patience), "epochs without improvement before a decay (plateau)")
      ("min-lr", convoy::option_value(&o.min_lr), "floor of the cosine schedule")
      ("init", convoy::option_value(&o.init), "paper | xavier | kaiming")
      ("seed", convoy::option_value(&o.seed), "seed of initialisation, shuffling, dropout");

  return recipe;
}

po::options_description parallel_options(TrainOptions& o) {
  po::options_description parallel("Data parallel (under mpirun: --batch-size is per rank)");
  parallel.add_options()
      ("accumulate-steps", convoy::option_value(&o.accumulate_steps),
       "micro-batches per optimizer step on each rank (global batch = batch x ranks x this)")
      ("lr-scaling", convoy::option_value(&o.lr_scaling),
       "none | linear: lr x global batch / --lr-base-batch (Goyal et al.; pair with --warmup-epochs)")
      ("lr-base-batch", convoy::option_value(&o.lr_base_batch), "the batch --lr is meant for (linear scaling)")
      ("bucket-mb", convoy::option_value(&o.bucket_mb), "gradient all-reduce bucket size in MiB (the first is 1 MiB)")
      ("no-overlap", po::bool_switch(&o.no_overlap), "all-reduce gradients after backward, not during it (for comparison)")
      ("grad-compression", convoy::option_value(&o.grad_compression),
       "none | bf16: all-reduce gradients rounded to bf16 (half the bytes; the update stays fp32)")
      ("collective-timeout", convoy::option_value(&o.collective_timeout),
       "seconds a collective may wait for the other ranks before the job is ended")
      ("startup-timeout", convoy::option_value(&o.startup_timeout),
       "seconds each wait of start-up may take (MPI_Init, the ranks' agreement, the GPU communicator's "
       "initialisation, the start broadcast) before the job is ended")
      ("check-every", convoy::option_value(&o.check_every),
       "also compare the ranks' parameters (a 64-bit hash of each tensor) every N steps; they are compared at "
       "each epoch's end and checkpoint (0: only there)");

  return parallel;
}

po::options_description device_options(TrainOptions& o) {
  po::options_description device("Device");
  device.add_options()
      ("device", convoy::option_value(&o.device),
       "auto (a GPU when there is one, else the CPU) | cpu | cuda (the GPU local rank mod visible GPUs) | cuda:N")
      ("precision", convoy::option_value(&o.precision),
       "GPU math of convolutions and fully connected layers: fp32 (true fp32) | tf32 (TF32 tensor cores) | "
       "bf16 (bf16 inputs and weights, fp32 accumulation and master weights)")
      ("deterministic", po::bool_switch(&o.deterministic),
       "GPU: deterministic cuDNN algorithms only (bit-identical reruns, maybe slower)")
      ("conv-algorithms", convoy::option_value(&o.conv_algorithms),
       "GPU: how each convolution's cuDNN algorithms are chosen, once per shape: measured (each timed, the "
       "fastest taken, as PyTorch's cudnn.benchmark) | heuristic (cuDNN's heuristics, no trial runs)");

  return device;
}

po::options_description running_options(TrainOptions& o) {
  po::options_description running("Running");
  running.add_options()
      ("threads", convoy::option_value(&o.threads), "compute threads (0: OMP_NUM_THREADS or all cores)")
      ("workers", convoy::option_value(&o.workers), "data-loading worker threads (0: load in the training thread)")
      ("max-steps", convoy::option_value(&o.max_steps), "stop (with a checkpoint) after this many steps in all (0: no limit)")
      ("log-every", convoy::option_value(&o.log_every), "steps between step metrics lines (the progress line: every 30 s without a terminal)")
      ("metrics", convoy::option_value(&o.metrics), "write JSON-lines metrics to this file")
      ("tensorboard", convoy::option_value(&o.tensorboard),
       "also write the metrics as TensorBoard scalars into this folder (tensorboard --logdir FOLDER)")
      ("checkpoint-dir", convoy::option_value(&o.checkpoint_dir), "where checkpoints go (empty: none)")
      ("keep-checkpoints", convoy::option_value(&o.keep_checkpoints), "how many recent checkpoints to keep (0: all)")
      ("resume", convoy::option_value(&o.resume), "a checkpoint file, or 'auto': the newest in --checkpoint-dir")
      ("resume-reset-position", po::bool_switch(&o.resume_reset_position),
       "with --resume: keep the weights and optimizer state but start the saved epoch over (where the global batch "
       "or the training set changed, and the saved position would name other samples)")
      ("evaluate", convoy::option_value(&o.evaluate), "report the test accuracy of this checkpoint and exit")
      ("anomaly", convoy::option_value(&o.anomaly),
       "a step whose gradients are not finite (NaN, infinity): stop (end the job, keep the last checkpoint) | "
       "skip (drop that update, on every rank)")
      ("max-skipped", convoy::option_value(&o.max_skipped),
       "with --anomaly skip: end the job after this many skipped steps in a row")
      ("summary", po::bool_switch(&o.summary), "print the layer table and exit")
      ("timeline", convoy::option_value(&o.timeline),
       "write a Chrome-trace timeline of every rank's steps and collectives (Perfetto, chrome://tracing)")
      ("help,h", "show this help");

  return running;
}

// Values that parse but cannot be used: a user error naming the option.
void check_values(const TrainOptions& o) {
  if (o.epochs < 1) CONVOY_USER_ERROR("--epochs must be >= 1, got ", o.epochs);
  if (o.batch_size < 1) CONVOY_USER_ERROR("--batch-size must be >= 1, got ", o.batch_size);
  if (o.log_every < 1) CONVOY_USER_ERROR("--log-every must be >= 1, got ", o.log_every);
  if (o.momentum < 0 || o.weight_decay < 0) CONVOY_USER_ERROR("--momentum and --weight-decay must be >= 0");
  if (o.workers < 0) CONVOY_USER_ERROR("--workers must be >= 0, got ", o.workers);
  if (o.accumulate_steps < 1) CONVOY_USER_ERROR("--accumulate-steps must be >= 1, got ", o.accumulate_steps);
  if (o.lr_base_batch < 1) CONVOY_USER_ERROR("--lr-base-batch must be >= 1, got ", o.lr_base_batch);
  if (!(o.bucket_mb > 0)) CONVOY_USER_ERROR("--bucket-mb must be positive, got ", o.bucket_mb);
  if (!(o.startup_timeout > 0 && o.startup_timeout < 1e9))
    CONVOY_USER_ERROR("--startup-timeout must be a positive number of seconds, got ", o.startup_timeout);
  if (o.check_every < 0) CONVOY_USER_ERROR("--check-every must be >= 0, got ", o.check_every);
  if (!(o.collective_timeout > 0)) CONVOY_USER_ERROR("--collective-timeout must be positive, got ", o.collective_timeout);
  if (o.resume == "auto" && o.checkpoint_dir.empty()) CONVOY_USER_ERROR("--resume auto needs --checkpoint-dir");
  if (o.max_skipped < 1) CONVOY_USER_ERROR("--max-skipped must be >= 1, got ", o.max_skipped);
}

}  // namespace

std::optional<TrainOptions> parse_train_options(int argc, const char* const* argv,
                                                const TrainOptions& defaults,
                                                bool image_options, bool show_help) {
  TrainOptions o = defaults;
  po::options_description all;
  all.add(data_options(o, image_options)).add(recipe_options(o)).add(parallel_options(o)).add(device_options(o))
      .add(running_options(o));
  po::variables_map vm;
  if (!convoy::parse_command_line(argc, argv, all, nullptr, vm, show_help)) return std::nullopt;
  check_values(o);
  if (o.eval_batch_size == 0) o.eval_batch_size = o.batch_size;
  return o;
}

}  // namespace convoy
