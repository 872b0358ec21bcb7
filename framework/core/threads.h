// The number of worker threads the compute engine (OpenMP, under oneDNN) uses.
#pragma once

namespace convoy {

// threads <= 0 keeps the default (OMP_NUM_THREADS, or one per core).
void set_compute_threads(int threads);
int compute_threads();

}  // namespace convoy
