// optimizer.hpp: the fifth of training's five parts, moving the parameters downhill.
//
// Each optimiser updates a list of parameters (parameter.hpp; Network::parameters() builds
// it) in place from their gradients dtheta = dL/dtheta, keeping any state it needs (velocity,
// moment estimates) per parameter tensor, in the order of the list. Pass the same list, in
// the same order, to every step; a list of different shapes throws.
//
//   Sgd(lr)                          theta <- theta - lr dtheta
//   Momentum(lr, mu = 0.9)           v <- mu v + dtheta,  theta <- theta - lr v
//                                    (v starts at 0)
//   Adam(lr = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8)     (Kingma & Ba, 2015)
//                                    m <- beta1 m + (1 - beta1) dtheta
//                                    v <- beta2 v + (1 - beta2) dtheta^2
//                                    m^ = m / (1 - beta1^t),  v^ = v / (1 - beta2^t)
//                                    theta <- theta - lr m^ / (sqrt(v^) + epsilon)
//                                    (Adam's own letters: m and v are its moment estimates,
//                                    t its step count, not the batch size and the target)
//
// L2 weight decay (the last constructor argument, lambda >= 0, default 0) adds the
// penalty (lambda / 2) sum W^2 over the WEIGHTS (is_weight; biases are left alone) to the
// loss, which adds lambda W to their gradient before the rule above:
// dtheta <- dtheta + lambda W. (For Adam this is the classic L2 penalty, not AdamW's
// decoupled decay.) l2_penalty() gives the penalty's value, to report the full loss.
//
// Each update is written as its formula, in Armadillo expressions over whole tensors.
//
// Optimizer<Real> is the common base, so a chapter can compare optimisers through
// std::unique_ptr<nn::Optimizer<Real>>.
#pragma once

#include <armadillo>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/parameter.hpp"
#include "common/subnormals.hpp"

namespace nn {

template <typename Real>
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  // One update of every parameter in params, from the gradients they point at.
  void step(const std::vector<Parameter<Real>>& params) {
    check_state(params);
    // Flush-to-zero while the parameters change (subnormals.hpp): the one place in the
    // library where speed and reproducibility need more than the formulas. Decaying state
    // (momentum's v, Adam's m for a weight whose gradient stays 0) sinks into subnormal
    // floats, where x86 arithmetic is up to 100 times slower; with the flush they become 0.
    // It equals the plain update except for those numbers below 1.2e-38, and the chapters'
    // committed results were computed with it (without it, chapter 08's L2 run differs in
    // the 9th digit after 600 epochs).
    [[maybe_unused]] const FlushSubnormals flush{};
    ++steps_;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Parameter<Real>& p = params[i];
      const Real decay = p.is_weight ? Real(weight_decay_) : Real(0);
      update(i, *p.value, *p.gradient, decay);
    }
  }

  virtual std::string name() const = 0;  // "SGD", "momentum", "Adam"

  double learning_rate() const { return learning_rate_; }
  void set_learning_rate(double lr) { learning_rate_ = checked_rate(lr); }
  double weight_decay() const { return weight_decay_; }
  long steps() const { return steps_; }  // updates so far

  // Forgets the state (velocities, moments, step count), as if newly built.
  void reset() {
    state_.clear();
    steps_ = 0;
  }

 protected:
  Optimizer(double learning_rate, double weight_decay)
      : learning_rate_(checked_rate(learning_rate)), weight_decay_(weight_decay) {
    if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay))
      throw std::invalid_argument("optimizer: weight decay must be finite and >= 0");
  }

  // Updates theta (parameter number i of the list) from its gradient dtheta, which has
  // theta's shape; decay is lambda for a weight, 0 for a bias.
  virtual void update(std::size_t i, arma::Mat<Real>& theta, const arma::Mat<Real>& dtheta,
                      Real decay) = 0;
  // How many state tensors (each the shape of the parameter) one parameter needs.
  virtual std::size_t state_per_parameter() const = 0;

  // The k-th state tensor of parameter i, theta's shape (zeros at the first step).
  arma::Mat<Real>& state(std::size_t i, std::size_t k) {
    return state_[i * state_per_parameter() + k];
  }

  double learning_rate_;
  double weight_decay_;
  long steps_ = 0;

 private:
  static double checked_rate(double lr) {
    if (!(lr > 0.0) || !std::isfinite(lr))
      throw std::invalid_argument("optimizer: the learning rate must be finite and > 0");
    return lr;
  }

  void check_state(const std::vector<Parameter<Real>>& params) {
    const std::size_t k = state_per_parameter();
    if (state_.empty() && k > 0) {
      for (const Parameter<Real>& p : params)
        for (std::size_t s = 0; s < k; ++s)
          state_.emplace_back(p.value->n_rows, p.value->n_cols, arma::fill::zeros);
    }
    bool same = k == 0 || state_.size() == params.size() * k;
    for (std::size_t i = 0; same && i < params.size(); ++i) {
      const Parameter<Real>& p = params[i];
      same = arma::size(*p.gradient) == arma::size(*p.value) &&
             (k == 0 || arma::size(state_[i * k]) == arma::size(*p.value));
    }
    if (!same)
      throw std::invalid_argument(name() +
                                  ": the parameter list changed shape between steps (or a "
                                  "gradient's shape differs from its parameter's)");
  }

  std::vector<arma::Mat<Real>> state_;
};

// theta <- theta - lr (dtheta + lambda theta)
template <typename Real>
class Sgd : public Optimizer<Real> {
 public:
  explicit Sgd(double learning_rate, double weight_decay = 0.0)
      : Optimizer<Real>(learning_rate, weight_decay) {}
  std::string name() const override { return "SGD"; }

 protected:
  // [listing sgd_update]
  // theta <- theta - lr (dtheta + lambda theta)
  void update(std::size_t, arma::Mat<Real>& theta, const arma::Mat<Real>& dtheta,
              Real decay) override {
    const Real lr = Real(this->learning_rate_);
    theta -= lr * (dtheta + decay * theta);
  }
  // [end sgd_update]
  std::size_t state_per_parameter() const override { return 0; }
};

// v <- mu v + (dtheta + lambda theta), theta <- theta - lr v
template <typename Real>
class Momentum : public Optimizer<Real> {
 public:
  explicit Momentum(double learning_rate, double momentum = 0.9, double weight_decay = 0.0)
      : Optimizer<Real>(learning_rate, weight_decay), momentum_(momentum) {
    if (!(momentum >= 0.0 && momentum < 1.0))
      throw std::invalid_argument("Momentum: the momentum must be in [0, 1)");
  }
  std::string name() const override { return "momentum"; }

 protected:
  // [listing momentum_update]
  // v <- mu v + (dtheta + lambda theta),  theta <- theta - lr v
  void update(std::size_t i, arma::Mat<Real>& theta, const arma::Mat<Real>& dtheta,
              Real decay) override {
    const Real lr = Real(this->learning_rate_), mu = Real(momentum_);
    arma::Mat<Real>& v = this->state(i, 0);
    v = mu * v + (dtheta + decay * theta);
    theta -= lr * v;
  }
  // [end momentum_update]
  std::size_t state_per_parameter() const override { return 1; }

 private:
  double momentum_;
};

// Adam with bias-corrected moments (see the top of the file).
template <typename Real>
class Adam : public Optimizer<Real> {
 public:
  explicit Adam(double learning_rate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double epsilon = 1e-8, double weight_decay = 0.0)
      : Optimizer<Real>(learning_rate, weight_decay),
        beta1_(beta1),
        beta2_(beta2),
        epsilon_(epsilon) {
    if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0))
      throw std::invalid_argument("Adam: beta1 and beta2 must be in [0, 1)");
    if (!(epsilon > 0.0)) throw std::invalid_argument("Adam: epsilon must be > 0");
  }
  std::string name() const override { return "Adam"; }

 protected:
  // [listing adam_update]
  // dtheta <- dtheta + lambda theta
  // m <- beta1 m + (1 - beta1) dtheta,   v <- beta2 v + (1 - beta2) dtheta^2
  // theta <- theta - lr m^ / (sqrt(v^) + eps),  with m^ = m / c1, v^ = v / c2, c = 1 - beta^t,
  // computed as (lr / c1) m / (sqrt(v / c2) + eps). m, v: the moments; t: the step count.
  void update(std::size_t i, arma::Mat<Real>& theta, const arma::Mat<Real>& dtheta,
              Real decay) override {
    const double t = double(this->steps_);
    const Real step = Real(this->learning_rate_ / (1.0 - std::pow(beta1_, t)));  // lr / c1
    const Real inv_c2 = Real(1.0 / (1.0 - std::pow(beta2_, t)));                 // 1 / c2
    const Real b1 = Real(beta1_), b2 = Real(beta2_), eps = Real(epsilon_);
    arma::Mat<Real>& m = this->state(i, 0);
    arma::Mat<Real>& v = this->state(i, 1);
    const arma::Mat<Real> d = dtheta + decay * theta;  // dtheta with its L2 term
    m = b1 * m + (Real(1) - b1) * d;
    v = b2 * v + ((Real(1) - b2) * d) % d;
    theta -= step * m / (arma::sqrt(v * inv_c2) + eps);
  }
  // [end adam_update]
  std::size_t state_per_parameter() const override { return 2; }

 private:
  double beta1_, beta2_, epsilon_;
};

// [listing l2_penalty]
// (lambda / 2) sum of W^2 over the weights (is_weight) of params: the L2 penalty that
// weight decay lambda adds to the loss.
template <typename Real>
double l2_penalty(const std::vector<Parameter<Real>>& params, double lambda) {
  double sum = 0.0;
  for (const Parameter<Real>& p : params)
    if (p.is_weight)
      for (arma::uword k = 0; k < p.value->n_elem; ++k)
        sum += double((*p.value)(k)) * (*p.value)(k);
  return 0.5 * lambda * sum;
}
// [end l2_penalty]

}  // namespace nn
