// This process's resident memory, for metrics and the soak test.
#pragma once

namespace convoy {

// Resident set size in MiB (from /proc/self/statm); 0 where unavailable.
double resident_memory_mb();

}  // namespace convoy
