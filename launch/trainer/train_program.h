// What train_lenet and train_alexnet share after their data differs: the
// communicator (MPI under mpirun, else one process), options, the agreement
// of all ranks, --summary, --evaluate, --resume, the Trainer, and how errors
// end the job: an error every rank reaches alike is printed once by rank 0
// and every rank exits 1; an error on one rank is printed with its rank and
// ends the whole job (MPI_Abort), so nothing hangs.
#pragma once

#include <functional>
#include <memory>

#include "data_pipeline/sample_source.h"
#include "distributed/communicator.h"
#include "launch/trainer/train_options.h"

namespace convoy {

struct TrainingData {
  std::unique_ptr<SampleSource> train;  // may be null with --evaluate
  std::unique_ptr<SampleSource> val;    // may be null: no evaluation
};

using DataOpener = std::function<TrainingData(TrainOptions&, const Communicator&)>;

// Parses options over `defaults`, then runs. Returns the process exit code;
// errors are printed as "<program>: error: <reason>".
int run_training_program(const char* program, int argc, const char* const* argv,
                         const TrainOptions& defaults, bool synthetic_options,
                         const DataOpener& open_data);

// Calls body, turning any exception into one line on stderr and exit code 1;
// a fatal signal prints a backtrace first (core/crash_report.h).
int run_guarded(const char* program, const std::function<int()>& body);

}  // namespace convoy
