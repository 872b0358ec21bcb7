// SIGINT/SIGTERM/SIGUSR1 handling for training: the first signal asks the
// loop to finish its step, write a checkpoint and exit cleanly (a cluster
// scheduler's preemption loses at most one step); a second one ends the
// process at once. SIGUSR1 is there for mpirun: it forwards SIGUSR1 to the
// ranks and then waits for them, while on SIGTERM it tears the job down
// itself (after odls_base_sigkill_timeout) and exits 1 whatever the ranks did.
//
// The signals are received by a thread of their own (sigwait), never by a
// compute thread: oneDNN 2.x's JIT GEMM kernels (the fully connected layers)
// run with the stack pointer inside a heap buffer, so a signal handled on
// such a thread writes its frame into the heap and corrupts it (oneDNN issue
// #4845, fixed in oneDNN 3.11; Debian 12 ships 2.6). A program therefore
// blocks the signals before it starts any thread, and every thread started
// later inherits the block.
#pragma once

namespace convoy {

// Call first in main, before any other thread starts: blocks the stop
// signals in this thread (threads started later inherit it) and starts the
// thread that receives them. Until install_stop_handlers() a stop signal ends
// the process at once, as without a handler. Once per process.
void start_stop_signal_thread();
// From now on the first stop signal asks the training loop to stop and a
// second one ends the process. Also installs a handler for the signals, for
// threads that do not block them (a program that did not call
// start_stop_signal_thread first, such as a test).
void install_stop_handlers();
// The signal that asked to stop, or 0.
int stop_requested();
// Forgets a stop request (tests; a program stops once).
void clear_stop_request();
const char* signal_name(int signal_number);

}  // namespace convoy
