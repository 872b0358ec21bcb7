#include "core/memory.h"

#include <unistd.h>

#include <cstdio>

namespace convoy {

double resident_memory_mb() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0.0;
  long total = 0, resident = 0;
  const int read = std::fscanf(f, "%ld %ld", &total, &resident);
  std::fclose(f);
  if (read != 2) return 0.0;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

}  // namespace convoy
