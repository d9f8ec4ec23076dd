// divergence.hpp: stop training that has blown up, and say why.
//
// When the learning rate is too large, each step overshoots the minimum by more than the
// last, the loss grows without bound, overflows to inf and then turns into NaN. Plotting
// such a run only draws garbage, so training stops at the first loss that is not finite.
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

// Throws Diverged when loss is NaN or infinite, naming the epoch and the learning rate.
inline void stop_if_diverged(double loss, long epoch, double learning_rate) {
  if (std::isfinite(loss)) return;
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", learning_rate);
  throw Diverged("training diverged at epoch " + std::to_string(epoch) + ": the loss became " +
                 (std::isnan(loss) ? "NaN" : "infinite") + ". The learning rate (" + lr +
                 ") is probably too large; try a smaller --learning-rate.");
}

}  // namespace nn
