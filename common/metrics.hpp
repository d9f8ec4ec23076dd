// metrics.hpp: how good are the predictions? Accuracy and the confusion matrix.
//
//   accuracy(predicted, truth)              the fraction of samples classified correctly
//   confusion_matrix(truth, predicted, K)   C (K x K), C(i, j) = how many samples of true
//                                           class i were predicted as class j: the diagonal
//                                           counts the right answers, row i shows what
//                                           class i gets mistaken for.
//   accuracy(C)                             the same fraction, from a confusion matrix
//   recall_per_class(C)                     (K) C(i, i) / row sum i: the fraction of class i
//                                           found (NaN for a class with no samples)
//
// Labels are 0..K-1 in arma::uvec, as in toy_data.hpp and Network::predict.
#pragma once

#include <algorithm>
#include <armadillo>
#include <stdexcept>
#include <string>

namespace nn {

inline double accuracy(const arma::uvec& predicted, const arma::uvec& truth) {
  if (predicted.n_elem != truth.n_elem)
    throw std::invalid_argument("accuracy: " + std::to_string(predicted.n_elem) +
                                " predictions for " + std::to_string(truth.n_elem) + " labels");
  if (truth.n_elem == 0) throw std::invalid_argument("accuracy: no samples");
  arma::uword right = 0;
  for (arma::uword j = 0; j < truth.n_elem; ++j) right += predicted(j) == truth(j) ? 1 : 0;
  return double(right) / double(truth.n_elem);
}

// Rows are the true classes, columns the predicted ones. Throws for a label >= K.
inline arma::umat confusion_matrix(const arma::uvec& truth, const arma::uvec& predicted,
                                   arma::uword K) {
  if (predicted.n_elem != truth.n_elem)
    throw std::invalid_argument("confusion_matrix: " + std::to_string(predicted.n_elem) +
                                " predictions for " + std::to_string(truth.n_elem) + " labels");
  arma::umat C(K, K, arma::fill::zeros);
  for (arma::uword j = 0; j < truth.n_elem; ++j) {
    if (truth(j) >= K || predicted(j) >= K)
      throw std::invalid_argument("confusion_matrix: label " +
                                  std::to_string(std::max(truth(j), predicted(j))) +
                                  " out of range for " + std::to_string(K) + " classes");
    ++C(truth(j), predicted(j));
  }
  return C;
}

inline double accuracy(const arma::umat& C) {
  const arma::uword total = arma::accu(C);
  if (total == 0) throw std::invalid_argument("accuracy: empty confusion matrix");
  return double(arma::trace(C)) / double(total);
}

inline arma::vec recall_per_class(const arma::umat& C) {
  arma::vec recall(C.n_rows);
  for (arma::uword i = 0; i < C.n_rows; ++i) {
    const arma::uword row = arma::accu(C.row(i));
    recall(i) = row == 0 ? arma::datum::nan : double(C(i, i)) / double(row);
  }
  return recall;
}

}  // namespace nn
