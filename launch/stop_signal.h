// SIGINT/SIGTERM/SIGUSR1 handling for training: the first signal asks the
// loop to finish its step, write a checkpoint and exit cleanly (a cluster
// scheduler's preemption loses at most one step); a second one ends the
// process at once. SIGUSR1 is there for mpirun: it forwards SIGUSR1 to the
// ranks and then waits for them, while on SIGTERM it tears the job down
// itself (after odls_base_sigkill_timeout) and exits 1 whatever the ranks did.
#pragma once

namespace convoy {

void install_stop_handlers();
// The signal that asked to stop, or 0.
int stop_requested();
// Forgets a stop request (tests; a program stops once).
void clear_stop_request();
const char* signal_name(int signal_number);

}  // namespace convoy
