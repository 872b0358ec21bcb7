#include "launch/trainer/stop_signal.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <thread>

#include "core/error.h"

namespace convoy {

namespace {
std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_accepting{false};  // install_stop_handlers() was called
std::atomic<bool> g_thread_started{false};

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&set, s);
  return set;
}

// Ends the process the way the signal would have without a handler.
[[noreturn]] void die_of(int signal_number) {
  std::signal(signal_number, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signal_number);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  raise(signal_number);
  _exit(128 + signal_number);  // not reached
}

extern "C" void on_stop_signal(int signal_number) {
  g_stop_signal.store(signal_number);
  std::signal(signal_number, SIG_DFL);  // a second signal ends the process
}

void receive_stop_signals() {
  const sigset_t set = stop_signals();
  while (true) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0) continue;
    if (!g_accepting.load() || g_stop_signal.load() != 0) die_of(signal_number);
    g_stop_signal.store(signal_number);
  }
}
}  // namespace

void start_stop_signal_thread() {
  if (g_thread_started.exchange(true)) return;
  const sigset_t set = stop_signals();
  const int code = pthread_sigmask(SIG_BLOCK, &set, nullptr);
  CONVOY_CHECK(code == 0, "pthread_sigmask failed: ", std::strerror(code));
  std::thread(receive_stop_signals).detach();
}

void install_stop_handlers() {
  g_accepting.store(true);
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
