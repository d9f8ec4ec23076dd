// max_pool.hpp: max pooling over non-overlapping size x size windows, with its backward
// pass.
//
// Images are columns in "height, width, channels" order (image_shape.hpp). The layer cuts
// each channel of each image into size x size windows (stride = size, so the windows tile
// the image without overlap) and keeps the largest value of each:
//
//   A(i, j, c) = max_{di, dj < size} X(i size + di, j size + dj, c)
//
//   X (C H W x m)  ->  A (C H' W' x m),   H' = H / size,  W' = W / size
//
// size must divide H and W. The layer has no parameters; it halves the height and width
// for size 2, keeping in each window the strongest response of each channel.
//
// Backward: each output is one of its window's inputs, the arg-max (the first maximum
// in row-major window order when several are equal). Locally A(i, j, c) = X(arg-max), so
//   dX(arg-max of A(i, j, c)) = dA(i, j, c),   every other entry of dX = 0
// the gradient flows back only through the input that won. (At a tie the max is not
// differentiable; sending the gradient to one of the tied inputs, as every library does,
// is a valid subgradient.) Forward remembers each arg-max as a row of X.
//
//   nn::MaxPool<float> pool(nn::ImageShape{16, 28, 28}, 2);   // -> 14x14x16
//   const arma::fmat& A = pool.forward(X);      // X (12544 x m), A (3136 x m)
//   const arma::fmat& dX = pool.backward(dA);   // dA (3136 x m), dX (12544 x m)
#pragma once

#include <algorithm>
#include <armadillo>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/image_shape.hpp"
#include "common/initializer.hpp"
#include "common/parameter.hpp"

namespace nn {

template <typename Real>
class MaxPool {
 public:
  using Matrix = arma::Mat<Real>;
  // A row of X, for the arg-maxes: 32 bits (the constructor checks that an image fits),
  // the width of a float, so the compiler can vectorise the max and the arg-max together.
  using Index = std::uint32_t;

  // Windows of size x size over images of shape `input`. Throws std::invalid_argument for
  // an empty image, size 0, or a size that does not divide the height and the width.
  MaxPool(ImageShape input, arma::uword size) : in_(input), out_(output_of(input, size)) {}

  ImageShape input_shape() const { return in_; }
  ImageShape output_shape() const { return out_; }  // {C, H / size, W / size}
  arma::uword n_inputs() const { return in_.size(); }
  arma::uword n_outputs() const { return out_.size(); }
  arma::uword size() const { return in_.height / out_.height; }

  // Nothing to draw (every layer is initialised by the same call).
  void initialize(const Initializer& /*init*/, std::mt19937_64& /*rng*/) {}

  // [listing max_pool_forward]
  // A(i, j, c) = the largest X in window (i, j) of channel c, X (C H W x m) -> A (C H'W' x m).
  // Remembers the row of X each maximum came from, the first one in row-major window order.
  const Matrix& forward(const Matrix& X) {
    check_input(X);
    const arma::uword C = in_.channels, s = size(), m = X.n_cols;
    A_.set_size(out_.size(), m);
    argmax_.set_size(out_.size(), m);
    for (arma::uword q = 0; q < m; ++q) {
      const Real* x = X.colptr(q);
      Real* a = A_.colptr(q);
      Index* arg = argmax_.colptr(q);
      for (arma::uword i = 0; i < out_.height; ++i)
        for (arma::uword j = 0; j < out_.width; ++j) {
          Real* best = a + out_.index(i, j, 0);  // the C channels of output pixel (i, j)
          Index* where = arg + out_.index(i, j, 0);
          // Every channel starts at the window's first pixel, then meets the others in
          // row-major order. The channels are the innermost loop because they sit next to
          // each other in memory (image_shape.hpp): the compiler does several at once.
          const Index first = Index(in_.index(i * s, j * s, 0));
          for (arma::uword c = 0; c < C; ++c) {
            best[c] = x[first + c];
            where[c] = first + Index(c);
          }
          for (arma::uword di = 0; di < s; ++di)
            for (arma::uword dj = 0; dj < s; ++dj)
              keep_larger(x, Index(in_.index(i * s + di, j * s + dj, 0)), C, best, where);
        }
    }
    forwarded_ = true;
    return A_;
  }

  // One pixel of a window meets the C running maxima of its output pixel:
  //   where x[at + c] > best[c]:  best[c] = x[at + c],  where[c] = at + c
  // (">": a tie keeps the first maximum). The choice is written without a branch, std::max
  // for the value and "larger" (1 or 0) times the step for the row, and __restrict promises
  // that the three arrays do not overlap: then the compiler does several channels at once.
  static void keep_larger(const Real* __restrict x, Index at, arma::uword C,
                          Real* __restrict best, Index* __restrict where) {
    for (arma::uword c = 0; c < C; ++c) {
      const Real v = x[at + c], b = best[c];
      const Index larger = v > b;                       // 1 or 0
      best[c] = std::max(b, v);                         // (b < v) ? v : b, the same test
      where[c] += larger * (at + Index(c) - where[c]);  // wraps and comes back: exact
    }
  }
  // [end max_pool_forward]

  // No parameters: only checks that dA has A's shape.
  void compute_gradients(const Matrix& dA) const { check_gradient(dA); }

  // [listing max_pool_backward]
  // dX (C H W x m): each entry of dA (C H'W' x m) goes to its window's arg-max, the rest is 0.
  const Matrix& backward(const Matrix& dA) {
    check_gradient(dA);
    dX_.zeros(in_.size(), dA.n_cols);
    for (arma::uword q = 0; q < dA.n_cols; ++q) {
      const Real* da = dA.colptr(q);
      const Index* arg = argmax_.colptr(q);
      Real* dx = dX_.colptr(q);
      for (arma::uword e = 0; e < dA.n_rows; ++e) dx[arg[e]] += da[e];
    }
    return dX_;
  }
  // [end max_pool_backward]

  // The caches of the last forward and backward (empty before the first one).
  const Matrix& A() const { return A_; }
  const Matrix& dX() const { return dX_; }
  // The row of X each entry of A came from (C H'W' x m).
  const arma::Mat<Index>& argmax() const { return argmax_; }

  // Nothing for an optimiser to update.
  std::vector<Parameter<Real>> parameters(const std::string& /*suffix*/ = "") { return {}; }

 private:
  static ImageShape output_of(ImageShape in, arma::uword size) {
    if (in.channels == 0 || in.height == 0 || in.width == 0)
      throw std::invalid_argument("MaxPool: the image " + to_string(in) + " has no pixels");
    if (size == 0) throw std::invalid_argument("MaxPool: the window size must be >= 1");
    if (in.size() > std::numeric_limits<Index>::max())
      throw std::invalid_argument("MaxPool: the image " + to_string(in) + " is too large");
    if (in.height % size != 0 || in.width % size != 0)
      throw std::invalid_argument("MaxPool: windows of " + std::to_string(size) + "x" +
                                  std::to_string(size) + " do not tile a " + to_string(in) +
                                  " image (the size must divide the height and the width)");
    return {in.channels, in.height / size, in.width / size};
  }

  void check_input(const Matrix& X) const {
    if (X.n_rows != in_.size())
      throw std::invalid_argument("MaxPool::forward: X has " + std::to_string(X.n_rows) +
                                  " rows, the layer expects " + std::to_string(in_.size()) +
                                  " (a " + to_string(in_) + " image)");
  }

  void check_gradient(const Matrix& dA) const {
    if (!forwarded_)
      throw std::logic_error("MaxPool::backward: call forward first (on this same layer)");
    if (dA.n_rows != A_.n_rows || dA.n_cols != A_.n_cols)
      throw std::invalid_argument("MaxPool::backward: dA must have the shape of A (" +
                                  std::to_string(A_.n_rows) + " x " +
                                  std::to_string(A_.n_cols) + ")");
  }

  ImageShape in_, out_;
  bool forwarded_ = false;  // a forward has run, so A has a shape to check dA against
  Matrix A_, dX_;
  arma::Mat<Index> argmax_;
};

}  // namespace nn
