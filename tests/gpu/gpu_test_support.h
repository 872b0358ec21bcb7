// What the GPU tests share: the visible skip where there is no GPU, and the
// crash report.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "backend/cuda/cuda_device.h"
#include "core/crash_report.h"

// On a GPU machine with no debugger, a test that crashes prints its backtrace.
inline const bool gpu_tests_report_crashes = (::convoy::install_crash_report("cuda_tests"), true);

// Skips the test, with the runtime's reason, on a machine without a GPU.
#define CONVOY_REQUIRE_GPU()                                              \
  do {                                                                    \
    std::string why;                                                      \
    if (::convoy::cuda::device_count(&why) == 0) GTEST_SKIP() << "no GPU: " << why; \
  } while (false)
