// gradient_check.hpp: is a backward pass right? Compare it with finite differences.
//
// For a scalar function f of parameters theta, the central difference
//     df/dtheta_i  ~  (f(theta + h e_i) - f(theta - h e_i)) / (2h)
// has error O(h^2) (the Taylor terms of even order cancel). In double precision with
// h = 1e-5 that truncation error is about 1e-10 and the rounding error about
// eps * |f| / h ~ 1e-11, so an analytic gradient that is right agrees with it to a
// relative error far below kGradientCheckTolerance (1e-7, below), and one with a mistake in
// it does not.
#pragma once

#include <algorithm>
#include <armadillo>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

namespace nn {

// The step that balances truncation (h^2) and rounding (eps / h) error in double.
constexpr double kFiniteDifferenceStep = 1e-5;

// The gradient of f at theta by central differences, one coordinate at a time.
// theta is restored before returning.
inline arma::mat numerical_gradient(const std::function<double(const arma::mat&)>& f,
                                    arma::mat theta, double h = kFiniteDifferenceStep) {
  arma::mat grad(arma::size(theta));
  for (arma::uword i = 0; i < theta.n_elem; ++i) {
    const double saved = theta(i);
    theta(i) = saved + h;
    const double f_plus = f(theta);
    theta(i) = saved - h;
    const double f_minus = f(theta);
    theta(i) = saved;
    grad(i) = (f_plus - f_minus) / (2 * h);
  }
  return grad;
}

// What a gradient check accepts: relative_error(analytic, numerical) below this. A right
// gradient agrees with central differences to about 1e-10 (truncation, above) or 1e-11
// (rounding); a wrong one (a missing term, a sign, a forgotten 1/m) is off by far more
// than 1e-7. The gap leaves room for losses whose rounding is a little worse, and every
// test and chapter that checks a gradient uses this one constant.
constexpr double kGradientCheckTolerance = 1e-7;

// max |a - b| / max(|a|, |b|) over the elements, the measure kGradientCheckTolerance
// bounds. Elements where both are exactly zero agree perfectly and count as 0.
// a and b must have the same shape: otherwise it throws std::invalid_argument (naming both
// shapes), so that a gradient that was never computed (an empty db) or has the wrong
// shape cannot pass a check by having fewer elements to compare.
// Throws std::invalid_argument, naming the function and both shapes, when a and b differ.
inline void require_same_shape(const char* function, const arma::mat& a, const arma::mat& b) {
  if (a.n_rows != b.n_rows || a.n_cols != b.n_cols)
    throw std::invalid_argument(std::string(function) + ": the shapes differ (" +
                                std::to_string(a.n_rows) + " x " + std::to_string(a.n_cols) +
                                " against " + std::to_string(b.n_rows) + " x " +
                                std::to_string(b.n_cols) + ")");
}

inline double relative_error(const arma::mat& a, const arma::mat& b) {
  require_same_shape("relative_error", a, b);
  double worst = 0.0;
  for (arma::uword i = 0; i < a.n_elem; ++i) {
    const double scale = std::max(std::abs(a(i)), std::abs(b(i)));
    if (scale > 0) worst = std::max(worst, std::abs(a(i) - b(i)) / scale);
  }
  return worst;
}

// The relative error of a whole tensor in the max norm, max_i |a_i - b_i| / max_i
// max(|a_i|, |b_i|): what a check of a network's gradient compares with
// kGradientCheckTolerance. relative_error (above) divides each entry's error by that entry,
// which is right for one activation or one loss. But an entry of a network's gradient is a
// sum over the batch and the paths through the layers, and such sums sometimes cancel to
// 1e-5 of their neighbours by chance; the finite difference still has its absolute
// rounding error eps |f| / h ~ 1e-11 there, so that entry's own relative error can reach
// 1e-6 while the gradient is right to 10 digits. Measured against the tensor's largest
// entry it stays near 1e-10. Different shapes throw, as for relative_error; two tensors of
// zeros agree (0).
inline double tensor_relative_error(const arma::mat& a, const arma::mat& b) {
  require_same_shape("tensor_relative_error", a, b);
  if (a.n_elem == 0) return 0.0;
  const double scale = std::max(arma::abs(a).max(), arma::abs(b).max());
  return scale == 0.0 ? 0.0 : arma::abs(a - b).max() / scale;
}

}  // namespace nn
