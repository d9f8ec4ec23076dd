// dense.hpp: a fully connected layer, Z = W X + b, A = g(Z), with its backward pass.
//
// Shapes (one sample per column, as everywhere in this project):
//   X  (n_in  x batch)   the layer's input: the data, or the previous layer's A
//   W  (n_out x n_in)    weights: row i holds the weights of unit i
//   b  (n_out)           biases, added to every column
//   Z  (n_out x batch)   weighted sums,  Z = W X + b
//   A  (n_out x batch)   activations,    A = g(Z)
//
// Backward, given dA = dL/dA (n_out x batch) for a loss L that is already a mean over the
// batch (the losses in loss.hpp include the 1/batch), the chain rule gives
//   dZ = dA % g'(Z)       (% is the element-wise product)
//   dW = dZ X^T           (n_out x n_in)
//   db = dZ 1             (n_out): the row sums of dZ
//   dX = W^T dZ           (n_in x batch): the dA of the layer before
//
// Speed (chapter 09 trains on 60,000 images): every buffer (Z, A, dZ, dW, db, dX) is a
// member, resized only when the batch size changes, so a training loop allocates nothing
// per batch. W X, dZ X^T and W^T dZ are each one BLAS gemm call (Armadillo passes the
// transposes as flags, without copying). Adding b and applying g is one fused pass over Z,
// and so is dA % g'(Z). g' is computed from the cached A (sigmoid' = A(1 - A),
// tanh' = 1 - A^2, relu' = [A > 0]), which gives the same values as
// activation_derivative(g, Z) (activation.hpp) without a second exp or tanh.
//
// Gradient accumulation: by default each backward overwrites dW and db with this batch's
// gradient. set_gradient_keep(k) with k in (0, 1] makes it keep k times the old values:
//   dW <- k dW + dZ X^T,   db <- k db + dZ 1
// The product adds itself onto dW (a BLAS product computes C <- A B + C as cheaply as
// C <- A B); k < 1 first scales dW, one pass over it. k = 1 sums the gradients of several
// batches, as PyTorch's backward does (zero_gradients() starts again), and lets
// InPlaceMomentum (optimizer.hpp) keep momentum's velocity in dW: the fastest way to train
// with momentum here (bench/README.md). k = mu turns dW into momentum's velocity,
// v <- mu v + g, so that Sgd on it takes momentum's steps. Either way dW() is then no
// longer this batch's gradient alone.
//
// The input is not copied: forward keeps a pointer to X, which must stay alive and
// unchanged until backward. Passing a temporary (an Armadillo expression, a submatrix view)
// does not compile, because it would be gone by then; copy it into a matrix first.
//
//   nn::Dense<float> layer(784, 256, nn::Activation::relu);
//   layer.initialize(nn::Initializer::he(), rng);
//   const arma::fmat& A = layer.forward(X);      // A is (256 x batch)
//   const arma::fmat& dX = layer.backward(dA);   // fills layer.dW(), layer.db()
#pragma once

#include <armadillo>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/initializer.hpp"
#include "common/parameter.hpp"
#include "common/subnormals.hpp"

namespace nn {

template <typename T>
class Dense {
 public:
  using Matrix = arma::Mat<T>;
  using Vector = arma::Col<T>;

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
  // Z = W X + b, A = g(Z); returns A (n_out x batch). Keeps a pointer to X for backward.
  const Matrix& forward(const Matrix& X) {
    if (X.n_rows != W.n_cols)
      throw std::invalid_argument("Dense::forward: X has " + std::to_string(X.n_rows) +
                                  " rows, the layer expects " + std::to_string(W.n_cols));
    if (b.n_elem != W.n_rows)
      throw std::invalid_argument("Dense::forward: b must have one entry per row of W");
    input_.X = &X;
    Z_ = W * X;  // one gemm; Z_ keeps its memory when the batch size is unchanged
    A_.set_size(Z_.n_rows, Z_.n_cols);
    switch (g_) {
      case Activation::identity: add_bias_and_apply([](T z) { return z; }); break;
      case Activation::step:
        add_bias_and_apply([](T z) { return z >= T(0) ? T(1) : T(0); });
        break;
      case Activation::sigmoid:
        add_bias_and_apply([](T z) { return T(1) / (T(1) + std::exp(-z)); });
        break;
      case Activation::tanh: add_bias_and_apply([](T z) { return std::tanh(z); }); break;
      case Activation::relu: add_bias_and_apply([](T z) { return z > T(0) ? z : T(0); }); break;
    }
    return A_;
  }
  // [end dense_forward]
  const Matrix& forward(const Matrix&& X) = delete;  // X must outlive backward: no temporaries

  // [listing dense_backward]
  // dZ = dA % g'(Z), dW = dZ X^T, db = row sums of dZ. dA is (n_out x batch), the gradient
  // of the (batch-mean) loss with respect to this forward's A. Does not compute dX: the
  // first layer of a network has no one to pass it to, and it would cost a third gemm.
  void compute_gradients(const Matrix& dA) {
    if (input_.X == nullptr)
      throw std::logic_error("Dense::backward: call forward first (on this same layer)");
    if (dA.n_rows != A_.n_rows || dA.n_cols != A_.n_cols)
      throw std::invalid_argument("Dense::backward: dA must have the shape of A (" +
                                  std::to_string(A_.n_rows) + " x " +
                                  std::to_string(A_.n_cols) + ")");
    dZ_.set_size(A_.n_rows, A_.n_cols);
    switch (g_) {
      case Activation::identity: times_derivative(dA, [](T) { return T(1); }); break;
      case Activation::step: times_derivative(dA, [](T) { return T(0); }); break;
      case Activation::sigmoid: times_derivative(dA, [](T a) { return a * (T(1) - a); }); break;
      case Activation::tanh: times_derivative(dA, [](T a) { return T(1) - a * a; }); break;
      case Activation::relu: keep_where_positive(dA); break;  // relu' = [A > 0]
    }
    const Matrix& X = *input_.X;
    if (keep_ != T(0)) {  // gradient accumulation, dW <- keep dW + dZ X^T (see the top)
      accumulate_gradients(X);
      return;
    }
    dW_ = dZ_ * X.t();        // one gemm, X transposed by a flag
    db_ = arma::sum(dZ_, 1);  // (n_out)
  }

  // compute_gradients(dA), then returns dX = W^T dZ (n_in x batch).
  const Matrix& backward(const Matrix& dA) {
    compute_gradients(dA);
    dX_ = W.t() * dZ_;  // one gemm, W transposed by a flag
    return dX_;
  }
  // [end dense_backward]

  // Gradient accumulation (see the top of the file): keep in [0, 1], 0 by default.
  void set_gradient_keep(T keep) {
    if (!(keep >= T(0) && keep <= T(1)))
      throw std::invalid_argument("Dense::set_gradient_keep: keep must be in [0, 1]");
    keep_ = keep;
  }
  T gradient_keep() const { return keep_; }
  void zero_gradients() {
    dW_.zeros(W.n_rows, W.n_cols);
    db_.zeros(b.n_elem);
  }

  // The caches of the last forward and backward (empty before the first one).
  const Matrix& Z() const { return Z_; }
  const Matrix& A() const { return A_; }
  const Matrix& dZ() const { return dZ_; }
  const Matrix& dW() const { return dW_; }
  const Vector& db() const { return db_; }
  const Matrix& dX() const { return dX_; }

  // {W<suffix>, dW} and {b<suffix>, db}, for an optimiser. dW and db are sized here (to
  // zero) so the list is valid before the first backward.
  std::vector<Parameter<T>> parameters(const std::string& suffix = "") {
    if (dW_.n_rows != W.n_rows || dW_.n_cols != W.n_cols) dW_.zeros(W.n_rows, W.n_cols);
    if (db_.n_elem != b.n_elem) db_.zeros(b.n_elem);
    return {{"W" + suffix, &W, &dW_, true, &keep_}, {"b" + suffix, &b, &db_, false, &keep_}};
  }

 private:
  // Z += b (each column) and A = g(Z), in one pass.
  template <typename G>
  void add_bias_and_apply(G g) {
    const arma::uword n = Z_.n_rows;
    const T* bias = b.memptr();
    for (arma::uword j = 0; j < Z_.n_cols; ++j) {
      T* z = Z_.colptr(j);
      T* a = A_.colptr(j);
      for (arma::uword i = 0; i < n; ++i) {
        const T zi = z[i] + bias[i];
        z[i] = zi;
        a[i] = g(zi);
      }
    }
  }

  // dZ = dA % g'(Z), with g' written in terms of A, in one pass.
  template <typename GPrime>
  void times_derivative(const Matrix& dA, GPrime g_prime_of_a) {
    const T* da = dA.memptr();
    const T* a = A_.memptr();
    T* dz = dZ_.memptr();
    for (arma::uword k = 0; k < dZ_.n_elem; ++k) dz[k] = da[k] * g_prime_of_a(a[k]);
  }

  // ReLU: dZ = dA where A > 0, else 0, which is dA % [A > 0] written as a choice instead of
  // a product. As a product the compiler emits one branch per element, and the processor
  // guesses it wrong about half the time (whether a unit is active is close to a coin
  // flip); the choice compiles to vector instructions without branches. In bench/ this
  // took ~45 ms off each Fashion-MNIST epoch.
  void keep_where_positive(const Matrix& dA) {
    const T* da = dA.memptr();
    const T* a = A_.memptr();
    T* dz = dZ_.memptr();
    for (arma::uword k = 0; k < dZ_.n_elem; ++k) {
      const T d = da[k];  // read whatever the choice, so nothing stops the vectorising
      dz[k] = a[k] > T(0) ? d : T(0);
    }
  }

  // dW <- keep dW + dZ X^T and db <- keep db + dZ 1. The old values stay where they are:
  // scaling dW first and then adding the product (Armadillo's += of a product is one gemm
  // with beta = 1) is the same work as BLAS's own beta pass. A kept gradient that only
  // decays would sink into subnormal floats, hence FlushSubnormals (subnormals.hpp).
  void accumulate_gradients(const Matrix& X) {
    [[maybe_unused]] const FlushSubnormals flush{};
    if (dW_.n_rows != W.n_rows || dW_.n_cols != W.n_cols) dW_.zeros(W.n_rows, W.n_cols);
    if (db_.n_elem != b.n_elem) db_.zeros(b.n_elem);
    if (keep_ != T(1)) dW_ *= keep_;  // keep 1 (pure accumulation) needs no pass at all
    dW_ += dZ_ * X.t();               // one gemm, beta = 1
    T* db = db_.memptr();
    if (keep_ != T(1))
      for (arma::uword i = 0; i < db_.n_elem; ++i) db[i] *= keep_;
    for (arma::uword j = 0; j < dZ_.n_cols; ++j) {
      const T* dz = dZ_.colptr(j);
      for (arma::uword i = 0; i < dZ_.n_rows; ++i) db[i] += dz[i];
    }
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
  T keep_ = T(0);  // gradient accumulation: 0 = each backward overwrites dW and db
  InputRef input_;
  Matrix Z_, A_, dZ_, dW_, dX_;
  Vector db_;
};

}  // namespace nn
