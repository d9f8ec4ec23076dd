// dense.hpp: a fully connected layer, Z = W X + b, A = g(Z), with its backward pass.
//
// Shapes, for a batch of m samples (one sample per column, as everywhere in this project):
//   X  (n_in  x m)       the layer's input: the data, or the previous layer's A
//   W  (n_out x n_in)    weights: row i holds the weights of unit i
//   b  (n_out)           biases, added to every column
//   Z  (n_out x m)       weighted sums,  Z = W X + b
//   A  (n_out x m)       activations,    A = g(Z)
//
// Backward, given dA = dL/dA (n_out x m) for a loss L that is already a mean over the m
// samples of the batch (the losses in loss.hpp put the 1/m into the dA or dZ they return),
// the chain rule gives
//   dZ = dA % g'(Z)       (% is the element-wise product)
//   dW = dZ X^T           (n_out x n_in)
//   db = dZ 1             (n_out): the row sums of dZ
//   dX = W^T dZ           (n_in x m): the dA of the layer before
//
// g'(Z) is computed from the cached A (sigmoid' = A(1 - A), tanh' = 1 - A^2,
// relu' = [A > 0]): the same values as activation_derivative(g, Z) (activation.hpp),
// without a second exp or tanh. W X, dZ X^T and W^T dZ are each one BLAS call (Armadillo
// passes the transposes as flags, without copying), and the layer keeps Z, dZ, dW, db
// and dX as members, so a training loop reuses their memory batch after batch.
//
// The input is not copied: forward keeps a pointer to X, which must stay alive and
// unchanged until backward. Passing a temporary (an Armadillo expression, a submatrix view)
// does not compile, because it would be gone by then; copy it into a matrix first.
//
// (The benchmark's faster version of this layer, with fused loops, lives apart in
// bench/fast_path.hpp and is tested against this one.)
//
//   nn::Dense<float> layer(784, 256, nn::Activation::relu);
//   layer.initialize(nn::Initializer::he(), rng);
//   const arma::fmat& A = layer.forward(X);      // A is (256 x m)
//   const arma::fmat& dX = layer.backward(dA);   // fills layer.dW(), layer.db()
#pragma once

#include <armadillo>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/initializer.hpp"
#include "common/parameter.hpp"

namespace nn {

// g'(Z) written with A = g(Z), element-wise: what the backward pass multiplies dA by.
template <typename Real>
arma::Mat<Real> derivative_from_output(Activation g, const arma::Mat<Real>& A) {
  switch (g) {
    case Activation::identity: return arma::Mat<Real>(arma::size(A), arma::fill::ones);  // 1
    case Activation::step: return arma::Mat<Real>(arma::size(A), arma::fill::zeros);     // 0
    case Activation::sigmoid: return A % (Real(1) - A);                               // A(1-A)
    case Activation::tanh: return Real(1) - A % A;                                    // 1-A^2
    case Activation::relu: return arma::conv_to<arma::Mat<Real>>::from(A > Real(0));  // [A>0]
  }
  throw std::logic_error("derivative_from_output: unknown activation");
}

template <typename Real>
class Dense {
 public:
  using Matrix = arma::Mat<Real>;
  using Vector = arma::Col<Real>;

  // The parameters are public: a model loader sets them, a chapter prints or draws them.
  // Keep their shapes: W (n_out x n_in), b (n_out).
  Matrix W;
  Vector b;

  // W and b start at zero; call initialize() before training.
  Dense(arma::uword n_in, arma::uword n_out, Activation g)
      : W(n_out, n_in, arma::fill::zeros), b(n_out, arma::fill::zeros), g_(g) {
    if (n_in == 0 || n_out == 0)
      throw std::invalid_argument("Dense: a layer needs at least one input and one output");
  }

  arma::uword n_inputs() const { return W.n_cols; }
  arma::uword n_outputs() const { return W.n_rows; }
  Activation activation() const { return g_; }

  // W as init says (drawing from rng), b = 0.
  void initialize(const Initializer& init, std::mt19937_64& rng) {
    nn::initialize(W, init, rng);
    b.zeros();
  }

  // [listing dense_forward]
  // Z = W X + b (each column plus b), A = g(Z); returns A (n_out x m).
  // Keeps a pointer to X (n_in x m) for backward.
  const Matrix& forward(const Matrix& X) {
    check_input(X);
    X_.X = &X;
    Z_ = W * X;  // (n_out x m)
    Z_.each_col() += b;
    A_ = activate(g_, Z_);
    return A_;
  }
  // [end dense_forward]
  const Matrix& forward(const Matrix&& X) = delete;  // X must outlive backward: no temporaries

  // [listing dense_backward]
  // dZ = dA % g'(Z), dW = dZ X^T, db = dZ 1 (the row sums of dZ). dA (n_out x m) is
  // the gradient of the (batch-mean) loss with respect to this forward's A.
  void compute_gradients(const Matrix& dA) {
    check_gradient(dA);
    const Matrix& X = *X_.X;
    dZ_ = dA % derivative_from_output(g_, A_);  // (n_out x m)
    dW_ = dZ_ * X.t();                          // (n_out x n_in)
    db_ = arma::sum(dZ_, 1);                    // (n_out)
  }

  // compute_gradients(dA), then dX = W^T dZ (n_in x m), the dA of the layer before.
  const Matrix& backward(const Matrix& dA) {
    compute_gradients(dA);
    dX_ = W.t() * dZ_;
    return dX_;
  }
  // [end dense_backward]

  // The caches of the last forward and backward (empty before the first one).
  const Matrix& Z() const { return Z_; }
  const Matrix& A() const { return A_; }
  const Matrix& dZ() const { return dZ_; }
  const Matrix& dW() const { return dW_; }
  const Vector& db() const { return db_; }
  const Matrix& dX() const { return dX_; }

  // {W<suffix>, dW} and {b<suffix>, db}, for an optimiser. dW and db are sized here (to
  // zero) so the list is valid before the first backward.
  std::vector<Parameter<Real>> parameters(const std::string& suffix = "") {
    if (dW_.n_rows != W.n_rows || dW_.n_cols != W.n_cols) dW_.zeros(W.n_rows, W.n_cols);
    if (db_.n_elem != b.n_elem) db_.zeros(b.n_elem);
    return {{"W" + suffix, &W, &dW_, true}, {"b" + suffix, &b, &db_, false}};
  }

 private:
  void check_input(const Matrix& X) const {
    if (X.n_rows != W.n_cols)
      throw std::invalid_argument("Dense::forward: X has " + std::to_string(X.n_rows) +
                                  " rows, the layer expects " + std::to_string(W.n_cols));
    if (b.n_elem != W.n_rows)
      throw std::invalid_argument("Dense::forward: b must have one entry per row of W");
  }

  void check_gradient(const Matrix& dA) const {
    if (X_.X == nullptr)
      throw std::logic_error("Dense::backward: call forward first (on this same layer)");
    if (dA.n_rows != A_.n_rows || dA.n_cols != A_.n_cols)
      throw std::invalid_argument("Dense::backward: dA must have the shape of A (" +
                                  std::to_string(A_.n_rows) + " x " +
                                  std::to_string(A_.n_cols) + ")");
  }

  // The pointer to forward's input. A copied layer has not seen an input yet, so copying
  // resets it (instead of pointing at the original layer's input).
  struct InputRef {
    const Matrix* X = nullptr;
    InputRef() = default;
    InputRef(const InputRef&) {}
    InputRef& operator=(const InputRef&) {
      X = nullptr;
      return *this;
    }
  };

  Activation g_;
  InputRef X_;
  Matrix Z_, A_, dZ_, dW_, dX_;
  Vector db_;
};

}  // namespace nn
