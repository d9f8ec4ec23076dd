#include "common/reproducible.hpp"

#include <armadillo>

// OpenBLAS's own function; declared weak so the program still links and runs when the
// BLAS behind Armadillo is another one (then the pointer is null and we skip it).
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace nn {

bool set_blas_threads(int n) {
  if (openblas_set_num_threads == nullptr) return false;
  openblas_set_num_threads(n);
  return true;
}

void make_reproducible(unsigned seed) {
  arma::arma_rng::set_seed(seed);
  set_blas_threads(1);
}

}  // namespace nn
