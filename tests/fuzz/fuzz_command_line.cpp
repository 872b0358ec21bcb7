// The trainers' command-line parser (Boost.Program_options and our checks)
// on hostile arguments: the input split at NUL bytes is argv[1..]; the first
// byte chooses train_lenet's or train_alexnet's option set.
#include <string>
#include <vector>

#include "formats/json_text.h"
#include "launch/trainer/train_options.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool image_options = data[0] & 1;
  std::vector<std::string> args{image_options ? "train_alexnet" : "train_lenet"};
  std::string current;
  for (size_t i = 1; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  if (!current.empty()) args.push_back(current);
  if (args.size() > 64) return 0;
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  convoy::TrainOptions defaults;
  defaults.model = image_options ? "alexnet" : "lenet5";
  convoy::fuzz::expect_only_user_errors([&] {
    const auto parsed = convoy::parse_train_options(static_cast<int>(argv.size()), argv.data(), defaults, image_options,
                                                    /*show_help=*/false);
    if (parsed && (parsed->batch_size < 1 || parsed->epochs < 1 || parsed->accumulate_steps < 1)) std::abort();
    if (parsed) (void)convoy::json_text(parsed->to_json());  // as checkpoints record them
  });
  return 0;
}
