#include "core/crash_report.h"

#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

namespace convoy {

namespace {

char program_name[128] = "convoy";  // a copy: the handler must not read freed memory
std::atomic<bool> reported{false};

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int kSignalSlots = 65;
// The handler each signal had before ours (SIG_DFL, or a sanitizer's): it
// gets the signal after the report.
struct sigaction previous_actions[kSignalSlots];

// Only async-signal-safe calls from here on: write(2), not stdio.
void write_text(const char* text) {
  size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t written = ::write(STDERR_FILENO, text, left);
    if (written <= 0) return;
    text += written;
    left -= static_cast<size_t>(written);
  }
}

void write_number(unsigned long value, int base) {
  char digits[32];
  int at = sizeof digits - 1;
  digits[at] = '\0';
  do {
    digits[--at] = "0123456789abcdef"[value % base];
    value /= base;
  } while (value > 0 && at > 0);
  write_text(digits + at);
}

void on_fatal_signal(int signal, siginfo_t* info, void*) {
  // A second fatal signal while reporting (a fault inside backtrace) dies at once.
  if (!reported.exchange(true)) {
    write_text("\n");
    write_text(program_name);
    write_text(": fatal signal ");
    write_number(static_cast<unsigned long>(signal), 10);
    write_text(" (");
    write_text(sigdescr_np(signal) ? sigdescr_np(signal) : "unknown");
    write_text(")");
    const bool fault = info != nullptr && info->si_code > 0;  // raised by the kernel, not sent by a process
    if (fault && (signal == SIGSEGV || signal == SIGBUS || signal == SIGFPE || signal == SIGILL)) {
      write_text(" at address 0x");
      write_number(reinterpret_cast<unsigned long>(info->si_addr), 16);
    }
    write_text(" in process ");
    write_number(static_cast<unsigned long>(::getpid()), 10);
    write_text("; backtrace, innermost first (addr2line -Cfpe BINARY OFFSET names the line):\n");
    void* frames[64];
    const int count = backtrace(frames, 64);
    backtrace_symbols_fd(frames, count, STDERR_FILENO);
  }
  // Then the handler that was there before (SIG_DFL: the process dies of the
  // signal, as it would have; a sanitizer's: its own report). A fault the
  // kernel raised happens again on return, now with that handler and the
  // same details; a signal a process sent is sent again.
  if (signal > 0 && signal < kSignalSlots) sigaction(signal, &previous_actions[signal], nullptr);
  if (info == nullptr || info->si_code <= 0) ::raise(signal);
}

}  // namespace

void install_crash_report(const char* program) {
  std::snprintf(program_name, sizeof program_name, "%s", program);
  static const bool installed = [] {
    // backtrace() loads libgcc's unwinder on its first call: do that now, not
    // inside the handler, where loading a library is not safe.
    void* warm[1];
    backtrace(warm, 1);
    // Its own stack, so that a stack overflow can still be reported.
    static char alternate_stack[64 * 1024];
    stack_t stack{};
    stack.ss_sp = alternate_stack;
    stack.ss_size = sizeof alternate_stack;
    sigaltstack(&stack, nullptr);
    struct sigaction action {};
    action.sa_sigaction = on_fatal_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (int signal : kFatalSignals) sigaction(signal, &action, &previous_actions[signal]);
    return true;
  }();
  (void)installed;
}

}  // namespace convoy
