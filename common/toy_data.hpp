// toy_data.hpp: small data sets the chapters learn from, each seeded.
//
// Classification, 2-D and balanced: X is (2 x N), one sample per column; t holds each
// sample's target, its class 0..K-1 (a Dataset).
//   logic_gate(Gate::XOR)       the four corners of the unit square, labelled by a gate
//   blobs(n, centres, sd, seed) a Gaussian blob of n points around each centre
//   moons(n, noise, seed)       two interleaving half circles
//   circles(n, noise, seed)     a ring around a disc
//   spiral(n, K, noise, seed)   K arms winding out from the origin
//
// Regression, 1-D: X is (1 x N); T (1 x N) holds each sample's target, a real number (a
// RegressionDataset).
//   noisy_sine(n, lo, hi, noise, seed)  t = sin(x) + Gaussian noise, x uniform in [lo, hi]
#pragma once

#include <armadillo>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nn {

struct Dataset {
  arma::mat X;   // (features x N), N samples
  arma::uvec t;  // (N): the targets, class labels 0..K-1
  std::vector<std::string> class_names;

  arma::uword size() const { return X.n_cols; }
  arma::uword n_classes() const { return class_names.size(); }
};

enum class Gate { AND, OR, XOR };

inline std::string to_string(Gate gate) {
  return gate == Gate::AND ? "AND" : gate == Gate::OR ? "OR" : "XOR";
}

// The truth table of a 2-input gate: (0,0), (0,1), (1,0), (1,1) with their outputs.
inline Dataset logic_gate(Gate gate) {
  Dataset d;
  d.X = {{0, 0, 1, 1}, {0, 1, 0, 1}};
  switch (gate) {
    case Gate::AND: d.t = {0, 0, 0, 1}; break;
    case Gate::OR: d.t = {0, 1, 1, 1}; break;
    case Gate::XOR: d.t = {0, 1, 1, 0}; break;
  }
  d.class_names = {"0", "1"};
  return d;
}

namespace detail {
inline void require_positive(arma::uword n, const char* who) {
  if (n == 0) throw std::invalid_argument(std::string(who) + ": need at least one sample");
}
}  // namespace detail

// n_per_class points around each column of centres (2 x K), with standard deviation sd.
inline Dataset blobs(arma::uword n_per_class, const arma::mat& centres, double sd,
                     unsigned seed) {
  detail::require_positive(n_per_class, "blobs");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, sd);
  const arma::uword K = centres.n_cols;
  Dataset d;
  d.X.set_size(2, n_per_class * K);
  d.t.set_size(n_per_class * K);
  for (arma::uword k = 0; k < K; ++k) {
    d.class_names.push_back("class " + std::to_string(k));
    for (arma::uword i = 0; i < n_per_class; ++i) {
      const arma::uword c = k * n_per_class + i;
      d.X(0, c) = centres(0, k) + noise(rng);
      d.X(1, c) = centres(1, k) + noise(rng);
      d.t(c) = k;
    }
  }
  return d;
}

// Two interleaving half circles of n_per_class points each, plus Gaussian noise.
inline Dataset moons(arma::uword n_per_class, double noise_sd, unsigned seed) {
  detail::require_positive(n_per_class, "moons");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, noise_sd);
  Dataset d;
  d.X.set_size(2, 2 * n_per_class);
  d.t.set_size(2 * n_per_class);
  d.class_names = {"upper moon", "lower moon"};
  for (arma::uword i = 0; i < n_per_class; ++i) {
    const double angle = arma::datum::pi * i / std::max<arma::uword>(n_per_class - 1, 1);
    d.X(0, i) = std::cos(angle) + noise(rng);  // upper: the top half of the unit circle
    d.X(1, i) = std::sin(angle) + noise(rng);
    d.t(i) = 0;
    const arma::uword j = n_per_class + i;  // lower: shifted right and down, flipped
    d.X(0, j) = 1.0 - std::cos(angle) + noise(rng);
    d.X(1, j) = 0.5 - std::sin(angle) + noise(rng);
    d.t(j) = 1;
  }
  return d;
}

// A disc of radius 0.5 (class 1) inside a ring of radius 1 (class 0), plus noise.
inline Dataset circles(arma::uword n_per_class, double noise_sd, unsigned seed) {
  detail::require_positive(n_per_class, "circles");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, noise_sd);
  Dataset d;
  d.X.set_size(2, 2 * n_per_class);
  d.t.set_size(2 * n_per_class);
  d.class_names = {"outer ring", "inner disc"};
  for (arma::uword k = 0; k < 2; ++k)
    for (arma::uword i = 0; i < n_per_class; ++i) {
      const double angle = 2 * arma::datum::pi * i / n_per_class;
      const double r = k == 0 ? 1.0 : 0.5;
      const arma::uword c = k * n_per_class + i;
      d.X(0, c) = r * std::cos(angle) + noise(rng);
      d.X(1, c) = r * std::sin(angle) + noise(rng);
      d.t(c) = k;
    }
  return d;
}

// K spiral arms of n_per_class points each: arm k's points have radius r from 0 to 1 and
// angle 4r + 2 pi k / K (one and a bit turns), plus noise on the angle. No straight line,
// and no set of K straight lines, separates the arms.
inline Dataset spiral(arma::uword n_per_class, arma::uword K, double angle_noise_sd,
                      unsigned seed) {
  detail::require_positive(n_per_class, "spiral");
  if (K < 2) throw std::invalid_argument("spiral: need at least two arms");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, angle_noise_sd);
  Dataset d;
  d.X.set_size(2, n_per_class * K);
  d.t.set_size(n_per_class * K);
  for (arma::uword k = 0; k < K; ++k) {
    d.class_names.push_back("arm " + std::to_string(k));
    for (arma::uword i = 0; i < n_per_class; ++i) {
      const double r = static_cast<double>(i) / std::max<arma::uword>(n_per_class - 1, 1);
      const double angle = 4.0 * r + 2.0 * arma::datum::pi * k / K + noise(rng) * r;
      const arma::uword c = k * n_per_class + i;
      d.X(0, c) = r * std::sin(angle);
      d.X(1, c) = r * std::cos(angle);
      d.t(c) = k;
    }
  }
  return d;
}

// Samples whose targets are numbers, not classes (regression).
struct RegressionDataset {
  arma::mat X;  // (1 x N): the inputs x
  arma::mat T;  // (1 x N): their targets t, real numbers

  arma::uword size() const { return X.n_cols; }
};

// n points with x drawn uniformly from [lo, hi] and t = sin(x) + noise, the noise drawn from
// N(0, noise_sd^2). The points are in the order drawn, not sorted by x.
inline RegressionDataset noisy_sine(arma::uword n, double lo, double hi, double noise_sd,
                                    unsigned seed) {
  detail::require_positive(n, "noisy_sine");
  if (!(lo < hi)) throw std::invalid_argument("noisy_sine: need lo < hi");
  if (!(noise_sd >= 0.0)) throw std::invalid_argument("noisy_sine: need noise_sd >= 0");
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(lo, hi);
  std::normal_distribution<double> noise(0.0, noise_sd);
  RegressionDataset d;
  d.X.set_size(1, n);
  d.T.set_size(1, n);
  for (arma::uword i = 0; i < n; ++i) {
    d.X(0, i) = uniform(rng);
    d.T(0, i) = std::sin(d.X(0, i)) + noise(rng);
  }
  return d;
}

}  // namespace nn
