// Tests for common/optimizer.hpp
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <string>

#include "common/optimizer.hpp"

// Hand-computed steps repeat the optimiser's arithmetic in double, in a different order.
constexpr double kStepTolerance = 1e-12;

template <typename Real>
static std::unique_ptr<nn::Optimizer<Real>> make(const std::string& name) {
  if (name == "SGD") return std::make_unique<nn::Sgd<Real>>(0.1);
  if (name == "momentum") return std::make_unique<nn::Momentum<Real>>(0.05, 0.9);
  return std::make_unique<nn::Adam<Real>>(0.05);
}

TEMPLATE_TEST_CASE("every optimiser walks down a quadratic bowl", "[optimizer]", float,
                   double) {
  // f(theta) = 1/2 sum_i a_i theta_i^2, gradient a % theta, minimum 0 at theta = 0. The
  // curvatures a_i range over a factor 8, as in a mildly ill-conditioned loss.
  const std::string name = GENERATE("SGD", "momentum", "Adam");
  CAPTURE(name);
  const std::unique_ptr<nn::Optimizer<TestType>> optimizer = make<TestType>(name);
  CHECK(optimizer->name() == name);
  const arma::Col<TestType> a = {0.5, 1.0, 2.0, 4.0};
  arma::Mat<TestType> theta = {{1.0, -2.0}, {0.5, 3.0}};
  arma::Mat<TestType> grad(2, 2);
  const std::vector<nn::Parameter<TestType>> params = {{"theta", &theta, &grad, true}};
  auto f = [&] { return 0.5 * arma::accu(a % arma::vectorise(arma::square(theta))); };
  const double start = f();
  double previous = start;
  int increases = 0;
  for (int step = 0; step < 300; ++step) {
    grad = arma::reshape(a % arma::vectorise(theta), 2, 2);
    optimizer->step(params);
    const double now = f();
    if (now > previous) ++increases;
    previous = now;
  }
  CAPTURE(start, previous, increases);
  // 300 steps bring every one of them within a millionth of the start (Adam's fixed-size
  // steps make it oscillate near 0, hence a millionth rather than zero).
  CHECK(previous < 1e-6 * start);
  CHECK(optimizer->steps() == 300);
}

TEST_CASE("SGD and momentum take the steps their formulas give", "[optimizer]") {
  arma::mat theta = {{1.0, -2.0}};
  arma::mat grad = {{0.5, 4.0}};
  const std::vector<nn::Parameter<double>> params = {{"W", &theta, &grad, true}};
  nn::Sgd<double> sgd(0.1);
  sgd.step(params);
  CHECK(arma::approx_equal(theta, arma::mat{{0.95, -2.4}}, "absdiff", kStepTolerance));

  theta = {{1.0, -2.0}};
  nn::Momentum<double> momentum(0.1, 0.9);
  momentum.step(params);  // v = g = (0.5, 4), theta = (0.95, -2.4)
  CHECK(arma::approx_equal(theta, arma::mat{{0.95, -2.4}}, "absdiff", kStepTolerance));
  grad = {{1.0, -1.0}};
  momentum.step(params);  // v = 0.9 (0.5, 4) + (1, -1) = (1.45, 2.6)
  CHECK(arma::approx_equal(theta, arma::mat{{0.95 - 0.145, -2.4 - 0.26}}, "absdiff",
                           kStepTolerance));
  momentum.reset();
  CHECK(momentum.steps() == 0);
  theta = {{0.0, 0.0}};
  momentum.step(params);  // v starts at 0 again: v = g
  CHECK(arma::approx_equal(theta, arma::mat{{-0.1, 0.1}}, "absdiff", kStepTolerance));
}

TEST_CASE("Adam takes the bias-corrected steps of Kingma and Ba", "[optimizer]") {
  arma::mat theta = {{1.0, -2.0, 0.0}};
  arma::mat grad = {{0.5, -4.0, 0.0}};
  const std::vector<nn::Parameter<double>> params = {{"W", &theta, &grad, true}};
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  nn::Adam<double> adam(lr, b1, b2, eps);
  // Step 1: m^ = g and v^ = g^2, so the step is lr g / (|g| + eps) ~ lr sign(g).
  adam.step(params);
  CHECK(theta(0) == Approx(1.0 - lr * 0.5 / (0.5 + eps)).epsilon(kStepTolerance));
  CHECK(theta(1) == Approx(-2.0 + lr * 4.0 / (4.0 + eps)).epsilon(kStepTolerance));
  CHECK(theta(2) == 0.0);  // a zero gradient moves nothing
  // Step 2 with g = (1, 1, 1), by the formulas.
  grad = {{1.0, 1.0, 1.0}};
  const arma::rowvec g1 = {0.5, -4.0, 0.0}, g2 = {1.0, 1.0, 1.0};
  const arma::rowvec m = b1 * (1 - b1) * g1 + (1 - b1) * g2;
  const arma::rowvec v = b2 * (1 - b2) * arma::square(g1) + (1 - b2) * arma::square(g2);
  const arma::rowvec m_hat = m / (1 - b1 * b1), v_hat = v / (1 - b2 * b2);
  const arma::mat expected = arma::mat(theta) - lr * m_hat / (arma::sqrt(v_hat) + eps);
  adam.step(params);
  CHECK(arma::approx_equal(theta, expected, "absdiff", kStepTolerance));
}

TEST_CASE("weight decay shrinks weights but not biases", "[optimizer]") {
  const double lr = 0.1, lambda = 0.5;
  const std::string name = GENERATE("SGD", "momentum");
  CAPTURE(name);
  arma::mat W = {{2.0, -4.0}}, dW(1, 2, arma::fill::zeros);
  arma::vec b = {2.0, -4.0};
  arma::mat db(2, 1, arma::fill::zeros);
  const std::vector<nn::Parameter<double>> params = {{"W1", &W, &dW, true},
                                                     {"b1", &b, &db, false}};
  std::unique_ptr<nn::Optimizer<double>> optimizer;
  if (name == "SGD")
    optimizer = std::make_unique<nn::Sgd<double>>(lr, lambda);
  else
    optimizer = std::make_unique<nn::Momentum<double>>(lr, 0.9, lambda);
  CHECK(optimizer->weight_decay() == lambda);
  optimizer->step(params);  // zero gradient: only the decay acts, W <- (1 - lr lambda) W
  CHECK(arma::approx_equal(W, arma::mat{{1.9, -3.8}}, "absdiff", kStepTolerance));
  CHECK(arma::approx_equal(b, arma::vec{2.0, -4.0}, "absdiff", 0.0));
  // The penalty the decay stands for: lambda / 2 * sum W^2, weights only.
  CHECK(nn::l2_penalty(params, lambda) == Approx(0.25 * (1.9 * 1.9 + 3.8 * 3.8)));
}

TEST_CASE("optimisers reject bad settings and a parameter list that changes", "[optimizer]") {
  CHECK_THROWS_AS(nn::Sgd<double>(0.0), std::invalid_argument);
  CHECK_THROWS_AS(nn::Sgd<double>(std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(nn::Sgd<double>(0.1, -1.0), std::invalid_argument);
  CHECK_THROWS_AS(nn::Momentum<double>(0.1, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(nn::Adam<double>(0.1, 0.9, 1.5), std::invalid_argument);
  nn::Adam<float> adam(0.1);
  CHECK_THROWS_AS(adam.set_learning_rate(-1.0), std::invalid_argument);
  adam.set_learning_rate(0.2);
  CHECK(adam.learning_rate() == 0.2);
  arma::fmat W(2, 2, arma::fill::ones), dW(2, 2, arma::fill::ones);
  arma::fmat V(3, 1, arma::fill::ones), dV(3, 1, arma::fill::ones);
  adam.step({{"W", &W, &dW, true}});
  CHECK_THROWS_WITH(adam.step({{"V", &V, &dV, true}}),
                    Catch::Contains("parameter list changed shape"));
  CHECK_THROWS_AS(adam.step({{"W", &W, &dW, true}, {"V", &V, &dV, true}}),
                  std::invalid_argument);
}
