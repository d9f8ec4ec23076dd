// convolution.hpp: a convolution layer (stride 1, zero padding), computed as one matrix
// product after im2col, with its backward pass.
//
// Images are columns in "height, width, channels" order (image_shape.hpp): pixel (r, s),
// channel c of sample q is X(index(r, s, c), q), index(r, s, c) = (r W + s) C + c.
//
// The layer has F filters of k x k pixels over the C input channels, and pads its input
// with p rows and columns of zeros on every side. Filter f slides over the padded image and
// takes a dot product at every position: the output pixel (i, j), channel f, is
//
//   Z(f; i, j) = b_f + sum_{di, dj < k} sum_{c < C} W_f(di, dj, c) X(i + di - p, j + dj - p, c)
//
// (X = 0 outside the image), and A = g(Z). The output has F channels and
//   H' = H + 2p - k + 1 rows,  W' = W + 2p - k + 1 columns
// (p = (k - 1) / 2 keeps the size: "same" padding). Stride 1: the filter moves one pixel
// at a time.
//
// im2col: convolution as one matrix product
// -----------------------------------------
// Copy the k x k x C patch under each output pixel into a column of its own:
//   cols (k k C x H' W' m): column q H'W' + i W' + j holds the patch under output pixel
//   (i, j) of sample q, and its row (di k + dj) C + c holds X(i + di - p, j + dj - p, c)
// and store each filter as a row, in the same order:
//   W (F x k k C): row f is filter f, entry (di k + dj) C + c is W_f(di, dj, c)
// Every sum above is then row f of W times a column of cols, and all of them at once are
//   Z = W cols + b       (F x H'W' m)   (b added to every column)
//   A = g(Z)
// one BLAS call for the whole batch. Column (q, i, j) of Z holds the F channels of one
// output pixel, and the columns run pixel by pixel, image by image: Armadillo stores the
// matrix column by column, so its memory is already the (F H'W' x m) output batch, one
// image per column in this file's layout. Reading it that way is a reshape that moves
// nothing.
//
// Backward
// --------
// Given dA = dL/dA (F H'W' x m) for a loss that is a mean over the batch:
//   dZ    = dA % g'(Z)          (F H'W' x m), viewed as (F x H'W' m) (again moving nothing)
//   dW    = dZ cols^T           (F x k k C)   Z = W cols + b is a Dense layer whose "batch"
//   db    = dZ 1                (F)           is every output pixel of every image
//   dcols = W^T dZ              (k k C x H'W' m)
//   dX    = col2im(dcols)       (C H W x m)
// Each entry of cols is a copy of one input pixel (or a zero of the padding), and an
// input pixel is copied into up to k^2 columns, once for every window that covers it. By
// the chain rule its gradient is the sum of the gradients of its copies: col2im adds every
// entry of dcols onto the pixel it was copied from (and drops the padding's). col2im is the
// adjoint (the transpose) of im2col: <im2col(X), D> = <X, col2im(D)> for every X and D.
//
// Written out, col2im(W^T dZ) is a convolution too. Pixel (r, s), channel c of dX collects
// W_f(di, dj, c) dZ(f; r - di + p, s - dj + p) over f, di, dj (where that output pixel
// exists). With di' = k - 1 - di, dj' = k - 1 - dj:
//   dX(r, s, c) = sum_f sum_{di', dj'} W_f(k-1-di', k-1-dj', c) dZ(f; r + di' - P, s + dj' - P)
// with P = k - 1 - p: the same sliding dot product, now over dZ padded with k - 1 - p
// zeros, with every filter flipped (rotated by 180 degrees) and the roles of filters and
// channels swapped. For p = 0 the padding is k - 1, and the flipped filter visits every
// position that overlaps dZ at all: the "full" correlation of dZ with the flipped filters.
//
// Speed: im2col and col2im are loops over raw memory. For a fixed filter row di, the k
// pixels under the filter are next to each other in the input, so their k C numbers are
// one contiguous run in X and in the column: each is one copy (or one addition) of a run,
// with zeros written where the run falls into the padding. The matrix products are single
// Armadillo expressions (one BLAS call each, transposes passed as flags), and cols, Z, A,
// dZ, dcols and dX are members, reused batch after batch while the batch size stays the
// same.
//
// Backward reads cols, the layer's own copy of the patches, not X. forward still takes X
// the way Dense::forward does (it keeps a pointer and refuses a temporary), so that a
// network passes its batch through both kinds of layer alike.
//
//   const nn::ImageShape image{1, 28, 28};
//   nn::Convolution<float> conv(image, 16, 3, 1, nn::Activation::relu);   // 28x28x16
//   conv.initialize(nn::Initializer::he(), rng);
//   const arma::fmat& A = conv.forward(X);       // X (784 x m), A (12544 x m)
//   const arma::fmat& dX = conv.backward(dA);    // fills conv.dW(), conv.db()
#pragma once

#include <algorithm>
#include <armadillo>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/dense.hpp"  // derivative_from_output
#include "common/image_shape.hpp"
#include "common/initializer.hpp"
#include "common/parameter.hpp"

namespace nn {

namespace detail {

// Throws std::invalid_argument unless a k x k filter with padding p fits an image of shape
// `in` (every size at least 1, p < k, k <= H + 2p and k <= W + 2p). `who` names the caller.
inline void check_convolution_sizes(const char* who, ImageShape in, arma::uword k,
                                    arma::uword p) {
  if (in.channels == 0 || in.height == 0 || in.width == 0)
    throw std::invalid_argument(std::string(who) + ": the image " + to_string(in) +
                                " has no pixels");
  if (k == 0) throw std::invalid_argument(std::string(who) + ": the kernel size must be >= 1");
  if (p >= k)
    throw std::invalid_argument(std::string(who) + ": the padding (" + std::to_string(p) +
                                ") must be smaller than the kernel size (" + std::to_string(k) +
                                "), or some outputs see only padding");
  if (k > in.height + 2 * p || k > in.width + 2 * p)
    throw std::invalid_argument(std::string(who) + ": a " + std::to_string(k) + "x" +
                                std::to_string(k) + " filter does not fit a " + to_string(in) +
                                " image padded by " + std::to_string(p));
}

// The k filter positions (di or dj) of output row i (or column j) that fall inside an
// image of n rows (or columns) padded by p: those with 0 <= i + d - p < n, which is
// first <= d < last. Non-empty when p < k and the filter fits.
struct InsideRange {
  arma::uword first, last;
};
inline InsideRange inside(arma::uword i, arma::uword n, arma::uword k, arma::uword p) {
  return {i < p ? p - i : 0, std::min(k, n + p - i)};
}

}  // namespace detail

// [listing im2col]
// X (C H W x m) -> cols (k k C x H'W' m), H' = H + 2p - k + 1, W' = W + 2p - k + 1.
// Column q H'W' + i W' + j of cols is the patch under output pixel (i, j) of sample q;
// its row (di k + dj) C + c is input pixel (i + di - p, j + dj - p), channel c, or 0 where
// that falls in the padding. cols is resized only when its shape changes.
template <typename Real>
void im2col(const arma::Mat<Real>& X, ImageShape in, arma::uword k, arma::uword p,
            arma::Mat<Real>& cols) {
  detail::check_convolution_sizes("im2col", in, k, p);
  if (X.n_rows != in.size())
    throw std::invalid_argument("im2col: X has " + std::to_string(X.n_rows) + " rows, a " +
                                to_string(in) + " image has " + std::to_string(in.size()));
  const arma::uword C = in.channels, H = in.height, W = in.width, m = X.n_cols;
  const arma::uword Hout = H + 2 * p - k + 1, Wout = W + 2 * p - k + 1;
  const arma::uword run = k * C;  // one filter row: k pixels of C channels
  cols.set_size(k * run, Hout * Wout * m);
  Real* patch = cols.memptr();  // the column being filled
  for (arma::uword q = 0; q < m; ++q) {
    const Real* image = X.colptr(q);
    for (arma::uword i = 0; i < Hout; ++i) {
      const detail::InsideRange di_in = detail::inside(i, H, k, p);  // di inside the image
      for (arma::uword j = 0; j < Wout; ++j, patch += k * run) {
        const detail::InsideRange dj_in = detail::inside(j, W, k, p);  // dj inside
        const arma::uword before = dj_in.first * C, after = dj_in.last * C;
        for (arma::uword di = 0; di < k; ++di) {
          Real* to = patch + di * run;  // rows (di k + dj) C + c, dj < k, c < C
          if (di < di_in.first || di >= di_in.last) {
            std::fill(to, to + run, Real(0));  // the whole filter row is in the padding
            continue;
          }
          // Pixels (i + di - p, j + dj - p) for dj in [first, last): one run in X.
          const Real* from = image + in.index(i + di - p, j + dj_in.first - p, 0);
          std::fill(to, to + before, Real(0));
          std::copy(from, from + (after - before), to + before);
          std::fill(to + after, to + run, Real(0));
        }
      }
    }
  }
}
// [end im2col]

// [listing col2im]
// The adjoint of im2col: dcols (k k C x H'W' m) -> dX (C H W x m), every entry of dcols
// added onto the input pixel im2col copied it from (entries from the padding are dropped).
// dX is resized only when its shape changes.
template <typename Real>
void col2im(const arma::Mat<Real>& dcols, ImageShape in, arma::uword k, arma::uword p,
            arma::uword m, arma::Mat<Real>& dX) {
  detail::check_convolution_sizes("col2im", in, k, p);
  const arma::uword C = in.channels, H = in.height, W = in.width;
  const arma::uword Hout = H + 2 * p - k + 1, Wout = W + 2 * p - k + 1;
  const arma::uword run = k * C;
  if (dcols.n_rows != k * run || dcols.n_cols != Hout * Wout * m)
    throw std::invalid_argument("col2im: dcols is " + std::to_string(dcols.n_rows) + " x " +
                                std::to_string(dcols.n_cols) + ", expected " +
                                std::to_string(k * run) + " x " +
                                std::to_string(Hout * Wout * m));
  dX.zeros(in.size(), m);
  const Real* patch = dcols.memptr();
  for (arma::uword q = 0; q < m; ++q) {
    Real* image = dX.colptr(q);
    for (arma::uword i = 0; i < Hout; ++i) {
      const detail::InsideRange di_in = detail::inside(i, H, k, p);  // di inside the image
      for (arma::uword j = 0; j < Wout; ++j, patch += k * run) {
        const detail::InsideRange dj_in = detail::inside(j, W, k, p);  // dj inside
        const arma::uword before = dj_in.first * C, after = dj_in.last * C;
        for (arma::uword di = di_in.first; di < di_in.last; ++di) {
          const Real* from = patch + di * run + before;
          Real* to = image + in.index(i + di - p, j + dj_in.first - p, 0);
          for (arma::uword t = 0; t < after - before; ++t) to[t] += from[t];
        }
      }
    }
  }
}
// [end col2im]

template <typename Real>
class Convolution {
 public:
  using Matrix = arma::Mat<Real>;
  using Vector = arma::Col<Real>;

  // The parameters, public like Dense's. Keep their shapes:
  // W (F x k k C): row f is filter f, entry (di k + dj) C + c;  b (F).
  Matrix W;
  Vector b;

  // F = n_filters filters of kernel_size x kernel_size pixels over the input's channels,
  // zero padding `padding` on every side, activation g. W and b start at zero; call
  // initialize() before training. Throws std::invalid_argument for a size of 0, a padding
  // of k or more, or a filter larger than the padded image.
  Convolution(ImageShape input, arma::uword n_filters, arma::uword kernel_size,
              arma::uword padding, Activation g)
      : in_(input),
        out_(output_of(input, n_filters, kernel_size, padding)),
        k_(kernel_size),
        p_(padding),
        g_(g) {
    W.zeros(n_filters, kernel_size * kernel_size * input.channels);
    b.zeros(n_filters);
  }

  ImageShape input_shape() const { return in_; }
  ImageShape output_shape() const { return out_; }  // {F, H', W'}
  arma::uword n_inputs() const { return in_.size(); }
  arma::uword n_outputs() const { return out_.size(); }
  arma::uword n_filters() const { return out_.channels; }
  arma::uword kernel_size() const { return k_; }
  arma::uword padding() const { return p_; }
  Activation activation() const { return g_; }

  // W as init says, with the fan-in of one output, k k C inputs (and fan-out F); b = 0.
  void initialize(const Initializer& init, std::mt19937_64& rng) {
    nn::initialize(W, init, rng);
    b.zeros();
  }

  // [listing convolution_forward]
  // cols = im2col(X), Z = W cols + b, A = g(Z). X is (C H W x m); returns A (F H'W' x m).
  // Keeps a pointer to X for backward.
  const Matrix& forward(const Matrix& X) {
    check_input(X);
    X_.X = &X;
    im2col(X, in_, k_, p_, cols_);  // (k k C x H'W' m)
    Z_ = W * cols_;                 // (F x H'W' m): one column per output pixel
    Z_.each_col() += b;
    Z_.reshape(out_.size(), X.n_cols);  // (F H'W' x m): the same memory, one image a column
    activate_into_A();                  // A = g(Z)
    return A_;
  }
  // [end convolution_forward]
  const Matrix& forward(const Matrix&& X) = delete;  // X must outlive backward: no temporaries

  // [listing convolution_backward]
  // dZ = dA % g'(Z), seen as (F x H'W' m); dW = dZ cols^T, db = dZ 1. dA (F H'W' x m) is
  // the gradient of the (batch-mean) loss with respect to this forward's A.
  void compute_gradients(const Matrix& dA) {
    check_gradient(dA);
    derivative_into_dZ(dA);                    // dZ = dA % g'(Z)  (F H'W' x m)
    dZ_.reshape(out_.channels, cols_.n_cols);  // (F x H'W' m), nothing moves
    dW_ = dZ_ * cols_.t();                     // (F x k k C)
    db_ = arma::sum(dZ_, 1);                   // (F)
  }

  // compute_gradients(dA), then dcols = W^T dZ and dX = col2im(dcols) (C H W x m), the dA
  // of the layer before.
  const Matrix& backward(const Matrix& dA) {
    compute_gradients(dA);
    dcols_ = W.t() * dZ_;  // (k k C x H'W' m)
    col2im(dcols_, in_, k_, p_, dA.n_cols, dX_);
    return dX_;
  }
  // [end convolution_backward]

  // The caches of the last forward and backward (empty before the first one).
  const Matrix& Z() const { return Z_; }  // (F H'W' x m)
  const Matrix& A() const { return A_; }  // (F H'W' x m)
  const Matrix& dW() const { return dW_; }
  const Vector& db() const { return db_; }
  const Matrix& dX() const { return dX_; }

  // {W<suffix>, dW} and {b<suffix>, db}, for an optimiser, sized here (to zero) so the list
  // is valid before the first backward.
  std::vector<Parameter<Real>> parameters(const std::string& suffix = "") {
    if (dW_.n_rows != W.n_rows || dW_.n_cols != W.n_cols) dW_.zeros(W.n_rows, W.n_cols);
    if (db_.n_elem != b.n_elem) db_.zeros(b.n_elem);
    return {{"W" + suffix, &W, &dW_, true}, {"b" + suffix, &b, &db_, false}};
  }

 private:
  static ImageShape output_of(ImageShape in, arma::uword F, arma::uword k, arma::uword p) {
    detail::check_convolution_sizes("Convolution", in, k, p);
    if (F == 0) throw std::invalid_argument("Convolution: a layer needs at least one filter");
    return {F, in.height + 2 * p - k + 1, in.width + 2 * p - k + 1};
  }

  // A = g(Z) and dZ = dA % g'(Z) (g' from A, as derivative_from_output in dense.hpp),
  // written into the layer's own A and dZ. activate and derivative_from_output return new
  // matrices, and for a batch of images those are megabytes allocated (and page-faulted)
  // twice a batch, so relu, the activation of chapter 12's convolutions, is a loop here
  // that gives the same numbers. The other activations call the two functions.
  void activate_into_A() {
    if (g_ != Activation::relu) {
      A_ = activate(g_, Z_);
      return;
    }
    A_.set_size(Z_.n_rows, Z_.n_cols);
    const Real* z = Z_.memptr();
    Real* a = A_.memptr();
    for (arma::uword e = 0; e < Z_.n_elem; ++e) a[e] = z[e] > Real(0) ? z[e] : Real(0);
  }
  void derivative_into_dZ(const Matrix& dA) {
    if (g_ != Activation::relu) {
      dZ_ = dA % derivative_from_output(g_, A_);
      return;
    }
    dZ_.set_size(dA.n_rows, dA.n_cols);
    const Real* a = A_.memptr();
    const Real* da = dA.memptr();
    Real* dz = dZ_.memptr();
    for (arma::uword e = 0; e < dA.n_elem; ++e) {
      const Real d = da[e];  // read unconditionally, so the compiler can vectorise the loop
      dz[e] = a[e] > Real(0) ? d : Real(0);
    }
  }

  void check_input(const Matrix& X) const {
    if (X.n_rows != in_.size())
      throw std::invalid_argument("Convolution::forward: X has " + std::to_string(X.n_rows) +
                                  " rows, the layer expects " + std::to_string(in_.size()) +
                                  " (a " + to_string(in_) + " image)");
    if (W.n_rows != out_.channels || W.n_cols != k_ * k_ * in_.channels ||
        b.n_elem != out_.channels)
      throw std::invalid_argument("Convolution::forward: W must be " +
                                  std::to_string(out_.channels) + " x " +
                                  std::to_string(k_ * k_ * in_.channels) + " and b have " +
                                  std::to_string(out_.channels) + " entries");
  }

  void check_gradient(const Matrix& dA) const {
    if (X_.X == nullptr)
      throw std::logic_error("Convolution::backward: call forward first (on this same layer)");
    if (dA.n_rows != A_.n_rows || dA.n_cols != A_.n_cols)
      throw std::invalid_argument("Convolution::backward: dA must have the shape of A (" +
                                  std::to_string(A_.n_rows) + " x " +
                                  std::to_string(A_.n_cols) + ")");
  }

  // The pointer to forward's input; a copied layer has not seen an input (as in Dense).
  struct InputRef {
    const Matrix* X = nullptr;
    InputRef() = default;
    InputRef(const InputRef&) {}
    InputRef& operator=(const InputRef&) {
      X = nullptr;
      return *this;
    }
  };

  ImageShape in_, out_;
  arma::uword k_, p_;
  Activation g_;
  InputRef X_;
  Matrix cols_, Z_, A_, dZ_, dW_, dcols_, dX_;
  Vector db_;
};

}  // namespace nn
