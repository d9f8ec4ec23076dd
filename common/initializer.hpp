// initializer.hpp: the first of training's five parts, choosing the starting weights.
//
// A layer with n_in inputs and n_out outputs has W (n_out x n_in). How W starts decides
// whether signals and gradients keep a useful size as they pass through many layers:
//
//   Initializer::zeros()        W = 0. Every unit of a layer computes the same thing and
//                               gets the same gradient, so they stay identical forever.
//   Initializer::uniform(a)     W_ij ~ U(-a, a).
//   Initializer::normal(sd)     W_ij ~ N(0, sd^2): the "scaled normal" with the standard
//                               deviation given, to show too-small or too-large starts.
//   Initializer::xavier()       Glorot & Bengio (2010), uniform: W_ij ~ U(-a, a) with
//                               a = sqrt(6 / (n_in + n_out)), so Var(W_ij) = 2/(n_in+n_out):
//                               keeps the variance of activations and of gradients about
//                               constant for tanh/sigmoid/identity layers.
//   Initializer::he()           He et al. (2015), normal: W_ij ~ N(0, 2 / n_in). ReLU zeroes
//                               half its inputs on average; the factor 2 makes up for it.
//
// Biases start at zero for every initialiser (Dense::initialize does that).
//
// Randomness: every function takes a std::mt19937_64& and draws from it in column-major
// order of W, so one generator seeded once initialises a whole network deterministically
// (layer 1 first). Values are drawn in double and rounded to Real, so a float and a double
// network initialised from equal seeds start from the same weights (up to float rounding).
#pragma once

#include <armadillo>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>

namespace nn {

struct Initializer {
  enum class Kind { zeros, uniform, normal, xavier, he };
  Kind kind = Kind::xavier;
  double scale = 0.0;  // a for uniform, sd for normal; unused by the others

  static Initializer zeros() { return {Kind::zeros, 0.0}; }
  static Initializer uniform(double a) {
    if (!(a >= 0.0) || !std::isfinite(a))
      throw std::invalid_argument("Initializer::uniform: a must be finite and >= 0");
    return {Kind::uniform, a};
  }
  static Initializer normal(double sd) {
    if (!(sd >= 0.0) || !std::isfinite(sd))
      throw std::invalid_argument("Initializer::normal: sd must be finite and >= 0");
    return {Kind::normal, sd};
  }
  static Initializer xavier() { return {Kind::xavier, 0.0}; }
  static Initializer he() { return {Kind::he, 0.0}; }
};

// "zeros", "uniform(0.1)", "normal(0.01)", "xavier", "he": for legends and logs.
inline std::string to_string(const Initializer& init) {
  char buf[64];
  switch (init.kind) {
    case Initializer::Kind::zeros: return "zeros";
    case Initializer::Kind::uniform:
      std::snprintf(buf, sizeof buf, "uniform(%g)", init.scale);
      return buf;
    case Initializer::Kind::normal:
      std::snprintf(buf, sizeof buf, "normal(%g)", init.scale);
      return buf;
    case Initializer::Kind::xavier: return "xavier";
    case Initializer::Kind::he: return "he";
  }
  return "unknown";
}

// [listing weight_sd]
// The standard deviation of the weights init gives a layer with n_in inputs and n_out
// outputs (0 for zeros; a / sqrt(3) for uniform(a)).
inline double weight_sd(const Initializer& init, arma::uword n_in, arma::uword n_out) {
  switch (init.kind) {
    case Initializer::Kind::zeros: return 0.0;
    case Initializer::Kind::uniform: return init.scale / std::sqrt(3.0);
    case Initializer::Kind::normal: return init.scale;
    case Initializer::Kind::xavier: return std::sqrt(2.0 / double(n_in + n_out));
    case Initializer::Kind::he: return std::sqrt(2.0 / double(n_in));
  }
  return 0.0;
}
// [end weight_sd]

// Fills W (n_out x n_in, already sized) as init says, drawing from rng.
template <typename Real>
void initialize(arma::Mat<Real>& W, const Initializer& init, std::mt19937_64& rng) {
  const arma::uword n_out = W.n_rows, n_in = W.n_cols;
  switch (init.kind) {
    case Initializer::Kind::zeros: W.zeros(); return;
    case Initializer::Kind::uniform:
    case Initializer::Kind::xavier: {
      const double a = init.kind == Initializer::Kind::uniform
                           ? init.scale
                           : std::sqrt(6.0 / double(n_in + n_out));
      if (a == 0.0) {  // U(0, 0) is not a valid distribution
        W.zeros();
        return;
      }
      std::uniform_real_distribution<double> u(-a, a);
      for (arma::uword i = 0; i < W.n_elem; ++i) W(i) = Real(u(rng));
      return;
    }
    case Initializer::Kind::normal:
    case Initializer::Kind::he: {
      const double sd = weight_sd(init, n_in, n_out);
      if (sd == 0.0) {  // N(0, 0) is not a valid distribution
        W.zeros();
        return;
      }
      std::normal_distribution<double> g(0.0, sd);
      for (arma::uword i = 0; i < W.n_elem; ++i) W(i) = Real(g(rng));
      return;
    }
  }
  throw std::logic_error("initialize: unknown initializer");
}

}  // namespace nn
