// fast_path.hpp: the benchmark's fast training step, fenced off from the teaching library.
// ===========================================================================================
// The chapters train with common/: nn::Dense, nn::Network and nn::Momentum, written as the
// math. This file is what bench/fmnist_mlp.cpp adds on top to go faster, and nothing else
// uses it; no chapter text quotes it. Every piece says which plain function it equals, and
// tests/fast_path.cpp holds it to that function: bit for bit where the arithmetic is the
// same, or within a named tolerance where it is not. bench/README.md measures what each
// piece is worth.
//
//   piece                         equals (plain, in common/)
//   add_bias_and_relu             Z.each_col() += b;  A = activate(relu, Z)    (Dense)
//   relu_backward                 dZ = dA % derivative_from_output(relu, A)    (Dense)
//   accumulate_gradients          dW += dZ X^T;  db += sum(dZ, 1)
//   Network::forward / backward   nn::Network<Real>::forward / backward (relu + identity)
//   Network::momentum_step        nn::Momentum<Real>::step (no weight decay)
//   gather_batch                  nn::gather_batch (idx.hpp)
//   on_huge_pages                 a copy of the images
//
// Shapes as in common/dense.hpp: X (n_in x m), W (n_out x n_in), b (n_out),
// Z, A, dZ (n_out x m).
#pragma once

#include <armadillo>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "common/activation.hpp"
#include "common/idx.hpp"
#include "common/network.hpp"
#include "common/subnormals.hpp"

namespace nn::fast {

// ---------------------------------------------------------------------------------------
// Fused element-wise passes
// ---------------------------------------------------------------------------------------

// Equals Dense's `Z.each_col() += b; A = activate(Activation::relu, Z);` bit for bit: the
// same float additions, and max(z, 0) chosen the same way. One pass over Z instead of two,
// and no new matrix for A (A is resized only when its shape changes).
template <typename Real>
void add_bias_and_relu(arma::Mat<Real>& Z, const arma::Col<Real>& b, arma::Mat<Real>& A) {
  if (A.n_rows != Z.n_rows || A.n_cols != Z.n_cols) A.set_size(Z.n_rows, Z.n_cols);
  const Real* bias = b.memptr();
  for (arma::uword j = 0; j < Z.n_cols; ++j) {
    Real* z = Z.colptr(j);
    Real* a = A.colptr(j);
    for (arma::uword i = 0; i < Z.n_rows; ++i) {
      const Real zi = z[i] + bias[i];
      z[i] = zi;
      a[i] = zi > Real(0) ? zi : Real(0);
    }
  }
}

// Equals Dense's `dZ = dA % derivative_from_output(Activation::relu, A)`, that is
// dZ = dA where A > 0 and 0 elsewhere. The values are the same (== holds element by
// element; the plain product gives -0 where dA < 0 and A = 0, this gives +0). Written as
// a choice with dA read unconditionally, the loop compiles to vector compares and masks;
// as a product GCC emitted a branch per element that the processor mispredicts about half
// the time (whether a unit is active is close to a coin flip): 45 ms an epoch.
template <typename Real>
void relu_backward(const arma::Mat<Real>& dA, const arma::Mat<Real>& A, arma::Mat<Real>& dZ) {
  if (dZ.n_rows != A.n_rows || dZ.n_cols != A.n_cols) dZ.set_size(A.n_rows, A.n_cols);
  const Real* da = dA.memptr();
  const Real* a = A.memptr();
  Real* dz = dZ.memptr();
  for (arma::uword k = 0; k < dZ.n_elem; ++k) {
    const Real d = da[k];
    dz[k] = a[k] > Real(0) ? d : Real(0);
  }
}

// Equals `dW += dZ X^T; db += arma::sum(dZ, 1);` (the plain form computes dZ X^T into a
// new matrix and then adds it). Here the product adds itself onto dW inside one BLAS call
// (C <- A B + C costs what C <- A B costs) and the row sums are added straight into db,
// column by column, in the order arma::sum adds them. Whether BLAS rounds A B + C as
// fl(fl(A B) + C) depends on its kernel, so tests/fast_path.cpp allows
// kAccumulateTolerance (it measured 0 with five of OpenBLAS's kernels).
template <typename Real>
void accumulate_gradients(const arma::Mat<Real>& dZ, const arma::Mat<Real>& X,
                          arma::Mat<Real>& dW, arma::Col<Real>& db) {
  dW += dZ * X.t();  // one gemm with beta = 1
  if (dZ.n_cols == 0) return;
  arma::Col<Real> sums(dZ.colptr(0), dZ.n_rows);  // arma::sum(dZ, 1), column by column
  for (arma::uword j = 1; j < dZ.n_cols; ++j) {
    const Real* dz = dZ.colptr(j);
    Real* s = sums.memptr();
    for (arma::uword i = 0; i < dZ.n_rows; ++i) s[i] += dz[i];
  }
  db += sums;
}

// ---------------------------------------------------------------------------------------
// A network that keeps momentum's velocity in its gradient buffers
// ---------------------------------------------------------------------------------------

// Trains exactly as nn::Network<Real> + nn::Momentum<Real>(lr, mu) do (no weight decay), for
// networks whose hidden layers are ReLU and whose output layer is identity (logits). The
// difference is where momentum's velocity lives. nn::Momentum keeps v beside the gradient:
// per step it reads dtheta, v and theta and writes v and theta. Here the gradient buffer
// holds mu v, backward adds this batch's dtheta onto it (accumulate_gradients), which makes
// it v = mu v + dtheta, and momentum_step does theta -= lr v and leaves mu v behind: the
// buffer and theta read and written, one tensor fewer per step, and for the first layer two
// 800 KB buffers instead of three competing for the cache. Same additions in the same order
// (fl(mu v) + dtheta, then theta - lr v), so the same bits where BLAS rounds A B + C as
// fl(fl(A B) + C), except that a sum mu v + dtheta below 1.2e-38 is flushed to 0 by
// nn::Momentum's step and kept by this backward; tests/fast_path.cpp compares.
template <typename Real>
class Network {
 public:
  using Matrix = arma::Mat<Real>;
  using Vector = arma::Col<Real>;

  // Copies the layers' W and b from a teaching network (so both can start from the same
  // weights). Throws std::invalid_argument unless the hidden layers are relu and the last
  // is identity.
  explicit Network(const nn::Network<Real>& net) {
    for (std::size_t l = 0; l < net.n_layers(); ++l) {
      const nn::Dense<Real>& d = net.layer(l);
      const bool last = l + 1 == net.n_layers();
      const Activation want = last ? Activation::identity : Activation::relu;
      if (d.activation() != want)
        throw std::invalid_argument("fast::Network: layer " + std::to_string(l + 1) +
                                    " must be " + nn::to_string(want));
      Layer layer;
      layer.W = d.W;
      layer.b = d.b;
      layer.dW.zeros(d.W.n_rows, d.W.n_cols);  // mu v with v = 0
      layer.db.zeros(d.b.n_elem);
      layer.relu = !last;
      layers_.push_back(std::move(layer));
    }
    if (layers_.empty()) throw std::invalid_argument("fast::Network: no layers");
  }

  // Equals nn::Network<Real>::forward. X (n_in x m) must stay alive until backward.
  const Matrix& forward(const Matrix& X) {
    const Matrix* in = &X;
    for (Layer& layer : layers_) {
      layer.X = in;
      layer.Z = layer.W * (*in);
      if (layer.relu) {
        add_bias_and_relu(layer.Z, layer.b, layer.A);
        in = &layer.A;
      } else {
        layer.Z.each_col() += layer.b;  // identity: A = Z
        in = &layer.Z;
      }
    }
    return *in;
  }

  // Equals nn::Network<Real>::backward(dOut), except that each layer's gradient is added onto
  // its buffer (which holds mu v): afterwards the buffers hold v = mu v + dtheta.
  void backward(const Matrix& dOut) {
    const Matrix* dA = &dOut;
    for (std::size_t l = layers_.size(); l-- > 0;) {
      Layer& layer = layers_[l];
      const Matrix* dZ = dA;  // identity: dZ = dA
      if (layer.relu) {
        relu_backward(*dA, layer.A, layer.dZ);
        dZ = &layer.dZ;
      }
      accumulate_gradients(*dZ, *layer.X, layer.dW, layer.db);
      if (l > 0) {
        layer.dX = layer.W.t() * (*dZ);
        dA = &layer.dX;
      }
    }
  }

  // With v = the buffer: theta <- theta - lr v, then buffer <- mu v, for every W and b.
  // Equals nn::Momentum<Real>(lr, mu).step on the teaching network's parameters (see above).
  // Flushes subnormals to zero as nn::Optimizer::step does (common/subnormals.hpp); here the
  // decaying buffers also pass through the BLAS product, and without the flush an epoch
  // took 0.94-0.99 s instead of ~0.56 s (bench/README.md). The flush covers only the step:
  // the products of the next backward read the flushed values.
  void momentum_step(Real lr, Real mu) {
    [[maybe_unused]] const FlushSubnormals flush{};
    for (Layer& layer : layers_) {
      step(layer.W.memptr(), layer.dW.memptr(), layer.W.n_elem, lr, mu);
      step(layer.b.memptr(), layer.db.memptr(), layer.b.n_elem, lr, mu);
    }
  }

  std::size_t n_layers() const { return layers_.size(); }
  const Matrix& W(std::size_t l) const { return layers_.at(l).W; }
  const Vector& b(std::size_t l) const { return layers_.at(l).b; }

 private:
  struct Layer {
    Matrix W;
    Vector b;
    bool relu = false;
    const Matrix* X = nullptr;  // forward's input, for backward
    Matrix Z, A, dZ, dW, dX;    // dW and db hold mu v between steps
    Vector db;
  };

  static void step(Real* theta, Real* buffer, arma::uword n, Real lr, Real mu) {
    for (arma::uword k = 0; k < n; ++k) {
      const Real v = buffer[k];  // mu v_old + dtheta
      theta[k] -= lr * v;
      buffer[k] = mu * v;  // what the next backward adds its gradient onto
    }
  }

  std::vector<Layer> layers_;
};

// ---------------------------------------------------------------------------------------
// Reading a shuffled batch
// ---------------------------------------------------------------------------------------

// Equals nn::gather_batch(images, indices, X) bit for bit (the same conversion,
// byte / 255), and asks the processor to start loading the next image while it converts
// the current one. A shuffled batch's 64 images lie anywhere in 47 MB of pixels, so each
// one's first bytes come from main memory; overlapping the waits took the gather of an
// epoch from 62-67 to 40 ms (bench/README.md).
template <typename Real>
void gather_batch(const Images& images, const arma::uvec& indices, arma::Mat<Real>& X) {
  static_assert(std::is_floating_point_v<Real>, "gather_batch converts to float or double");
  const arma::uword d = images.pixels.n_rows;
  if (X.n_rows != d || X.n_cols != indices.n_elem) X.set_size(d, indices.n_elem);
  for (arma::uword j = 0; j < indices.n_elem; ++j) {
    const arma::uword i = indices[j];
    if (i >= images.count())
      throw std::out_of_range("gather_batch: image index " + std::to_string(i) +
                              " is out of range (there are " + std::to_string(images.count()) +
                              " images)");
#if defined(__GNUC__) || defined(__clang__)
    if (j + 1 < indices.n_elem && indices[j + 1] < images.count()) {
      const unsigned char* next = images.pixels.colptr(indices[j + 1]);
      for (arma::uword offset = 0; offset < d; offset += 64) __builtin_prefetch(next + offset);
    }
#endif
    const unsigned char* from = images.pixels.colptr(i);
    Real* to = X.colptr(j);
    for (arma::uword p = 0; p < d; ++p)
      to[p] = static_cast<Real>(from[p]) / static_cast<Real>(255);
  }
}

// Equals a copy of images (the same bytes), with the pixels in memory that Linux is asked
// to back with 2 MB pages (transparent huge pages, madvise(MADV_HUGEPAGE) before the
// first write). With 4 KB pages nearly every image of a shuffled batch also misses the
// TLB, the processor's cache of page addresses; the 47 MB of Fashion-MNIST take 11,500
// such pages and 24 huge ones. Measured: the gather 40 -> 25 ms an epoch. Only a hint:
// where it is refused, the copy is an ordinary one.
inline Images on_huge_pages(const Images& images) {
  Images copy;
  copy.rows = images.rows;
  copy.cols = images.cols;
  copy.pixels.set_size(images.pixels.n_rows, images.pixels.n_cols);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const std::uintptr_t page = 4096, start = std::uintptr_t(copy.pixels.memptr());
  const std::uintptr_t begin = (start + page - 1) / page * page;
  const std::uintptr_t end = (start + copy.pixels.n_elem) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
  if (images.pixels.n_elem > 0)
    std::memcpy(copy.pixels.memptr(), images.pixels.memptr(), images.pixels.n_elem);
  return copy;
}

}  // namespace nn::fast
