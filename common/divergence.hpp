// divergence.hpp: stop training that has blown up, and say why.
//
// When the learning rate is too large, each step overshoots the minimum by more than the
// last and the loss grows. It may overflow to inf and then turn into NaN; but it may also
// stay finite and huge (Adam with a learning rate of 100 on Fashion-MNIST ends at a loss of
// 1e10 and 10% accuracy), which a NaN check alone lets through to the figures and the model
// file. So "diverged" means either of:
//   - the loss is NaN or infinite;
//   - the loss has grown far above where training started: more than kDivergenceFactor
//     times the starting loss.
// The starting loss is what the untrained model scores: for softmax + cross-entropy over K
// classes, ln K (a freshly initialised network's outputs are near uniform; chapter 09's
// measures 2.30-2.35 for ln 10 = 2.30). Training that works makes the loss smaller than
// that, and noisy training with a rate a little too large may bounce up to a few times it;
// 10 times it is no longer noise.
// Where a loop measures the loss before its first update, that measured loss is the start;
// chapter 09, which measures only after each epoch, passes ln 10.
//   nn::stop_if_diverged(loss, epoch, learning_rate, losses.front());   // > 10 x start
//   nn::stop_if_diverged(loss, epoch, learning_rate, std::log(10.0));    // > 10 ln 10
//   nn::stop_if_diverged(loss, epoch, learning_rate);                    // NaN or inf only
#pragma once

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace nn {

// The error a chapter's main() reports (one line, exit code 1) when training diverged.
struct Diverged : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr double kDivergenceFactor = 10.0;

namespace detail {
inline std::string diverged_message(long epoch, const std::string& what, double learning_rate) {
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", learning_rate);
  return "training diverged at epoch " + std::to_string(epoch) + ": " + what +
         ". The learning rate (" + lr +
         ") is probably too large; try a smaller --learning-rate.";
}
}  // namespace detail

// True when loss is NaN or infinite, or (given start_loss > 0) larger than
// kDivergenceFactor * start_loss: for a caller that wants to end a run, not the chapter.
inline bool has_diverged(double loss, double start_loss = 0) {
  return !std::isfinite(loss) || (start_loss > 0 && loss > kDivergenceFactor * start_loss);
}

// Throws Diverged when has_diverged(loss, start_loss), naming the epoch, what happened and
// the learning rate.
inline void stop_if_diverged(double loss, long epoch, double learning_rate,
                             double start_loss = 0) {
  if (!std::isfinite(loss))
    throw Diverged(detail::diverged_message(
        epoch, std::string("the loss became ") + (std::isnan(loss) ? "NaN" : "infinite"),
        learning_rate));
  if (start_loss > 0 && loss > kDivergenceFactor * start_loss) {
    char what[128];
    std::snprintf(what, sizeof what,
                  "the loss grew to %.4g, more than %g times its start (%.4g)", loss,
                  kDivergenceFactor, start_loss);
    throw Diverged(detail::diverged_message(epoch, what, learning_rate));
  }
}

// Throws Diverged when the parameters (all_finite: every one of them is a finite number)
// overflowed: for a model without a loss to watch, such as the perceptron.
inline void stop_if_parameters_diverged(bool all_finite, long epoch, double learning_rate) {
  if (!all_finite)
    throw Diverged(detail::diverged_message(epoch, "the parameters overflowed to inf or NaN",
                                            learning_rate));
}

}  // namespace nn
