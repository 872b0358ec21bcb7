// What train_lenet and train_alexnet share after their data differs: options,
// --summary, --evaluate, --resume, the Trainer, and one clear error line.
#pragma once

#include <functional>
#include <memory>

#include "data_pipeline/sample_source.h"
#include "launch/train_options.h"

namespace convoy {

struct TrainingData {
  std::unique_ptr<SampleSource> train;  // may be null with --evaluate
  std::unique_ptr<SampleSource> val;    // may be null: no evaluation
};

using DataOpener = std::function<TrainingData(TrainOptions&)>;

// Parses options over `defaults`, then runs. Returns the process exit code;
// errors are printed as "<program>: error: <reason>".
int run_training_program(const char* program, int argc, const char* const* argv,
                         const TrainOptions& defaults, bool synthetic_options,
                         const DataOpener& open_data);

// Calls body, turning any exception into one line on stderr and exit code 1.
int run_guarded(const char* program, const std::function<int()>& body);

}  // namespace convoy
