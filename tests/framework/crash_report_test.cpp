// The crash report: a process that dies of a fatal signal names the signal and
// prints its backtrace first, and still dies as it would have.
#include "core/crash_report.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>

namespace {

// Not inlined, so that the backtrace has a frame of its own. The address is
// not null, so that UBSan (the sanitizer build) lets the store fault.
[[gnu::noinline]] void fault_in_a_named_function() {
  volatile int* volatile nowhere = reinterpret_cast<volatile int*>(std::uintptr_t{16});
  *nowhere = 1;
}

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer's handler was there first: the fault goes to it after the
// report, and it exits with its exit code, 1.
const auto kDiesOfTheFault = testing::ExitedWithCode(1);
#else
const auto kDiesOfTheFault = testing::KilledBySignal(SIGSEGV);
#endif

TEST(CrashReportDeathTest, ASegmentationFaultIsReportedWithItsBacktraceAndStillKills) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        convoy::install_crash_report("crash_test");
        fault_in_a_named_function();
      },
      kDiesOfTheFault,
      // A frame of this program, as "path/framework_tests(+0x...)".
      "crash_test: fatal signal 11 \\(Segmentation fault\\) at address 0x10 in process [0-9]+; "
      "backtrace, innermost first.*\n[^\n]*framework_tests\\(");
}

TEST(CrashReportDeathTest, AnAbortIsReportedAndStillKills) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        convoy::install_crash_report("crash_test");
        std::abort();
      },
      testing::KilledBySignal(SIGABRT), "crash_test: fatal signal 6 \\(Aborted\\) in process [0-9]+; backtrace");
}

}  // namespace
