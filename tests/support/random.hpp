// random.hpp: test data drawn from a seeded generator, the same on every run.
#pragma once

#include <armadillo>
#include <random>

namespace nn::test {

// A (rows x cols) matrix of independent N(0, sd^2) entries, filled column by column.
inline arma::mat random_matrix(arma::uword rows, arma::uword cols, double sd,
                               std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, sd);
  arma::mat M(rows, cols);
  for (arma::uword i = 0; i < M.n_elem; ++i) M(i) = normal(rng);
  return M;
}

}  // namespace nn::test
