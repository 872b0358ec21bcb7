// convoy does not link cuBLAS: it opens libcublas.so.<major> when a GPU first
// calls it (cublas_on_demand.cpp says why).
#pragma once

#include <string>

namespace convoy::cuda {

// Whether libcublas can be opened here; if not, why (in *why).
bool cublas_loads(std::string* why);

}  // namespace convoy::cuda
