// batch_norm.hpp: batch normalisation (Ioffe & Szegedy 2015) followed by an activation g.
//
// It goes after a Dense layer whose activation is identity: Dense gives Z = W X + b, and
// this layer normalises each unit (each row of Z) over the batch, scales and shifts it by
// two learned numbers per unit, then applies g. Shapes, for n units and m samples:
//
//   mu    = (1/m) Z 1                      (n)      each unit's mean over the batch
//   var   = (1/m) sum_j (Z_j - mu)^2       (n)      each unit's (biased) batch variance
//   s     = 1 / sqrt(var + eps)            (n)      eps keeps a constant unit finite
//   Zhat  = (Z - mu) % s   (each column)   (n x m)  every row has mean 0, variance ~1
//   Y     = gamma % Zhat + beta            (n x m)  gamma, beta (n): learned, start 1 and 0
//   A     = g(Y)                           (n x m)
//
// Z_j is column j (sample j). Whatever the layers before do to the scale and offset of a
// unit, the next layer sees it with the mean beta and the spread gamma, which the optimiser
// chooses. (The b of the Dense layer before is therefore useless: adding a constant to a
// row of Z changes no Zhat, so its gradient is 0. beta does its job.)
//
// Two modes (mode.hpp). In training, mu and var are the current batch's, so a sample's
// output depends on the others in its batch, and the layer keeps running averages:
//   running_mean = (1 - momentum) running_mean + momentum mu
//   running_var  = (1 - momentum) running_var  + momentum var m/(m-1)
// (m/(m-1) makes the batch's variance an unbiased estimate of the unit's, as PyTorch does.)
// In evaluation, mu and var are replaced by running_mean and running_var, nothing is
// updated, and the layer is a fixed affine map of each unit followed by g.
//
// Backward, given dA (n x m). Up to Y it is a Dense layer's backward:
//   dY     = dA % g'(Y)                    (n x m)  (g' from A, as derivative_from_output)
//   dgamma = (dY % Zhat) 1                 (n)      row sums
//   dbeta  = dY 1                          (n)
//   dZhat  = dY % gamma   (each column)    (n x m)
// Then the batch statistics: every Zhat_j of a unit depends on every Z_k of that unit,
// through mu and var. For one unit (one row; drop its index), with delta_jk = [j == k]:
//   d mu / d z_k   = 1/m
//   d var / d z_k  = (2/m) (z_k - mu)      (the terms through mu add up to 0, because
//                                           sum_j (z_j - mu) = 0)
//   d s / d z_k    = -(1/2) (var + eps)^(-3/2) d var / d z_k = -(s^2 / m) zhat_k
//   d zhat_j / d z_k = s (delta_jk - 1/m) + (z_j - mu) d s / d z_k
//                    = (s / m) (m delta_jk - 1 - zhat_j zhat_k)
// and by the chain rule, dz_k = sum_j dzhat_j d zhat_j / d z_k:
//   dz_k = (s / m) (m dzhat_k - sum_j dzhat_j - zhat_k sum_j dzhat_j zhat_j)
// For all units at once (s, and the two sums, are (n) and apply to every column):
//   dZ = (s / m) % (m dZhat - dZhat 1 - Zhat % ((dZhat % Zhat) 1))      (n x m)
// In training, each row of dZ sums to 0: moving a unit's whole batch by a constant changes
// no Zhat.
// After an evaluation forward, Zhat = (Z - running_mean) % s with constant statistics, and
// the chain rule gives simply dZ = dZhat % s, with s = 1 / sqrt(running_var + eps).
//
// Statistics are computed in the layer's Real (float in the chapter), as written above.
//
//   nn::Dense<float> dense(784, 256, nn::Activation::identity);
//   nn::BatchNorm<float> norm(256, nn::Activation::relu);
//   const arma::fmat& Z = dense.forward(X);
//   const arma::fmat& A = norm.forward(Z, nn::Mode::training);   // (256 x m)
//   dense.backward(norm.backward(dA));                           // fills dgamma, dbeta too
#pragma once

#include <armadillo>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/dense.hpp"  // derivative_from_output
#include "common/initializer.hpp"
#include "common/mode.hpp"
#include "common/parameter.hpp"

namespace nn {

template <typename Real>
class BatchNorm {
 public:
  using Matrix = arma::Mat<Real>;
  using Vector = arma::Col<Real>;

  // The learned scale and shift, public like Dense's W and b (n each).
  Vector gamma, beta;
  // The statistics evaluation mode uses (n each), updated by every training forward.
  Vector running_mean, running_var;

  // n units (as many outputs as inputs), activation g; momentum in [0, 1] is the weight of
  // each new batch in the running statistics, epsilon > 0 is added to every variance.
  BatchNorm(arma::uword n, Activation g, double momentum = 0.1, double epsilon = 1e-5)
      : gamma(n, arma::fill::ones),
        beta(n, arma::fill::zeros),
        running_mean(n, arma::fill::zeros),
        running_var(n, arma::fill::ones),
        n_(n),
        g_(g),
        momentum_(momentum),
        epsilon_(epsilon) {
    if (n == 0) throw std::invalid_argument("BatchNorm: a layer needs at least one unit");
    if (!(momentum >= 0.0 && momentum <= 1.0))
      throw std::invalid_argument("BatchNorm: momentum must be in [0, 1], not " +
                                  std::to_string(momentum));
    if (!(epsilon > 0.0) || !std::isfinite(epsilon))
      throw std::invalid_argument("BatchNorm: epsilon must be finite and > 0, not " +
                                  std::to_string(epsilon));
  }

  arma::uword n_inputs() const { return n_; }
  arma::uword n_outputs() const { return n_; }
  Activation activation() const { return g_; }
  double momentum() const { return momentum_; }
  double epsilon() const { return epsilon_; }

  // gamma = 1, beta = 0 (the layer starts as plain normalisation), running_mean = 0,
  // running_var = 1. Nothing is random: init and rng are unused (every layer is initialised
  // by the same call).
  void initialize(const Initializer& /*init*/, std::mt19937_64& /*rng*/) {
    gamma.ones(n_);
    beta.zeros(n_);
    running_mean.zeros(n_);
    running_var.ones(n_);
  }

  // [listing batch_norm_forward]
  // Z (n x m) -> A = g(gamma % Zhat + beta) (n x m), Zhat normalised with the batch's mean
  // and variance (training; updates the running statistics) or the running ones (evaluation).
  const Matrix& forward(const Matrix& Z, Mode mode) {
    check_input(Z, mode);
    if (mode == Mode::training) {
      const Real m = Real(Z.n_cols);
      const Vector mu = arma::mean(Z, 1);                          // (n)
      const Matrix centred = Z.each_col() - mu;                    // (n x m)
      const Vector var = arma::sum(arma::square(centred), 1) / m;  // (n)
      s_ = Real(1) / arma::sqrt(var + Real(epsilon_));             // (n)
      Zhat_ = centred.each_col() % s_;                             // (n x m)
      const Real w = Real(momentum_);
      running_mean = (Real(1) - w) * running_mean + w * mu;
      running_var = (Real(1) - w) * running_var + w * var * (m / (m - Real(1)));
    } else {
      s_ = Real(1) / arma::sqrt(running_var + Real(epsilon_));
      Zhat_ = Z.each_col() - running_mean;
      Zhat_.each_col() %= s_;
    }
    mode_ = mode;
    Y_ = Zhat_.each_col() % gamma;  // (n x m)
    Y_.each_col() += beta;
    A_ = activate(g_, Y_);
    return A_;
  }
  // [end batch_norm_forward]

  // [listing batch_norm_backward]
  // dY = dA % g'(Y), dgamma = (dY % Zhat) 1, dbeta = dY 1. dA (n x m) is the gradient of
  // the (batch-mean) loss with respect to this forward's A.
  void compute_gradients(const Matrix& dA) {
    check_gradient(dA);
    dY_ = dA % derivative_from_output(g_, A_);  // (n x m)
    dgamma_ = arma::sum(dY_ % Zhat_, 1);        // (n)
    dbeta_ = arma::sum(dY_, 1);                 // (n)
  }

  // compute_gradients(dA), then dZ (n x m), the dA of the layer before:
  //   training:   dZ = (s / m) % (m dZhat - dZhat 1 - Zhat % ((dZhat % Zhat) 1))
  //   evaluation: dZ = dZhat % s
  const Matrix& backward(const Matrix& dA) {
    compute_gradients(dA);
    const Matrix dZhat = dY_.each_col() % gamma;  // (n x m)
    if (mode_ == Mode::evaluation) {
      dX_ = dZhat.each_col() % s_;
      return dX_;
    }
    const Real m = Real(dZhat.n_cols);
    const Vector sum_dZhat = arma::sum(dZhat, 1);               // (n)
    const Vector sum_dZhat_Zhat = arma::sum(dZhat % Zhat_, 1);  // (n)
    dX_ = m * dZhat;                                            // (n x m)
    dX_.each_col() -= sum_dZhat;
    dX_ -= Zhat_.each_col() % sum_dZhat_Zhat;
    dX_.each_col() %= s_ / m;
    return dX_;
  }
  // [end batch_norm_backward]

  // The caches of the last forward and backward (empty before the first one).
  const Matrix& Zhat() const { return Zhat_; }
  const Matrix& Y() const { return Y_; }
  const Matrix& A() const { return A_; }
  const Matrix& dX() const { return dX_; }
  const Vector& dgamma() const { return dgamma_; }
  const Vector& dbeta() const { return dbeta_; }

  // {gamma<suffix>, dgamma} and {beta<suffix>, dbeta}, for an optimiser. Neither is a
  // weight (is_weight false: no L2 decay pulls gamma towards 0). The gradients are sized
  // here (to zero) so the list is valid before the first backward.
  std::vector<Parameter<Real>> parameters(const std::string& suffix = "") {
    if (dgamma_.n_elem != gamma.n_elem) dgamma_.zeros(gamma.n_elem);
    if (dbeta_.n_elem != beta.n_elem) dbeta_.zeros(beta.n_elem);
    return {{"gamma" + suffix, &gamma, &dgamma_, false},
            {"beta" + suffix, &beta, &dbeta_, false}};
  }

 private:
  void check_input(const Matrix& Z, Mode mode) const {
    if (Z.n_rows != n_)
      throw std::invalid_argument("BatchNorm::forward: Z has " + std::to_string(Z.n_rows) +
                                  " rows, the layer expects " + std::to_string(n_));
    if (gamma.n_elem != n_ || beta.n_elem != n_ || running_mean.n_elem != n_ ||
        running_var.n_elem != n_)
      throw std::invalid_argument(
          "BatchNorm::forward: gamma, beta, running_mean and running_var must have " +
          std::to_string(n_) + " entries each");
    if (Z.n_cols == 0)
      throw std::invalid_argument("BatchNorm::forward: Z has no columns (no samples)");
    if (mode == Mode::training && Z.n_cols < 2)
      throw std::invalid_argument(
          "BatchNorm::forward: training needs a batch of at least 2 samples (the variance of "
          "one sample is 0), got " +
          std::to_string(Z.n_cols));
  }

  void check_gradient(const Matrix& dA) const {
    if (A_.is_empty())
      throw std::logic_error("BatchNorm::backward: call forward first (on this same layer)");
    if (dA.n_rows != A_.n_rows || dA.n_cols != A_.n_cols)
      throw std::invalid_argument("BatchNorm::backward: dA must have the shape of A (" +
                                  std::to_string(A_.n_rows) + " x " +
                                  std::to_string(A_.n_cols) + ")");
  }

  arma::uword n_;
  Activation g_;
  double momentum_, epsilon_;
  Mode mode_ = Mode::training;  // the mode of the last forward, which backward differentiates
  Vector s_;                    // 1 / sqrt(var + eps) of the last forward (n)
  Matrix Zhat_, Y_, A_, dY_, dX_;
  Vector dgamma_, dbeta_;
};

}  // namespace nn
