// main() of the tests that run under mpirun: one communicator for the whole
// run, rank 0 prints the usual GoogleTest output, the other ranks print only
// their failures (prefixed with their rank), and every rank exits non-zero
// when any rank failed.
#include <gtest/gtest.h>

#include <cstdio>

#include "core/threads.h"
#include "distributed/job_setup.h"
#include "launch/trainer/console.h"
#include "tests/distributed/mpi_test_support.h"

namespace convoy::testing {

Communicator* g_comm = nullptr;
Communicator& world() { return *g_comm; }

namespace {
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "rank %d: %s:%d: failure\n%s\n", rank_, result.file_name() ? result.file_name() : "?",
                 result.line_number(), result.summary());
  }

 private:
  int rank_;
};
}  // namespace

}  // namespace convoy::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  auto comm = convoy::make_communicator();
  convoy::testing::g_comm = comm.get();
  convoy::set_console_rank(comm->rank(), comm->size());
  convoy::set_compute_threads(convoy::place_ranks(*comm).threads_per_rank);
  if (comm->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new convoy::testing::RankFailurePrinter(comm->rank()));
  }
  const int failed = RUN_ALL_TESTS();
  int any_failed = 0;
  for (const int f : convoy::all_gather_values(*comm, failed, "test results")) any_failed |= f;
  comm.reset();  // MPI_Finalize
  return any_failed;
}
