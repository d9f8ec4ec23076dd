// batches.hpp: mini-batches, a new random order of the samples every epoch.
//
// Stochastic gradient descent takes a step after each small batch of samples instead of
// after the whole data set. Shuffling the order each epoch keeps the batches different from
// one epoch to the next, so their gradients' errors do not repeat.
//
//   epoch_order(N, seed, epoch)   a permutation of 0..N-1 that depends only on (seed, epoch):
//                                 reproducible, and epoch 7 can be replayed without 0..6.
//   gather_columns(X, idx, out)   out = the columns idx of X, into a reused buffer.
//   MiniBatches<Real>             both together over a data set (X, t) of N samples:
//
//   nn::MiniBatches<float> batches(train.X, train.t, 64, seed);   // keeps references
//   for (arma::uword epoch = 0; epoch < epochs; ++epoch) {
//     batches.shuffle(epoch);
//     for (arma::uword k = 0; k < batches.count(); ++k) {
//       batches.gather(k);                  // batches.X() is (features x 64), batches.t()
//       const arma::fmat& Z = net.forward(batches.X()); ...
//     }
//   }
//
// Every sample is in exactly one batch per epoch. When the batch size does not divide N,
// the last batch is smaller (N mod batch_size samples), so no sample is left out; the
// buffers are resized for it and back, twice per epoch.
//
// Images can stay bytes: MiniBatches<float, unsigned char> keeps pixels 0..255 (a quarter
// of the memory of floats, 47 MB for Fashion-MNIST's 60,000 images) and converts only the
// batch it gathers, to floats in [0, 1]: X() = pixels / 255, one IEEE division per pixel
// (rounded as PyTorch's x / 255.0 is).
//
// The shuffle is our own Fisher-Yates on std::mt19937_64 (whose output the C++ standard
// fixes), not std::shuffle (whose algorithm each standard library picks), so the order is
// the same with every compiler.
#pragma once

#include <algorithm>
#include <armadillo>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace nn {

// A permutation of 0..N-1 for this (seed, epoch).
inline arma::uvec epoch_order(arma::uword N, std::uint64_t seed, arma::uword epoch) {
  std::seed_seq seq{std::uint32_t(seed), std::uint32_t(seed >> 32), std::uint32_t(epoch),
                    std::uint32_t(std::uint64_t(epoch) >> 32)};
  std::mt19937_64 rng(seq);
  arma::uvec order = arma::regspace<arma::uvec>(0, 1, N == 0 ? 0 : N - 1);
  if (N == 0) order.reset();
  // Fisher-Yates: for i = N-1 down to 1 swap order[i] with order[j], j uniform in 0..i.
  for (arma::uword i = N; i-- > 1;) {
    const std::uint64_t range = std::uint64_t(i) + 1;
    // Uniform in 0..i by rejection: drop the top values that would favour small j.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    std::uint64_t r;
    do r = rng();
    while (r >= limit);
    std::swap(order(i), order(r % range));
  }
  return order;
}

// out (X.n_rows x idx.n_elem) = X's columns idx[0], idx[1], ... (out is resized only when
// its shape changes). Throws for an index outside X.
template <typename Real>
void gather_columns(const arma::Mat<Real>& X, const arma::uvec& idx, arma::Mat<Real>& out) {
  out.set_size(X.n_rows, idx.n_elem);
  for (arma::uword j = 0; j < idx.n_elem; ++j) {
    if (idx(j) >= X.n_cols)
      throw std::invalid_argument("gather_columns: column " + std::to_string(idx(j)) + " of " +
                                  std::to_string(X.n_cols));
    std::copy_n(X.colptr(idx(j)), X.n_rows, out.colptr(j));
  }
}

// Real: the batch's element type. Stored: the data set's, Real itself or unsigned char
// (pixels).
template <typename Real, typename Stored = Real>
class MiniBatches {
  static_assert(
      std::is_same_v<Stored, Real> ||
          (std::is_same_v<Stored, unsigned char> && std::is_floating_point_v<Real>),
      "MiniBatches: the data set holds Real itself, or bytes gathered as float/double");

 public:
  // X (features x N), t (N) the targets (labels). Both are kept by reference: they must
  // outlive this.
  MiniBatches(const arma::Mat<Stored>& X, const arma::uvec& t, arma::uword batch_size,
              std::uint64_t seed)
      : X_(X), t_(t), batch_size_(batch_size), seed_(seed) {
    if (t.n_elem != X.n_cols)
      throw std::invalid_argument("MiniBatches: " + std::to_string(t.n_elem) + " labels for " +
                                  std::to_string(X.n_cols) + " samples");
    if (batch_size == 0) throw std::invalid_argument("MiniBatches: batch size must be > 0");
    if (X.n_cols == 0) throw std::invalid_argument("MiniBatches: no samples");
    order_ = arma::regspace<arma::uvec>(0, 1, X.n_cols - 1);
  }
  MiniBatches(const arma::Mat<Stored>&&, const arma::uvec&, arma::uword,
              std::uint64_t) = delete;
  MiniBatches(const arma::Mat<Stored>&, const arma::uvec&&, arma::uword,
              std::uint64_t) = delete;

  // Uses epoch_order(N, seed, epoch) for the following gathers. Before the first shuffle
  // the order is 0, 1, ..., N-1.
  void shuffle(arma::uword epoch) { order_ = epoch_order(X_.n_cols, seed_, epoch); }

  arma::uword count() const { return (X_.n_cols + batch_size_ - 1) / batch_size_; }
  arma::uword batch_size() const { return batch_size_; }
  arma::uword n_samples() const { return X_.n_cols; }

  // Fills X() and t() with batch k (0 <= k < count()) of the current order.
  void gather(arma::uword k) {
    if (k >= count())
      throw std::out_of_range("MiniBatches::gather: batch " + std::to_string(k) + " of " +
                              std::to_string(count()));
    const arma::uword first = k * batch_size_;
    const arma::uword size = std::min(batch_size_, X_.n_cols - first);
    X_batch_.set_size(X_.n_rows, size);
    t_batch_.set_size(size);
    for (arma::uword j = 0; j < size; ++j) {
      const arma::uword c = order_(first + j);
      const Stored* from = X_.colptr(c);
      Real* to = X_batch_.colptr(j);
      if constexpr (std::is_same_v<Stored, Real>)
        std::copy_n(from, X_.n_rows, to);
      else  // a pixel byte to [0, 1]
        for (arma::uword p = 0; p < X_.n_rows; ++p) to[p] = Real(from[p]) / Real(255);
      t_batch_(j) = t_(c);
    }
    indices_ = order_.subvec(first, first + size - 1);
  }

  const arma::Mat<Real>& X() const { return X_batch_; }   // (features x m)
  const arma::uvec& t() const { return t_batch_; }        // (m): the batch's targets
  const arma::uvec& indices() const { return indices_; }  // which samples batch k holds
  const arma::uvec& order() const { return order_; }      // the current epoch's order

 private:
  const arma::Mat<Stored>& X_;
  const arma::uvec& t_;
  arma::uword batch_size_;
  std::uint64_t seed_;
  arma::uvec order_, t_batch_, indices_;
  arma::Mat<Real> X_batch_;
};

}  // namespace nn
