#include "launch/trainer/console.h"

#include <cstdarg>
#include <cstdio>

namespace convoy {

namespace {
int g_rank = 0, g_size = 1;
}

void set_console_rank(int rank, int size) {
  g_rank = rank;
  g_size = size;
}

bool console_is_root() { return g_rank == 0; }

std::string rank_prefix() { return g_size > 1 ? "rank " + std::to_string(g_rank) + ": " : ""; }

void say(const char* format, ...) {
  if (g_rank != 0) return;
  va_list args;
  va_start(args, format);
  std::vprintf(format, args);
  va_end(args);
  std::fflush(stdout);
}

void warn(const std::string& message) {
  std::fprintf(stderr, "%swarning: %s\n", rank_prefix().c_str(), message.c_str());
  std::fflush(stderr);
}

}  // namespace convoy
