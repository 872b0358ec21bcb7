// --device resolution, --precision and --conv-algorithms parsing. The expectations branch on
// whether this machine has a usable GPU, so the file holds on both kinds.
#include <gtest/gtest.h>

#include <string>

#include "backend/device_choice.h"
#include "core/error.h"

namespace convoy {
namespace {

// The message of the user error `body` throws ("" if it throws none).
template <typename Body>
std::string user_error_of(Body body) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_TRUE(e.is_user_error()) << e.what();
    return e.message();
  }
  return "";
}

TEST(DeviceChoice, CpuIsTheCpuOnEveryMachine) {
  const DeviceChoice choice = choose_device("cpu", 3);
  EXPECT_EQ(choice.device, Device::kCPU);
  EXPECT_EQ(choice.note, "");
}

TEST(DeviceChoice, AutoTakesAGpuWhenThereIsOneAndSaysWhyNotOtherwise) {
  std::string why, brief;
  const int gpus = usable_cuda_devices(&why, &brief);
  const DeviceChoice choice = choose_device("auto", 5);
  if (gpus == 0) {
    EXPECT_EQ(choice.device, Device::kCPU);
    EXPECT_EQ(choice.note, "no usable GPU (" + brief + "): training on the CPU");
    EXPECT_FALSE(brief.empty());
    EXPECT_NE(why.find(brief), std::string::npos) << why;
    // Printed on every CPU run: plain words, no error codes that log scanners would flag.
    EXPECT_EQ(choice.note.find("rror"), std::string::npos) << choice.note;
  } else {
    EXPECT_EQ(choice.device, Device::cuda(5 % gpus));
    EXPECT_EQ(choice.note, "");
  }
}

TEST(DeviceChoice, CudaTakesTheLocalRankModTheVisibleGpus) {
  std::string why;
  const int gpus = usable_cuda_devices(&why);
  if (gpus == 0) {
    const std::string error = user_error_of([] { choose_device("cuda", 0); });
    EXPECT_EQ(error, "--device cuda: " + why + " (use --device cpu)");
    return;
  }
  for (int local_rank = 0; local_rank < 2 * gpus + 1; ++local_rank)
    EXPECT_EQ(choose_device("cuda", local_rank).device, Device::cuda(local_rank % gpus)) << local_rank;
}

TEST(DeviceChoice, AnAbsentGpuIndexIsAUserErrorNamingTheOption) {
  std::string why;
  const int gpus = usable_cuda_devices(&why);
  const std::string error = user_error_of([] { choose_device("cuda:57", 0); });
  if (gpus == 0)
    EXPECT_EQ(error, "--device cuda:57: " + why + " (use --device cpu)");
  else
    EXPECT_NE(error.find("--device cuda:57: there is no CUDA device 57"), std::string::npos) << error;
  EXPECT_NE(user_error_of([] { choose_device("gpu0", 0); }).find("'gpu0' is not a device"), std::string::npos);
}

TEST(DeviceRequest, TheFourFormsReadOnceAndWriteBackAsWritten) {
  using Kind = DeviceRequest::Kind;
  EXPECT_EQ(DeviceRequest::parse("auto"), (DeviceRequest{Kind::kAuto, 0}));
  EXPECT_EQ(DeviceRequest::parse("cpu"), (DeviceRequest{Kind::kCpu, 0}));
  EXPECT_EQ(DeviceRequest::parse("cuda"), (DeviceRequest{Kind::kLocalGpu, 0}));
  EXPECT_EQ(DeviceRequest::parse("cuda:3"), (DeviceRequest{Kind::kGpu, 3}));
  for (const char* text : {"auto", "cpu", "cuda", "cuda:0", "cuda:12"})
    EXPECT_EQ(DeviceRequest::parse(text).to_string(), text);
  for (const char* bad : {"gpu", "cuda:", "cuda:-1", "CPU", ""})
    EXPECT_EQ(user_error_of([bad] { DeviceRequest::parse(bad); }),
              std::string("--device '") + bad + "' is not a device: use auto, cpu, cuda or cuda:N");
}

TEST(Precision, Fp32Tf32AndBf16AreKnownAndAnythingElseIsNamed) {
  for (const char* name : {"fp32", "tf32", "bf16"})
    EXPECT_STREQ(name_of(parse_named<Precision>(name, "--precision")), name);
  EXPECT_EQ(parse_named<Precision>("bf16", "--precision"), Precision::kBf16);
  EXPECT_EQ(user_error_of([] { parse_named<Precision>("fp16", "--precision"); }),
            "unknown --precision 'fp16': expected fp32, tf32 or bf16");
}

TEST(ConvAlgorithms, MeasuredOrHeuristicAndAnythingElseIsNamed) {
  EXPECT_EQ(parse_named<ConvAlgorithms>("measured", "--conv-algorithms"), ConvAlgorithms::kMeasured);
  EXPECT_EQ(parse_named<ConvAlgorithms>("heuristic", "--conv-algorithms"), ConvAlgorithms::kHeuristic);
  EXPECT_EQ(user_error_of([] { parse_named<ConvAlgorithms>("fastest", "--conv-algorithms"); }),
            "unknown --conv-algorithms 'fastest': expected measured or heuristic");
}

}  // namespace
}  // namespace convoy
