#include "launch/train_program.h"

#include <cstdio>
#include <iostream>

#include "core/error.h"
#include "core/threads.h"
#include "io/checkpoint.h"
#include "launch/trainer.h"
#include "models/registry.h"
#include "nn/summary.h"

namespace convoy {

int run_guarded(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << program << ": internal error: " << e.what() << "\n";
  }
  return 1;
}

int run_training_program(const char* program, int argc, const char* const* argv,
                         const TrainOptions& defaults, bool synthetic_options,
                         const DataOpener& open_data) {
  return run_guarded(program, [&] {
    std::optional<TrainOptions> parsed = parse_train_options(argc, argv, defaults, synthetic_options);
    if (!parsed) return 0;
    TrainOptions options = *parsed;
    set_compute_threads(options.threads);

    const models::ModelSpec spec{options.model, options.num_classes, options.input_size};
    if (options.summary) {
      auto model = models::make_model(spec);
      print_summary(std::cout, *model, models::model_input_shape(spec));
      return 0;
    }

    TrainingData data = open_data(options);
    models::ModelSpec data_spec = spec;
    const SampleSource* shape_source = data.train ? data.train.get() : data.val.get();
    CONVOY_CHECK(shape_source, "no data was opened");
    const Shape sample = shape_source->sample_shape();
    const Shape expected = models::model_input_shape(spec);
    if (!options.input_size && (sample[1] != expected[2] || sample[2] != expected[3]))
      CONVOY_USER_ERROR("the data holds ", sample[1], "x", sample[2], " images but ", options.model,
                        " expects ", expected[2], "x", expected[3], " (set --input-size)");
    if (!options.num_classes) data_spec.num_classes = shape_source->num_classes();
    auto model = models::make_model(data_spec);

    SampleSource* train = data.train.get();
    Trainer trainer(options, *model, train ? *train : *data.val, data.val.get());
    if (!options.evaluate.empty()) {
      if (!data.val) CONVOY_USER_ERROR("--evaluate needs test data (--val)");
      trainer.load(options.evaluate, false);
      const EvalResult r = trainer.evaluate();
      std::printf("%s: %lld test images, loss %.4f, top-1 accuracy %.2f%%, top-5 accuracy %.2f%%\n",
                  options.evaluate.c_str(), static_cast<long long>(r.count), r.loss, 100.0 * r.top1,
                  100.0 * r.top5);
      return 0;
    }
    if (!options.resume.empty()) {
      std::string path = options.resume;
      if (path == "auto") {
        if (options.checkpoint_dir.empty()) CONVOY_USER_ERROR("--resume auto needs --checkpoint-dir");
        const auto latest = find_latest_checkpoint(options.checkpoint_dir);
        path = latest.value_or("");
        if (path.empty())
          std::printf("no checkpoint in %s yet: starting from scratch\n", options.checkpoint_dir.c_str());
      }
      if (!path.empty()) {
        trainer.load(path, true);
        std::printf("resumed from %s at step %lld\n", path.c_str(),
                    static_cast<long long>(trainer.global_step()));
      }
    }
    if (!train) CONVOY_USER_ERROR("no training data");
    return trainer.run();
  });
}

}  // namespace convoy
