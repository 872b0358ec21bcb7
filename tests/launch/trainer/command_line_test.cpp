// The trainers' command line: bad input is a user error naming the option,
// whatever bytes it holds.
#include "launch/trainer/command_line.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"
#include "launch/trainer/train_options.h"

namespace convoy {
namespace {

std::string parse_error(std::vector<const char*> args) {
  args.insert(args.begin(), "train_lenet");
  TrainOptions defaults;
  defaults.model = "lenet5";
  try {
    parse_train_options(static_cast<int>(args.size()), args.data(), defaults, false, false);
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_user_error()) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(CommandLine, BadValuesNameTheOption) {
  EXPECT_NE(parse_error({"--bucket-mb", "lots"}).find("--bucket-mb"), std::string::npos);
  EXPECT_NE(parse_error({"--no-such-option"}).find("no-such-option"), std::string::npos);
  EXPECT_NE(parse_error({"--anomaly", "ignore"}).find("--anomaly"), std::string::npos);
  EXPECT_NE(parse_error({"--conv-algorithms", "fastest"}).find("--conv-algorithms"), std::string::npos);
  EXPECT_NE(parse_error({"--precision", "fp16"}).find("--precision"), std::string::npos);
}

TEST(CommandLine, AValueHoldingBoostsPlaceholderDoesNotHang) {
  // Boost 1.74 substituted "%value%" into its message forever when the value
  // held "%value%" (found by fuzz_command_line; a hang before the fix).
  EXPECT_NE(parse_error({"--bucket-mb", "5%value%"}).find("bucket-mb"), std::string::npos);
  EXPECT_NE(parse_error({"--%canonical_option%"}).find("%canonical_option%"), std::string::npos);
}

}  // namespace
}  // namespace convoy

namespace convoy {
namespace {

TEST(CommandLine, DefaultsPrintAsAPersonWritesThem) {
  EXPECT_EQ(shortest_text(0.9), "0.9");
  EXPECT_EQ(shortest_text(0.0005), "0.0005");
  EXPECT_EQ(shortest_text(5e-5), "5e-5");
  EXPECT_EQ(shortest_text(0.1), "0.1");
  EXPECT_EQ(shortest_text(600), "600");
  EXPECT_EQ(shortest_text(1e-30), "1e-30");
  EXPECT_EQ(shortest_text(2.5e10), "2.5e+10");

  double momentum = 0.9;
  int64_t epochs = 90;
  namespace po = boost::program_options;
  po::options_description options;
  options.add_options()("momentum", option_value(&momentum), "")("epochs", option_value(&epochs), "");
  std::ostringstream help;
  help << options;
  EXPECT_NE(help.str().find("(=0.9)"), std::string::npos) << help.str();
  EXPECT_NE(help.str().find("(=90)"), std::string::npos) << help.str();
}

}  // namespace
}  // namespace convoy

namespace convoy {
namespace {

std::optional<TrainOptions> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "train_alexnet");
  TrainOptions defaults;
  defaults.model = "alexnet";
  return parse_train_options(static_cast<int>(args.size()), args.data(), defaults, true, false);
}

TEST(CommandLine, ChoicesAreParsedOnceIntoTheirEnums) {
  const std::optional<TrainOptions> o =
      parse({"--pca", "image", "--cache-in-memory", "off", "--lr-schedule", "multistep", "--init", "kaiming",
             "--lr-scaling", "linear", "--grad-compression", "bf16", "--precision", "tf32", "--conv-algorithms",
             "heuristic", "--anomaly", "skip"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->pca, PcaMode::kImage);
  EXPECT_EQ(o->cache_in_memory, CacheMode::kOff);
  EXPECT_EQ(o->lr_schedule, LrScheduleKind::kMultistep);
  EXPECT_EQ(o->init, InitScheme::kKaiming);
  EXPECT_EQ(o->lr_scaling, LrScaling::kLinear);
  EXPECT_EQ(o->grad_compression, GradCompression::kBf16);
  EXPECT_EQ(o->precision, Precision::kTf32);
  EXPECT_EQ(o->conv_algorithms, ConvAlgorithms::kHeuristic);
  EXPECT_EQ(o->anomaly, AnomalyAction::kSkip);
  // The options JSON (metrics, checkpoints, the ranks' agreement) names them as the command line does.
  const nlohmann::json json = o->to_json();
  EXPECT_EQ(json["pca"], "image");
  EXPECT_EQ(json["cache_in_memory"], "off");
  EXPECT_EQ(json["lr_schedule"], "multistep");
  EXPECT_EQ(json["init"], "kaiming");
  EXPECT_EQ(json["lr_scaling"], "linear");
  EXPECT_EQ(json["grad_compression"], "bf16");
  EXPECT_EQ(json["precision"], "tf32");
  EXPECT_EQ(json["conv_algorithms"], "heuristic");
  EXPECT_EQ(json["anomaly"], "skip");
}

TEST(CommandLine, AWordThatNamesNoChoiceIsAnErrorListingTheChoices) {
  EXPECT_EQ(parse_error({"--anomaly", "ignore"}),
            "unknown --anomaly 'ignore': expected stop or skip (see --help)");
  EXPECT_EQ(parse_error({"--lr-schedule", "linear"}),
            "unknown --lr-schedule 'linear': expected constant, step, multistep, cosine or plateau (see --help)");
  EXPECT_EQ(parse_error({"--grad-compression", "fp16"}),
            "unknown --grad-compression 'fp16': expected none or bf16 (see --help)");
  EXPECT_EQ(parse_error({"--init", "Xavier"}), "unknown --init 'Xavier': expected paper, xavier or kaiming (see --help)");
}

TEST(CommandLine, AnEnumsDefaultPrintsByName) {
  PcaMode pca = PcaMode::kDataset;
  namespace po = boost::program_options;
  po::options_description options;
  options.add_options()("pca", option_value(&pca), "");
  std::ostringstream help;
  help << options;
  EXPECT_NE(help.str().find("(=dataset)"), std::string::npos) << help.str();
}

TEST(NamedValues, EveryValueOfEveryOptionEnumReadsBackFromItsName) {
  const auto round_trip = [](auto value, const char* option) {
    using E = decltype(value);
    for (const NamedValue<E>& entry : named_values(value)) {
      EXPECT_EQ(parse_named<E>(entry.name, option), entry.value) << option << " " << entry.name;
      EXPECT_STREQ(name_of(entry.value), entry.name);
    }
  };
  round_trip(PcaMode{}, "--pca");
  round_trip(CacheMode{}, "--cache-in-memory");
  round_trip(LrScheduleKind{}, "--lr-schedule");
  round_trip(InitScheme{}, "--init");
  round_trip(LrScaling{}, "--lr-scaling");
  round_trip(GradCompression{}, "--grad-compression");
  round_trip(Precision{}, "--precision");
  round_trip(ConvAlgorithms{}, "--conv-algorithms");
  round_trip(AnomalyAction{}, "--anomaly");
  EXPECT_EQ(names_of<CacheMode>(), "auto, on or off");
  EXPECT_EQ(names_of<AnomalyAction>(), "stop or skip");
}

}  // namespace
}  // namespace convoy
