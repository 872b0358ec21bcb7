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
