#include "core/threads.h"

#include <omp.h>

namespace convoy {

void set_compute_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

int compute_threads() { return omp_get_max_threads(); }

}  // namespace convoy
