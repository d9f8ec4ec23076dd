// loss.hpp: the third of training's five parts, one number saying how wrong the network is,
// and its gradient, where backpropagation starts.
//
// Every loss is a MEAN (over the m samples of the batch, and for MSE and BCE over the outputs
// too), so its value and the learning rate that suits it do not depend on the batch size. Each
// comes in two forms: loss(...) returns the value; loss(..., dOut) also writes the gradient
// with respect to its first argument into dOut (resized only when its shape changes, so a
// training loop allocates nothing). The 1/m of the mean is in that gradient, so nothing after
// it divides by m again. Values are accumulated in double for float inputs too.
//
//   softmax_cross_entropy(Z, t, dZ)  K classes. Z (K x m) are LOGITS (the output layer
//                                    uses Activation::identity); t (m) holds the targets,
//                                    labels 0..K-1. L = mean over the samples of -ln p_t,
//                                    p_t = softmax(z)[t] for a sample's logits z, target t;
//                                    dZ = (P - T) / m, P = softmax(Z), T = one_hot(t).
//   mean_squared_error(A, T, dA)     L = mean over all entries of (A - T)^2 (no 1/2),
//                                    dA = 2 (A - T) / (number of entries).
//   binary_cross_entropy_with_logits(Z, T, dZ)
//                                    T in [0, 1] (usually 0/1), Z LOGITS (identity output,
//                                    the sigmoid lives here): with p = sigmoid(z),
//                                    L = mean over all entries of -(t ln p + (1-t) ln(1-p))
//                                      = mean of max(z, 0) - z t + ln(1 + e^-|z|),
//                                    dZ = (sigmoid(Z) - T) / (number of entries).
//
// Why logits: softmax and sigmoid saturate. Computed from probabilities, ln(p) of a p that
// rounded to 0 is -inf. Computed from logits with the log-sum-exp trick,
//   ln sum_k e^{z_k} = c + ln sum_k e^{z_k - c},  c = max_k z_k,
// no exponential overflows (the largest term is e^0 = 1) and the loss stays finite even for
// logits of 1000. The gradients also come out simple: P - T.
#pragma once

#include <algorithm>
#include <armadillo>
#include <cmath>
#include <stdexcept>
#include <string>

namespace nn {

namespace detail {
template <typename Real>
void check_labels(const arma::Mat<Real>& Z, const arma::uvec& t, const char* who) {
  if (t.n_elem != Z.n_cols)
    throw std::invalid_argument(std::string(who) + ": " + std::to_string(t.n_elem) +
                                " labels for " + std::to_string(Z.n_cols) + " samples");
  if (Z.n_cols == 0) throw std::invalid_argument(std::string(who) + ": empty batch");
  for (arma::uword s = 0; s < t.n_elem; ++s)
    if (t(s) >= Z.n_rows)
      throw std::invalid_argument(std::string(who) + ": label " + std::to_string(t(s)) +
                                  " out of range for " + std::to_string(Z.n_rows) + " classes");
}

template <typename Real>
void check_same_shape(const arma::Mat<Real>& A, const arma::Mat<Real>& T, const char* who) {
  if (A.n_rows != T.n_rows || A.n_cols != T.n_cols)
    throw std::invalid_argument(std::string(who) + ": prediction and target shapes differ");
  if (A.n_elem == 0) throw std::invalid_argument(std::string(who) + ": empty batch");
}

// [listing softmax_cross_entropy]
// ln sum_k e^{z_k} of one column, shifted by its maximum c so nothing overflows.
template <typename Real>
double log_sum_exp(const Real* z, arma::uword K) {
  const double c = *std::max_element(z, z + K);
  double sum = 0.0;
  for (arma::uword k = 0; k < K; ++k) sum += std::exp(double(z[k]) - c);
  return c + std::log(sum);
}

template <typename Real>
double softmax_cross_entropy(const arma::Mat<Real>& Z, const arma::uvec& t,
                             arma::Mat<Real>* dZ) {
  check_labels(Z, t, "softmax_cross_entropy");
  const arma::uword K = Z.n_rows, m = Z.n_cols;
  if (dZ != nullptr) dZ->set_size(K, m);
  const double inv_m = 1.0 / double(m);
  double total = 0.0;
  for (arma::uword s = 0; s < m; ++s) {
    const Real* z = Z.colptr(s);
    const double lse = log_sum_exp(z, K);
    total += lse - double(z[t(s)]);  // -ln p_t = -(z_t - lse)
    if (dZ != nullptr) {
      Real* dz = dZ->colptr(s);
      for (arma::uword k = 0; k < K; ++k) dz[k] = Real(std::exp(double(z[k]) - lse) * inv_m);
      dz[t(s)] -= Real(inv_m);  // (P - T) / m
    }
  }
  return total * inv_m;
}
// [end softmax_cross_entropy]
}  // namespace detail

// ---------------------------------------------------------------------------------------
// Softmax and cross-entropy (K classes)
// ---------------------------------------------------------------------------------------

// P = softmax(Z) column by column: P_kj = e^{Z_kj} / sum_i e^{Z_ij}. P is written into the
// buffer (resized when needed); each column of P sums to 1.
template <typename Real>
void softmax(const arma::Mat<Real>& Z, arma::Mat<Real>& P) {
  P.set_size(Z.n_rows, Z.n_cols);
  for (arma::uword j = 0; j < Z.n_cols; ++j) {
    const Real* z = Z.colptr(j);
    const double lse = detail::log_sum_exp(z, Z.n_rows);
    Real* p = P.colptr(j);
    for (arma::uword k = 0; k < Z.n_rows; ++k) p[k] = Real(std::exp(double(z[k]) - lse));
  }
}
template <typename Real>
arma::Mat<Real> softmax(const arma::Mat<Real>& Z) {
  arma::Mat<Real> P;
  softmax(Z, P);
  return P;
}

// T (K x m) with T(t_s, s) = 1 and zeros elsewhere. Throws for a label >= K.
template <typename Real = double>
arma::Mat<Real> one_hot(const arma::uvec& t, arma::uword K) {
  arma::Mat<Real> T(K, t.n_elem, arma::fill::zeros);
  for (arma::uword s = 0; s < t.n_elem; ++s) {
    if (t(s) >= K)
      throw std::invalid_argument("one_hot: label " + std::to_string(t(s)) +
                                  " out of range for " + std::to_string(K) + " classes");
    T(t(s), s) = Real(1);
  }
  return T;
}

// The mean cross-entropy of softmax(Z) against the targets t. Z (K x m) are logits.
template <typename Real>
double softmax_cross_entropy(const arma::Mat<Real>& Z, const arma::uvec& t) {
  return detail::softmax_cross_entropy<Real>(Z, t, nullptr);
}
// The same, and dZ = (softmax(Z) - one_hot(t)) / m, the gradient with respect to Z.
template <typename Real>
double softmax_cross_entropy(const arma::Mat<Real>& Z, const arma::uvec& t,
                             arma::Mat<Real>& dZ) {
  return detail::softmax_cross_entropy<Real>(Z, t, &dZ);
}

// ---------------------------------------------------------------------------------------
// Mean squared error
// ---------------------------------------------------------------------------------------

// mean over all entries of (A - T)^2 (no 1/2); with dA, also dA = 2 (A - T) / A.n_elem.
template <typename Real>
double mean_squared_error(const arma::Mat<Real>& A, const arma::Mat<Real>& T) {
  detail::check_same_shape(A, T, "mean_squared_error");
  double total = 0.0;
  for (arma::uword k = 0; k < A.n_elem; ++k) {
    const double e = double(A(k)) - double(T(k));
    total += e * e;
  }
  return total / double(A.n_elem);
}
template <typename Real>
double mean_squared_error(const arma::Mat<Real>& A, const arma::Mat<Real>& T,
                          arma::Mat<Real>& dA) {
  const double loss = mean_squared_error(A, T);
  dA.set_size(A.n_rows, A.n_cols);
  const Real scale = Real(2.0 / double(A.n_elem));
  for (arma::uword k = 0; k < A.n_elem; ++k) dA(k) = scale * (A(k) - T(k));
  return loss;
}

// ---------------------------------------------------------------------------------------
// Binary cross-entropy, from logits
// ---------------------------------------------------------------------------------------

// mean over all entries of -(t ln sigmoid(z) + (1 - t) ln(1 - sigmoid(z))), computed as
// max(z, 0) - z t + ln(1 + e^-|z|), which never takes the ln of 0. Z are logits.
template <typename Real>
double binary_cross_entropy_with_logits(const arma::Mat<Real>& Z, const arma::Mat<Real>& T) {
  detail::check_same_shape(Z, T, "binary_cross_entropy_with_logits");
  double total = 0.0;
  for (arma::uword k = 0; k < Z.n_elem; ++k) {
    const double z = Z(k), t = T(k);
    total += std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z)));
  }
  return total / double(Z.n_elem);
}
// The same, and dZ = (sigmoid(Z) - T) / Z.n_elem.
template <typename Real>
double binary_cross_entropy_with_logits(const arma::Mat<Real>& Z, const arma::Mat<Real>& T,
                                        arma::Mat<Real>& dZ) {
  const double loss = binary_cross_entropy_with_logits(Z, T);
  dZ.set_size(Z.n_rows, Z.n_cols);
  const double inv_count = 1.0 / double(Z.n_elem);
  for (arma::uword k = 0; k < Z.n_elem; ++k) {
    const double p = 1.0 / (1.0 + std::exp(-double(Z(k))));
    dZ(k) = Real((p - double(T(k))) * inv_count);
  }
  return loss;
}

}  // namespace nn
