// loss.hpp: the third of training's five parts, one number saying how wrong the network is,
// and its gradient, where backpropagation starts.
//
// Every loss is a MEAN (over the batch, and for MSE and BCE over the outputs too), so its
// value and the learning rate that suits it do not depend on the batch size. Each comes in
// two forms: loss(...) returns the value; loss(..., dOut) also writes the gradient with
// respect to its first argument into dOut (resized only when its shape changes, so a
// training loop allocates nothing). Values are accumulated in double for float inputs too.
//
//   softmax_cross_entropy(Z, y, dZ)  K classes. Z (K x batch) are LOGITS (the output layer
//                                    uses Activation::identity); y (batch) holds labels
//                                    0..K-1. L = mean_j -log softmax(z_j)[y_j],
//                                    dZ = (P - Y) / batch, P = softmax(Z), Y = one_hot(y).
//   mean_squared_error(A, Y, dA)     L = mean over all entries of (A - Y)^2,
//                                    dA = 2 (A - Y) / (number of entries).
//   binary_cross_entropy_with_logits(Z, Y, dZ)
//                                    Y in [0, 1] (usually 0/1), Z LOGITS (identity output,
//                                    the sigmoid lives here): with p = sigmoid(z),
//                                    L = mean over all entries of -(y log p + (1-y) log(1-p))
//                                      = mean of max(z, 0) - z y + log(1 + e^-|z|),
//                                    dZ = (sigmoid(Z) - Y) / (number of entries).
//
// Why logits: softmax and sigmoid saturate. Computed from probabilities, log(p) of a p that
// rounded to 0 is -inf. Computed from logits with the log-sum-exp trick,
//   log sum_k e^{z_k} = m + log sum_k e^{z_k - m},  m = max_k z_k,
// no exponential overflows (the largest term is e^0 = 1) and the loss stays finite even for
// logits of 1000. The gradients also come out simple: P - Y.
#pragma once

#include <algorithm>
#include <armadillo>
#include <cmath>
#include <stdexcept>
#include <string>

namespace nn {

namespace detail {
template <typename T>
void check_labels(const arma::Mat<T>& Z, const arma::uvec& y, const char* who) {
  if (y.n_elem != Z.n_cols)
    throw std::invalid_argument(std::string(who) + ": " + std::to_string(y.n_elem) +
                                " labels for " + std::to_string(Z.n_cols) + " samples");
  if (Z.n_cols == 0) throw std::invalid_argument(std::string(who) + ": empty batch");
  for (arma::uword j = 0; j < y.n_elem; ++j)
    if (y(j) >= Z.n_rows)
      throw std::invalid_argument(std::string(who) + ": label " + std::to_string(y(j)) +
                                  " out of range for " + std::to_string(Z.n_rows) + " classes");
}

template <typename T>
void check_same_shape(const arma::Mat<T>& A, const arma::Mat<T>& Y, const char* who) {
  if (A.n_rows != Y.n_rows || A.n_cols != Y.n_cols)
    throw std::invalid_argument(std::string(who) + ": prediction and target shapes differ");
  if (A.n_elem == 0) throw std::invalid_argument(std::string(who) + ": empty batch");
}

// [listing softmax_cross_entropy]
// log sum_k e^{z_k} of one column, shifted by its maximum so nothing overflows.
template <typename T>
double log_sum_exp(const T* z, arma::uword K) {
  const double m = *std::max_element(z, z + K);
  double s = 0.0;
  for (arma::uword k = 0; k < K; ++k) s += std::exp(double(z[k]) - m);
  return m + std::log(s);
}

template <typename T>
double softmax_cross_entropy(const arma::Mat<T>& Z, const arma::uvec& y, arma::Mat<T>* dZ) {
  check_labels(Z, y, "softmax_cross_entropy");
  const arma::uword K = Z.n_rows, n = Z.n_cols;
  if (dZ != nullptr) dZ->set_size(K, n);
  const double inv_n = 1.0 / double(n);
  double total = 0.0;
  for (arma::uword j = 0; j < n; ++j) {
    const T* z = Z.colptr(j);
    const double lse = log_sum_exp(z, K);
    total += lse - double(z[y(j)]);  // -log P_y = -(z_y - lse)
    if (dZ != nullptr) {
      T* dz = dZ->colptr(j);
      for (arma::uword k = 0; k < K; ++k) dz[k] = T(std::exp(double(z[k]) - lse) * inv_n);
      dz[y(j)] -= T(inv_n);  // (P - Y) / n
    }
  }
  return total * inv_n;
}
// [end softmax_cross_entropy]
}  // namespace detail

// ---------------------------------------------------------------------------------------
// Softmax and cross-entropy (K classes)
// ---------------------------------------------------------------------------------------

// P = softmax(Z) column by column: P_kj = e^{Z_kj} / sum_i e^{Z_ij}. P is written into the
// buffer (resized when needed); each column of P sums to 1.
template <typename T>
void softmax(const arma::Mat<T>& Z, arma::Mat<T>& P) {
  P.set_size(Z.n_rows, Z.n_cols);
  for (arma::uword j = 0; j < Z.n_cols; ++j) {
    const T* z = Z.colptr(j);
    const double lse = detail::log_sum_exp(z, Z.n_rows);
    T* p = P.colptr(j);
    for (arma::uword k = 0; k < Z.n_rows; ++k) p[k] = T(std::exp(double(z[k]) - lse));
  }
}
template <typename T>
arma::Mat<T> softmax(const arma::Mat<T>& Z) {
  arma::Mat<T> P;
  softmax(Z, P);
  return P;
}

// Y (K x n) with Y(y_j, j) = 1 and zeros elsewhere. Throws for a label >= K.
template <typename T = double>
arma::Mat<T> one_hot(const arma::uvec& y, arma::uword K) {
  arma::Mat<T> Y(K, y.n_elem, arma::fill::zeros);
  for (arma::uword j = 0; j < y.n_elem; ++j) {
    if (y(j) >= K)
      throw std::invalid_argument("one_hot: label " + std::to_string(y(j)) +
                                  " out of range for " + std::to_string(K) + " classes");
    Y(y(j), j) = T(1);
  }
  return Y;
}

// The mean cross-entropy of softmax(Z) against the labels y. Z (K x n) are logits.
template <typename T>
double softmax_cross_entropy(const arma::Mat<T>& Z, const arma::uvec& y) {
  return detail::softmax_cross_entropy<T>(Z, y, nullptr);
}
// The same, and dZ = (softmax(Z) - one_hot(y)) / n, the gradient with respect to Z.
template <typename T>
double softmax_cross_entropy(const arma::Mat<T>& Z, const arma::uvec& y, arma::Mat<T>& dZ) {
  return detail::softmax_cross_entropy<T>(Z, y, &dZ);
}

// ---------------------------------------------------------------------------------------
// Mean squared error
// ---------------------------------------------------------------------------------------

// mean over all entries of (A - Y)^2; with dA, also dA = 2 (A - Y) / A.n_elem.
template <typename T>
double mean_squared_error(const arma::Mat<T>& A, const arma::Mat<T>& Y) {
  detail::check_same_shape(A, Y, "mean_squared_error");
  double total = 0.0;
  for (arma::uword k = 0; k < A.n_elem; ++k) {
    const double e = double(A(k)) - double(Y(k));
    total += e * e;
  }
  return total / double(A.n_elem);
}
template <typename T>
double mean_squared_error(const arma::Mat<T>& A, const arma::Mat<T>& Y, arma::Mat<T>& dA) {
  const double loss = mean_squared_error(A, Y);
  dA.set_size(A.n_rows, A.n_cols);
  const T scale = T(2.0 / double(A.n_elem));
  for (arma::uword k = 0; k < A.n_elem; ++k) dA(k) = scale * (A(k) - Y(k));
  return loss;
}

// ---------------------------------------------------------------------------------------
// Binary cross-entropy, from logits
// ---------------------------------------------------------------------------------------

// mean over all entries of -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))), computed as
// max(z, 0) - z y + log(1 + e^-|z|), which never takes the log of 0. Z are logits.
template <typename T>
double binary_cross_entropy_with_logits(const arma::Mat<T>& Z, const arma::Mat<T>& Y) {
  detail::check_same_shape(Z, Y, "binary_cross_entropy_with_logits");
  double total = 0.0;
  for (arma::uword k = 0; k < Z.n_elem; ++k) {
    const double z = Z(k), y = Y(k);
    total += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
  }
  return total / double(Z.n_elem);
}
// The same, and dZ = (sigmoid(Z) - Y) / Z.n_elem.
template <typename T>
double binary_cross_entropy_with_logits(const arma::Mat<T>& Z, const arma::Mat<T>& Y,
                                        arma::Mat<T>& dZ) {
  const double loss = binary_cross_entropy_with_logits(Z, Y);
  dZ.set_size(Z.n_rows, Z.n_cols);
  const double inv_n = 1.0 / double(Z.n_elem);
  for (arma::uword k = 0; k < Z.n_elem; ++k) {
    const double p = 1.0 / (1.0 + std::exp(-double(Z(k))));
    dZ(k) = T((p - double(Y(k))) * inv_n);
  }
  return loss;
}

}  // namespace nn
