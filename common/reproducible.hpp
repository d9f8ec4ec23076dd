// reproducible.hpp: the same command gives the same numbers.
//
// Two things vary between runs unless fixed: the random numbers (fixed by a seed) and
// the order in which a multi-threaded BLAS adds up partial sums (floating-point addition
// is not associative, so the last bits can change). make_reproducible fixes both.
#pragma once

namespace nn {

// Seeds Armadillo's random number generator (arma::randu, randn, randi, shuffle) and
// asks OpenBLAS, when it is the BLAS in use, to run on one thread.
void make_reproducible(unsigned seed);

// Sets the number of OpenBLAS threads (for the benchmark, which measures 1 and 2);
// returns false when the BLAS in use is not OpenBLAS.
bool set_blas_threads(int n);

}  // namespace nn
