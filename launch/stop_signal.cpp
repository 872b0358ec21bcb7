#include "launch/stop_signal.h"

#include <atomic>
#include <csignal>

namespace convoy {

namespace {
std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int signal_number) {
  g_stop_signal.store(signal_number);
  std::signal(signal_number, SIG_DFL);  // a second signal ends the process
}
}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
}

int stop_requested() { return g_stop_signal.load(); }

void clear_stop_request() { g_stop_signal.store(0); }

const char* signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    default: return "a signal";
  }
}

}  // namespace convoy
