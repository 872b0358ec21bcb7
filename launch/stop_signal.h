// SIGINT/SIGTERM handling for training: the first signal asks the loop to
// finish its step, write a checkpoint and exit cleanly (a cluster scheduler's
// preemption loses at most one step); a second one ends the process at once.
#pragma once

namespace convoy {

void install_stop_handlers();
// The signal that asked to stop, or 0.
int stop_requested();
// Forgets a stop request (tests; a program stops once).
void clear_stop_request();
const char* signal_name(int signal_number);

}  // namespace convoy
