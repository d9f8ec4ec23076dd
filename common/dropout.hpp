// dropout.hpp: inverted dropout (Srivastava et al. 2014), a layer that drops units at random
// while the network trains.
//
// Shapes, for n units and a batch of m samples (one sample per column):
//   X  (n x m)   the layer's input, usually the A of the Dense layer before it
//   M  (n x m)   the mask, a new one for every training batch:
//                  M_ij = 0        with probability p   (unit i is dropped for sample j)
//                  M_ij = 1/(1-p)  with probability 1-p (kept, and scaled)
//   A  (n x m)   training: A = X % M      evaluation: A = X
//
// Why the kept units are scaled by 1/(1-p): each entry of the mask has expected value
//   E[M_ij] = p * 0 + (1-p) * 1/(1-p) = 1,  so  E[A_ij] = X_ij:
// on average over the masks, every output equals its input. The layer after sees inputs of
// the same size in training and in evaluation, where nothing is dropped, so evaluation
// needs no correction: the network trained with dropout is used exactly as it is, with the
// layer passing X through. (The original dropout kept units unscaled and multiplied the
// weights by 1-p after training instead; "inverted" dropout moves that factor into
// training, where the mask is.)
//
// Backward: with the mask fixed, A = X % M is linear in X, so
//   dX = dA % M   (n x m)      (dX = dA after an evaluation forward, where A = X)
// The layer has no parameters. Its mask is random, so a gradient check must hold it fixed:
// forward_with_same_mask() reuses the mask of the last training forward.
//
// Random numbers: the layer draws its masks from a generator of its own, seeded by
// initialize() with one draw of the network's generator, so a network's masks follow from
// the one seed it was initialised with and do not depend on what else draws numbers (the
// shuffling of the batches, for instance).
//
//   nn::Dropout<float> drop(256, 0.5);
//   drop.initialize(nn::Initializer::he(), rng);               // seeds the mask generator
//   const arma::fmat& A = drop.forward(X, nn::Mode::training); // about half of X zeroed
//   const arma::fmat& dX = drop.backward(dA);                  // dA % M
#pragma once

#include <armadillo>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/initializer.hpp"
#include "common/mode.hpp"
#include "common/parameter.hpp"

namespace nn {

// [listing dropout_mask]
// A number in [0, 1) from the top 53 bits of one draw of rng: (bits >> 11) * 2^-53, every
// multiple of 2^-53 equally likely. std::uniform_real_distribution would do the same job,
// but the C++ standard leaves to each standard library how it turns the generator's bits
// into numbers, so two compilers could draw different masks from one seed. The raw outputs
// of std::mt19937_64 are fixed by the standard, and the shift and the division by 2^53 are
// exact: a mask drawn this way has the same bits with every compiler, on every machine.
inline double uniform_from_bits(std::mt19937_64& rng) {
  return double(rng() >> 11) / 9007199254740992.0;  // 2^53
}

// Fills M (rows x cols) in storage order (column by column): each entry 0 with probability
// p, otherwise 1/(1-p).
template <typename Real>
void draw_dropout_mask(arma::Mat<Real>& M, arma::uword rows, arma::uword cols, double p,
                       std::mt19937_64& rng) {
  const Real kept = Real(1.0 / (1.0 - p));
  M.set_size(rows, cols);
  for (arma::uword i = 0; i < M.n_elem; ++i) M(i) = uniform_from_bits(rng) < p ? Real(0) : kept;
}
// [end dropout_mask]

template <typename Real>
class Dropout {
 public:
  using Matrix = arma::Mat<Real>;

  // n units (as many outputs as inputs); p is the probability that a unit is dropped,
  // 0 <= p < 1 (p = 0 keeps every unit; p = 1 would drop them all and divide by 0).
  Dropout(arma::uword n, double p) : n_(n), p_(p) {
    if (n == 0) throw std::invalid_argument("Dropout: a layer needs at least one unit");
    if (!(p >= 0.0 && p < 1.0))
      throw std::invalid_argument("Dropout: the drop probability p must be in [0, 1), not " +
                                  std::to_string(p));
  }

  arma::uword n_inputs() const { return n_; }
  arma::uword n_outputs() const { return n_; }
  double drop_probability() const { return p_; }

  // Seeds the mask generator with one draw of rng. There is nothing else to initialise,
  // so init is unused (it is there so that every layer is initialised by the same call).
  // Before the first call the generator has std::mt19937_64's default seed.
  void initialize(const Initializer& /*init*/, std::mt19937_64& rng) { mask_rng_.seed(rng()); }

  // [listing dropout_forward]
  // training: a new mask M (n x m), A = X % M.  evaluation: A = X.  Returns A (n x m).
  const Matrix& forward(const Matrix& X, Mode mode) {
    check_input(X, "forward");
    if (mode == Mode::evaluation) {
      A_ = X;
      masked_ = false;
      forwarded_ = true;
      return A_;
    }
    draw_dropout_mask(M_, X.n_rows, X.n_cols, p_, mask_rng_);
    A_ = X % M_;
    masked_ = true;
    forwarded_ = true;
    return A_;
  }
  // [end dropout_forward]

  // A = X % M with the mask of the last training forward (no new mask is drawn): what a
  // gradient check needs, since the loss must be the same function of X at every probe.
  const Matrix& forward_with_same_mask(const Matrix& X) {
    if (M_.is_empty())
      throw std::logic_error(
          "Dropout::forward_with_same_mask: no mask yet (call forward in "
          "training mode first)");
    check_input(X, "forward_with_same_mask");
    if (X.n_cols != M_.n_cols)
      throw std::invalid_argument("Dropout::forward_with_same_mask: X has " +
                                  std::to_string(X.n_cols) + " columns, the mask " +
                                  std::to_string(M_.n_cols));
    A_ = X % M_;
    masked_ = true;
    forwarded_ = true;
    return A_;
  }

  // No parameters, so nothing to compute: only checks that dA (n x m) has A's shape.
  void compute_gradients(const Matrix& dA) const {
    if (!forwarded_)
      throw std::logic_error("Dropout::backward: call forward first (on this same layer)");
    if (dA.n_rows != A_.n_rows || dA.n_cols != A_.n_cols)
      throw std::invalid_argument("Dropout::backward: dA must have the shape of A (" +
                                  std::to_string(A_.n_rows) + " x " +
                                  std::to_string(A_.n_cols) + ")");
  }

  // dX = dA % M (n x m), or dX = dA after an evaluation forward.
  const Matrix& backward(const Matrix& dA) {
    compute_gradients(dA);
    if (masked_)
      dX_ = dA % M_;
    else
      dX_ = dA;
    return dX_;
  }

  // The caches of the last forward and backward (empty before the first one). mask() is
  // the mask of the last training forward, still there after an evaluation forward.
  const Matrix& A() const { return A_; }
  const Matrix& mask() const { return M_; }
  const Matrix& dX() const { return dX_; }

  // Nothing for an optimiser to update.
  std::vector<Parameter<Real>> parameters(const std::string& /*suffix*/ = "") { return {}; }

 private:
  void check_input(const Matrix& X, const char* who) const {
    if (X.n_rows != n_)
      throw std::invalid_argument(std::string("Dropout::") + who + ": X has " +
                                  std::to_string(X.n_rows) + " rows, the layer expects " +
                                  std::to_string(n_));
  }

  arma::uword n_;
  double p_;
  std::mt19937_64 mask_rng_;
  bool forwarded_ = false;  // a forward has run, so A has a shape to check dA against
  bool masked_ = false;     // the last forward applied M (training, or forward_with_same_mask)
  Matrix M_, A_, dX_;
};

}  // namespace nn
