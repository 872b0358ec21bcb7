// What the GPU tests share: the visible skip where there is no GPU.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "backend/cuda/cuda_device.h"

// Skips the test, with the runtime's reason, on a machine without a GPU.
#define CONVOY_REQUIRE_GPU()                                              \
  do {                                                                    \
    std::string why;                                                      \
    if (::convoy::cuda::device_count(&why) == 0) GTEST_SKIP() << "no GPU: " << why; \
  } while (false)
