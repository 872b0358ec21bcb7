#include "launch/trainer/train_program.h"

#include "formats/atomic_file.h"
#include "formats/json_text.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "backend/device_choice.h"
#include "core/crash_report.h"
#include "core/error.h"
#include "core/threads.h"
#include "distributed/agreement.h"
#include "distributed/job_setup.h"
#include "distributed/startup_watchdog.h"
#include "launch/trainer/checkpointer.h"
#include "launch/trainer/console.h"
#include "launch/trainer/stop_signal.h"
#include "launch/trainer/trainer.h"
#include "models/registry.h"
#include "nn/summary.h"

namespace convoy {

int run_guarded(const char* program, const std::function<int()>& body) {
  install_crash_report(program);
  try {
    return body();
  } catch (const Error& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << program << ": internal error: " << e.what() << "\n";
  }
  return 1;
}

namespace {

std::string describe_source(const SampleSource& source) {
  return std::to_string(source.size()) + " samples, " + std::to_string(source.num_classes()) + " classes, samples " +
         source.sample_shape().to_string();
}

// What every rank must share (docs/distributed.md): the options that change the maths,
// the model and the data.
std::vector<Fact> shared_facts(const TrainOptions& options, Sequential* model, const TrainingData& data) {
  std::vector<Fact> facts;
  const nlohmann::json shared = options.shared_options();
  for (const auto& [key, value] : shared.items())
    facts.push_back({TrainOptions::flag_name(key), value.is_string() ? value.get<std::string>() : json_text(value)});
  if (model) {
    facts.push_back({"model", options.model + " with " + std::to_string(model->parameter_count()) + " parameters"});
    for (Parameter* p : model->parameters()) facts.push_back({"parameter " + p->name, p->value.shape().to_string()});
  }
  if (data.train) facts.push_back({"training data", describe_source(*data.train)});
  if (data.val) facts.push_back({"validation data", describe_source(*data.val)});
  return facts;
}

int compute_threads_for(const TrainOptions& options, int default_threads) {
  if (options.threads > 0) return options.threads;
  if (const char* env = std::getenv("OMP_NUM_THREADS"); env && std::atoi(env) > 0) return std::atoi(env);
  return default_threads;
}

// What set-up made of the command line on this rank, or the error it met.
struct Setup {
  std::optional<TrainOptions> parsed;  // empty after --help
  TrainingData data;
  std::unique_ptr<Sequential> model;
  DeviceChoice device;
  std::string action = "train", error;
};

// The data and the model for a training or evaluation run, checked against each other.
void open_data_and_model(Setup& setup, const DataOpener& open_data, Communicator& comm) {
  TrainOptions& options = *setup.parsed;
  setup.action = options.evaluate.empty() ? "train" : "evaluate";
  setup.data = open_data(options, comm);
  const SampleSource* shape_source = setup.data.train ? setup.data.train.get() : setup.data.val.get();
  if (!shape_source) CONVOY_USER_ERROR("no data was opened");
  if (setup.action == "evaluate" && !setup.data.val) CONVOY_USER_ERROR("--evaluate needs test data (--val)");
  if (setup.action == "train" && !setup.data.train) CONVOY_USER_ERROR("no training data");
  // Found now, not when the first epoch ends.
  if (setup.action == "train" && !options.checkpoint_dir.empty() && comm.rank() == 0)
    check_folder_writable(options.checkpoint_dir, "--checkpoint-dir");
  models::ModelSpec spec{options.model, options.num_classes, options.input_size};
  const Shape sample = shape_source->sample_shape();
  const Shape expected = models::model_input_shape(spec);
  if (!options.input_size && (sample[1] != expected[2] || sample[2] != expected[3]))
    CONVOY_USER_ERROR("the data holds ", sample[1], "x", sample[2], " images but ", options.model, " expects ",
                      expected[2], "x", expected[3], " (set --input-size)");
  if (!options.num_classes) spec.num_classes = shape_source->num_classes();
  setup.model = models::make_model(spec);
  setup.device = choose_device(options.device, comm.local_rank());
}

// Parses and opens everything. Set-up errors do not end a rank on their own:
// they travel to the agreement, so that every rank learns of them and none
// waits forever.
Setup set_up(int argc, const char* const* argv, const TrainOptions& defaults, bool synthetic_options,
             const DataOpener& open_data, Communicator& comm) {
  Setup setup;
  try {
    setup.parsed = parse_train_options(argc, argv, defaults, synthetic_options, console_is_root());
    if (!setup.parsed) {
      setup.action = "help";
    } else if (setup.parsed->summary) {
      setup.action = "summary";
      const models::ModelSpec spec{setup.parsed->model, setup.parsed->num_classes, setup.parsed->input_size};
      auto summary_model = models::make_model(spec);
      if (console_is_root()) print_summary(std::cout, *summary_model, models::model_input_shape(spec));
    } else {
      open_data_and_model(setup, open_data, comm);
    }
  } catch (const Error& e) {
    setup.error = e.is_user_error() ? e.message() : e.what();
  } catch (const std::exception& e) {
    setup.error = std::string("internal error: ") + e.what();
  }
  return setup;
}

// Every rank's set-up agrees with rank 0's, or every rank ends with the difference or the error.
void agree_on_setup(const char* program, const Setup& setup, Communicator& comm) {
  std::vector<Fact> facts{{"program", program}, {"action", setup.action}};
  if (setup.parsed && setup.error.empty()) {
    const std::vector<Fact> shared = shared_facts(*setup.parsed, setup.model.get(), setup.data);
    facts.insert(facts.end(), shared.begin(), shared.end());
    // Every rank computes on the same kind of device: the gradients travel by NCCL or by MPI.
    if (setup.model) facts.push_back({"device kind", setup.device.device.is_cpu() ? "cpu" : "cuda"});
  }
  require_agreement(comm, facts, setup.error);
}

// Threads, timeouts and GPU math; the model on its device; the communicator
// its gradients travel by (null: `comm` itself).
std::unique_ptr<Communicator> prepare_device(const TrainOptions& options, Setup& setup, int default_threads,
                                             Communicator& comm) {
  set_compute_threads(compute_threads_for(options, default_threads));
  comm.set_collective_timeout(options.collective_timeout);
  if (!setup.device.note.empty()) say("note: %s\n", setup.device.note.c_str());
  if (setup.device.device.is_cpu() && options.precision != Precision::kFp32)
    say("note: --precision %s applies to GPUs; the CPU computes in fp32\n", name_of(options.precision));
  configure_gpu_math(options.precision, options.deterministic, options.conv_algorithms);
  setup.model->to(setup.device.device);  // before the optimizer: its momentum lives beside the parameters
  // GPU gradients travel by NCCL; the host collectives stay on `comm`.
  std::unique_ptr<Communicator> device_comm = make_device_communicator(comm, setup.device.device);
  if (device_comm) device_comm->set_collective_timeout(options.collective_timeout);  // NCCL's watchdog too
  return device_comm;
}

int evaluate_checkpoint(Trainer& trainer, const TrainOptions& options) {
  trainer.load(options.evaluate, false);
  const EvalResult r = trainer.evaluate();
  say("%s: %lld test images, loss %.4f, top-1 accuracy %.2f%%, top-5 accuracy %.2f%%\n", options.evaluate.c_str(),
      static_cast<long long>(r.count), r.loss, 100.0 * r.top1, 100.0 * r.top5);
  return 0;
}

void resume_if_asked(Trainer& trainer, const TrainOptions& options, Communicator& comm) {
  if (options.resume.empty()) return;
  const std::string path = Checkpointer(options, comm).resume_path();
  if (path.empty()) {
    say("no checkpoint in %s yet: starting from scratch\n", options.checkpoint_dir.c_str());
    return;
  }
  trainer.load(path, true);
  say("resumed from %s at step %lld\n", path.c_str(), static_cast<long long>(trainer.global_step()));
}

// Start-up's waits for the other ranks run under `startup`'s deadline; the
// training steps under the collective watchdog's.
int train_or_evaluate(const char* program, int argc, const char* const* argv, const TrainOptions& defaults,
                      bool synthetic_options, const DataOpener& open_data, Communicator& comm,
                      StartupWatchdog& startup) {
  startup.waiting_for("the placement of the ranks");
  const Placement placement = place_ranks(comm);
  startup.working();
  if (comm.size() > 1) say("%s on %s\n", comm.describe().c_str(), placement.ranks_by_host.c_str());
  Setup setup = set_up(argc, argv, defaults, synthetic_options, open_data, comm);
  startup.waiting_for("the ranks' agreement on the set-up");
  agree_on_setup(program, setup, comm);
  if (setup.action == "help" || setup.action == "summary") return 0;
  const TrainOptions options = *setup.parsed;
  startup.waiting_for("the GPU communicator's initialisation");
  const std::unique_ptr<Communicator> device_comm = prepare_device(options, setup, placement.threads_per_rank, comm);
  Communicator& train_comm = device_comm ? *device_comm : comm;
  SampleSource* train = setup.data.train.get();
  startup.waiting_for("the start broadcast of the parameters");
  Trainer trainer(options, *setup.model, train ? *train : *setup.data.val, setup.data.val.get(), train_comm);
  startup.waiting_for("the broadcast of the checkpoint to resume from");
  if (setup.action != "evaluate") resume_if_asked(trainer, options, comm);
  startup.done();
  if (setup.action == "evaluate") return evaluate_checkpoint(trainer, options);
  return trainer.run();
}

}  // namespace

int run_training_program(const char* program, int argc, const char* const* argv, const TrainOptions& defaults,
                         bool synthetic_options, const DataOpener& open_data) {
  install_crash_report(program);
  start_stop_signal_thread();  // before MPI, OpenMP or the loader start threads
  // Armed before MPI starts: a rank that never starts must not leave the others waiting in MPI_Init.
  StartupWatchdog startup(startup_timeout_from(argc, argv, defaults.startup_timeout), program);
  std::unique_ptr<Communicator> comm;
  try {
    startup.waiting_for("MPI_Init (every rank of the job to start)");
    comm = make_communicator();
    startup.working();
  } catch (const std::exception& e) {
    std::cerr << program << ": error: cannot start MPI: " << e.what() << "\n";
    return 1;
  }
  set_console_rank(comm->rank(), comm->size());
  if (comm->size() > 1) install_crash_report((std::string(program) + " rank " + std::to_string(comm->rank())).c_str());
  try {
    return train_or_evaluate(program, argc, argv, defaults, synthetic_options, open_data, *comm, startup);
  } catch (const JobError& e) {
    // Every rank reached this error alike: rank 0 tells, every rank exits 1.
    if (console_is_root()) std::cerr << program << ": error: " << e.message() << "\n";
    return 1;
  } catch (const Error& e) {
    std::cerr << program << ": " << rank_prefix() << "error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << program << ": " << rank_prefix() << "internal error: " << e.what() << "\n";
  }
  // An error on this rank alone: the others cannot go on without it.
  if (comm->size() > 1) comm->abort(1);
  return 1;
}

}  // namespace convoy
