// Tests for common/diagnose.hpp: every check passes a healthy network and flags the failure
// it exists for. The networks are small, on chapter 06's spiral, each started from a fixed
// seed; verdicts and tolerances are tested, not one machine's digits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/diagnose.hpp"
#include "common/toy_data.hpp"

using nn::Activation;
using nn::Initializer;

namespace {

// Chapter 06's spiral: 3 arms of 100 points, X (2 x 300), t (300).
const nn::Dataset& spiral() {
  static const nn::Dataset data = nn::spiral(100, 3, 0.2, 42);
  return data;
}

// sizes with activation g in the hidden layers, each hidden layer's W drawn as hidden says
// and the output layer's as output says, from a generator seeded with 1.
nn::Network<double> started(const std::vector<arma::uword>& sizes, Activation g,
                            const Initializer& hidden, const Initializer& output) {
  nn::Network<double> net(sizes, g);
  std::mt19937_64 rng(1);
  for (std::size_t l = 0; l < net.n_layers(); ++l)
    net.layer(l).initialize(l + 1 == net.n_layers() ? output : hidden, rng);
  return net;
}

// The healthy network of every test: 2-32-32-3, ReLU, He's start in every layer.
nn::Network<double> healthy() {
  return started({2, 32, 32, 3}, Activation::relu, Initializer::he(), Initializer::he());
}

// A deeper ReLU network (4 hidden layers of 32) from a start of the given spread, for the
// failures that grow with depth.
nn::Network<double> deep(const Initializer& init) {
  return started({2, 32, 32, 32, 32, 3}, Activation::relu, init, init);
}

bool mentions(const nn::Finding& f, const std::string& text) {
  return f.line.find(text) != std::string::npos;
}

// A network whose backward pass holds one deliberate mistake, in layer `broken`,
// as a reader's own code might. It has the members the checks use, passed on to the
// network inside, except backward.
struct BrokenBackward {
  using Matrix = arma::mat;
  enum class Bug {
    sign,       // dW and db of the layer come out with the wrong sign
    transpose,  // the layer passes back W dZ instead of W^T dZ (its W must be square)
  };
  nn::Network<double> net;
  Bug bug;
  std::size_t broken;  // the layer with the mistake, 1 for the first

  const Matrix& forward(const Matrix& X) { return net.forward(X); }
  void backward(const Matrix& dOut) {
    const Matrix* dA = &dOut;
    Matrix wrong;
    for (std::size_t l = net.n_layers() - 1; l > 0; --l) {
      dA = &net.layer(l).backward(*dA);
      if (bug == Bug::transpose && l + 1 == broken) {
        wrong = net.layer(l).W * net.layer(l).dZ();  // should be W^T dZ
        dA = &wrong;
      }
    }
    net.layer(0).compute_gradients(*dA);
    if (bug == Bug::sign)
      for (const nn::Parameter<double>& p : net.parameters())
        if (p.name.substr(1) == std::to_string(broken)) *p.gradient = -*p.gradient;
  }
  std::vector<nn::Parameter<double>> parameters() { return net.parameters(); }
  std::size_t n_layers() const { return net.n_layers(); }
  const nn::Dense<double>& layer(std::size_t l) const { return net.layer(l); }
};

// A network whose optimiser never gets its parameters: the list it hands out is empty, as
// when a reader builds the list before adding the layers.
struct Frozen {
  using Matrix = arma::mat;
  nn::Network<double> net;
  const Matrix& forward(const Matrix& X) { return net.forward(X); }
  void backward(const Matrix& dOut) { net.backward(dOut); }
  std::vector<nn::Parameter<double>> parameters() { return {}; }
  std::size_t n_layers() const { return net.n_layers(); }
  const nn::Dense<double>& layer(std::size_t l) const { return net.layer(l); }
};

// A few distinct samples of the spiral, for the gradient check (each costs forward passes).
void few_samples(arma::mat& X, arma::uvec& t) {
  nn::pick_samples(spiral().X, spiral().t, 4, 42, X, t);
}

}  // namespace

TEST_CASE("diagnose: pick_samples takes distinct inputs in a seeded random order",
          "[diagnose]") {
  // The spiral's three arms all start at the origin: at most one of those three points
  // may be picked, whatever the seed.
  arma::mat X;
  arma::uvec t;
  nn::pick_samples(spiral().X, spiral().t, 300, 7, X, t);
  CHECK(X.n_cols == 298);
  CHECK(t.n_elem == 298);
  arma::mat again;
  arma::uvec t_again;
  nn::pick_samples(spiral().X, spiral().t, 20, 7, again, t_again);
  CHECK(arma::approx_equal(again, X.head_cols(20), "absdiff", 0.0));  // the same order
  CHECK(arma::all(t_again == t.head(20)));
}

// ---------------------------------------------------------------------------------------
// 1. The initial loss
// ---------------------------------------------------------------------------------------

TEST_CASE("diagnose: the initial loss of a healthy start is about ln K", "[diagnose]") {
  nn::Network<double> net = healthy();
  const nn::Finding f = nn::check_initial_loss(net, spiral().X, spiral().t);
  CAPTURE(f.line);
  CHECK(f.ok);
  CHECK(std::abs(f.value - std::log(3.0)) < nn::kInitialLossTolerance * std::log(3.0));
}

TEST_CASE("diagnose: the initial loss flags a start too large and inputs unscaled",
          "[diagnose]") {
  SECTION("weights 4 times He's") {
    nn::Network<double> net = deep(Initializer::normal(1.0));
    const nn::Finding f = nn::check_initial_loss(net, spiral().X, spiral().t);
    CAPTURE(f.line);
    CHECK_FALSE(f.ok);
    CHECK(f.value > 10 * std::log(3.0));
    CHECK(mentions(f, "confidently wrong"));
  }
  SECTION("inputs 255 times larger, as pixels 0-255 instead of [0, 1]") {
    nn::Network<double> net = healthy();
    const arma::mat X = 255.0 * spiral().X;
    const nn::Finding f = nn::check_initial_loss(net, X, spiral().t);
    CAPTURE(f.line);
    CHECK_FALSE(f.ok);
    CHECK(mentions(f, "unscaled"));
  }
  SECTION("a network that has been trained already") {
    nn::Network<double> net = healthy();
    nn::Adam<double> adam(0.01);
    const std::vector<nn::Parameter<double>> params = net.parameters();
    arma::mat dZ;
    for (int step = 0; step < 300; ++step) {
      nn::softmax_cross_entropy(net.forward(spiral().X), spiral().t, dZ);
      net.backward(dZ);
      adam.step(params);
    }
    const nn::Finding f = nn::check_initial_loss(net, spiral().X, spiral().t);
    CAPTURE(f.line);
    CHECK_FALSE(f.ok);
    CHECK(mentions(f, "better than chance"));
  }
}

// ---------------------------------------------------------------------------------------
// 2. The gradient check, layer by layer
// ---------------------------------------------------------------------------------------

TEST_CASE("diagnose: the gradient check passes every layer of a healthy network",
          "[diagnose]") {
  arma::mat X;
  arma::uvec t;
  few_samples(X, t);
  nn::Network<double> net = healthy();
  const nn::Network<double> before = net;
  const nn::GradientCheck g = nn::check_gradients(net, X, t);
  CAPTURE(g.finding.line, g.W_error, g.b_error);
  CHECK(g.finding.ok);
  REQUIRE(g.W_error.n_elem == 3);
  CHECK(g.W_error.max() < nn::kGradientCheckTolerance);
  CHECK(g.b_error.max() < nn::kGradientCheckTolerance);
  for (std::size_t l = 0; l < net.n_layers(); ++l) {  // the parameters are restored exactly
    CHECK(arma::approx_equal(net.layer(l).W, before.layer(l).W, "absdiff", 0.0));
    CHECK(arma::approx_equal(net.layer(l).b, before.layer(l).b, "absdiff", 0.0));
  }
}

TEST_CASE("diagnose: the gradient check of a float network runs on its double copy",
          "[diagnose]") {
  arma::mat X;
  arma::uvec t;
  few_samples(X, t);
  nn::Network<float> net({2, 16, 3}, Activation::tanh);
  std::mt19937_64 rng(3);
  net.initialize(Initializer::xavier(), rng);
  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  const nn::GradientCheck g = nn::check_gradients(net, Xf, t);
  CAPTURE(g.finding.line);
  CHECK(g.finding.ok);
}

TEST_CASE("diagnose: the gradient check names the layer whose backward is wrong",
          "[diagnose]") {
  arma::mat X;
  arma::uvec t;
  few_samples(X, t);
  SECTION("dW2 and db2 with the wrong sign: only layer 2 is wrong") {
    BrokenBackward net{healthy(), BrokenBackward::Bug::sign, 2};
    const nn::GradientCheck g = nn::check_gradients(net, X, t);
    CAPTURE(g.finding.line, g.W_error, g.b_error);
    CHECK_FALSE(g.finding.ok);
    CHECK(g.W_error(1) > 1.0);  // -g against g: off by twice its size, relative 2 / 1
    CHECK(g.W_error(0) < nn::kGradientCheckTolerance);
    CHECK(g.W_error(2) < nn::kGradientCheckTolerance);
    CHECK(mentions(g.finding, "wrong in layer 2 "));
    CHECK(mentions(g.finding, "the error enters at layer 2"));
  }
  SECTION("layer 2 passes back W dZ instead of W^T dZ: layer 1 is wrong, 2 and 3 right") {
    BrokenBackward net{healthy(), BrokenBackward::Bug::transpose, 2};
    const nn::GradientCheck g = nn::check_gradients(net, X, t);
    CAPTURE(g.finding.line, g.W_error, g.b_error);
    CHECK_FALSE(g.finding.ok);
    CHECK(g.W_error(0) > 0.1);
    CHECK(g.W_error(1) < nn::kGradientCheckTolerance);
    CHECK(g.W_error(2) < nn::kGradientCheckTolerance);
    CHECK(mentions(g.finding, "wrong in layer 1 "));
    CHECK(mentions(g.finding, "the dA passed back into it"));
  }
}

// ---------------------------------------------------------------------------------------
// 3. The spread of activations and gradients
// ---------------------------------------------------------------------------------------

TEST_CASE("diagnose: the spread check passes healthy ReLU and tanh networks", "[diagnose]") {
  // Chapter 06's model among them: its small output weights give the output layer far
  // larger gradients than the hidden layer's at the start, which is harmless.
  nn::Network<double> net = GENERATE(
      healthy(), deep(Initializer::he()),
      started({2, 100, 3}, Activation::relu, Initializer::he(), Initializer::normal(0.01)),
      started({2, 32, 32, 3}, Activation::tanh, Initializer::xavier(), Initializer::xavier()));
  const nn::Spread s = nn::check_spread(net, spiral().X, spiral().t);
  CAPTURE(s.activations.line, s.gradients.line);
  CHECK(s.activations.ok);
  CHECK(s.gradients.ok);
  CHECK(s.activation_sd.n_elem == net.n_layers() - 1);
  CHECK(s.gradient_sd.n_elem == net.n_layers());
}

TEST_CASE("diagnose: the spread check flags a start too large and one too small",
          "[diagnose]") {
  SECTION("ReLU, weights 4 times He's: the activations explode") {
    nn::Network<double> net = deep(Initializer::normal(1.0));
    const nn::Spread s = nn::check_spread(net, spiral().X, spiral().t);
    CAPTURE(s.activations.line, s.activation_sd);
    CHECK_FALSE(s.activations.ok);
    CHECK(s.activations.value > nn::kActivationSdHigh);
    CHECK(mentions(s.activations, "explodes"));
  }
  SECTION("tanh, weights N(0, 3^2): the units saturate") {
    nn::Network<double> net = started({2, 32, 32, 3}, Activation::tanh,
                                      Initializer::normal(3.0), Initializer::xavier());
    const nn::Spread s = nn::check_spread(net, spiral().X, spiral().t);
    CAPTURE(s.activations.line, s.saturated);
    CHECK_FALSE(s.activations.ok);
    CHECK(s.activations.value > nn::kSaturatedShare);
    CHECK(mentions(s.activations, "saturated"));
  }
  SECTION("ReLU, weights N(0, 0.01^2): the activations and the gradients vanish") {
    nn::Network<double> net = deep(Initializer::normal(0.01));
    const nn::Spread s = nn::check_spread(net, spiral().X, spiral().t);
    CAPTURE(s.activations.line, s.gradients.line);
    CHECK_FALSE(s.activations.ok);
    CHECK(s.activations.value < nn::kActivationSdLow);
    CHECK(mentions(s.activations, "vanishes"));
    CHECK_FALSE(s.gradients.ok);
    CHECK(s.gradients.value < nn::kVanishedGradient);
    CHECK(mentions(s.gradients, "vanished"));
  }
  SECTION("all zeros: the units of a layer are alike") {
    nn::Network<double> net = deep(Initializer::zeros());
    const nn::Spread s = nn::check_spread(net, spiral().X, spiral().t);
    CAPTURE(s.activations.line);
    CHECK_FALSE(s.activations.ok);
    CHECK(mentions(s.activations, "symmetric"));
  }
}

TEST_CASE("diagnose: the spread check flags gradients that differ 100-fold between layers",
          "[diagnose]") {
  // The classic vanishing gradient: 6 sigmoid layers, each multiplying the gradient on its
  // way back by its slope, at most 1/4.
  nn::Network<double> net = started({2, 32, 32, 32, 32, 32, 32, 3}, Activation::sigmoid,
                                    Initializer::xavier(), Initializer::xavier());
  const nn::Spread s = nn::check_spread(net, spiral().X, spiral().t);
  CAPTURE(s.gradients.line, s.gradient_sd);
  CHECK(s.activations.ok);  // the forward signal is fine; only the gradient is not
  CHECK_FALSE(s.gradients.ok);
  CHECK(s.gradients.value > nn::kGradientRatio);
  CHECK(s.gradient_sd.index_min() == 0);  // smallest in the first layer
  CHECK(mentions(s.gradients, "vanishes toward the input"));
}

// ---------------------------------------------------------------------------------------
// 4. Dead ReLU units
// ---------------------------------------------------------------------------------------

TEST_CASE("diagnose: the dead-unit check passes a healthy start and flags negative biases",
          "[diagnose]") {
  nn::Network<double> net = healthy();
  const nn::DeadUnits alive = nn::check_dead_units(net, spiral().X);
  CAPTURE(alive.finding.line, alive.share);
  CHECK(alive.finding.ok);
  CHECK(alive.finding.value < nn::kDeadUnitShare);

  nn::Network<double> tanh_net =
      started({2, 8, 3}, Activation::tanh, Initializer::xavier(), Initializer::xavier());
  CHECK(mentions(nn::check_dead_units(tanh_net, spiral().X).finding, "no hidden ReLU layer"));

  net.layer(0).b.fill(-5.0);  // z = w x - 5 < 0 at every point: |x| <= 1, |w| < 5 here
  const nn::DeadUnits dead = nn::check_dead_units(net, spiral().X);
  CAPTURE(dead.finding.line, dead.share);
  CHECK_FALSE(dead.finding.ok);
  CHECK(dead.share(0) == 1.0);
  CHECK(mentions(dead.finding, "of layer 1's units never fire"));
}

// ---------------------------------------------------------------------------------------
// 5. One small batch, by heart
// ---------------------------------------------------------------------------------------

TEST_CASE("diagnose: a healthy network learns one small batch by heart", "[diagnose]") {
  const nn::Network<double> net = healthy();
  nn::Sgd<double> sgd(0.5);
  const nn::Overfit o = nn::check_overfit_small_batch(net, sgd, spiral().X, spiral().t);
  CAPTURE(o.finding.line);
  CHECK(o.finding.ok);
  CHECK(o.accuracy == 1.0);
  CHECK(o.losses.back() < nn::kOverfitLoss);
  CHECK(sgd.steps() == 0);  // the optimiser is handed back reset
}

TEST_CASE("diagnose: the one-batch test flags a network that cannot learn", "[diagnose]") {
  SECTION("a learning rate of almost zero") {
    nn::Sgd<double> sgd(1e-7);
    const nn::Overfit o = nn::check_overfit_small_batch(healthy(), sgd, spiral().X, spiral().t);
    CAPTURE(o.finding.line);
    CHECK_FALSE(o.finding.ok);
    CHECK(o.losses.size() == 1001);  // it tried every step
    CHECK(mentions(o.finding, "not learnt by heart"));
  }
  SECTION("an optimiser that never gets the parameters") {
    nn::Sgd<double> sgd(0.5);
    const nn::Overfit o =
        nn::check_overfit_small_batch(Frozen{healthy()}, sgd, spiral().X, spiral().t);
    CAPTURE(o.finding.line);
    CHECK_FALSE(o.finding.ok);
    CHECK(o.losses.back() == o.losses.front());
  }
}

// ---------------------------------------------------------------------------------------
// 6. The learning-rate range test
// ---------------------------------------------------------------------------------------

TEST_CASE("diagnose: the range test suggests a plausible rate for SGD on the spiral",
          "[diagnose]") {
  // Chapter 06 trains this kind of network with SGD at 0.5; a rate between 0.01 and 1 is
  // plausible, and the test's rule (a tenth of the rate at the lowest loss) should land
  // inside it.
  constexpr double kPlausibleLow = 0.01, kPlausibleHigh = 1.0;
  nn::Sgd<double> sgd(0.5);
  const nn::RangeTest r = nn::learning_rate_range_test(healthy(), sgd, spiral().X, spiral().t);
  CAPTURE(r.finding.line);
  CHECK(r.finding.ok);
  CHECK(r.finding.value > kPlausibleLow);
  CHECK(r.finding.value < kPlausibleHigh);
  CHECK(r.finding.value == Approx(r.rate_at_minimum / 10));
  // The curve: rates rising geometrically, and a loss that turns up at the end.
  REQUIRE(r.rate.size() == r.loss.size());
  REQUIRE(r.rate.size() > 10);
  for (std::size_t k = 1; k < r.rate.size(); ++k) CHECK(r.rate[k] > r.rate[k - 1]);
  const double lowest = *std::min_element(r.loss.begin(), r.loss.end());
  CHECK(lowest < r.loss.front());
  CHECK(r.loss.back() > nn::kRangeRise * lowest);
  CHECK(sgd.learning_rate() == 0.5);  // restored
}

TEST_CASE("diagnose: the range test stops where the loss shoots up", "[diagnose]") {
  // Weights 4 times He's: the loss is huge from the start and explodes at small rates.
  nn::Sgd<double> sgd(0.5);
  const nn::RangeTest r =
      nn::learning_rate_range_test(deep(Initializer::normal(1.0)), sgd, spiral().X, spiral().t);
  CAPTURE(r.finding.line);
  CHECK(r.finding.ok);
  CHECK(r.rate.size() < std::size_t(nn::RangeTestSettings{}.steps));  // stopped early
  CHECK(r.finding.value < 0.01);  // far below the healthy network's suggestion
}

TEST_CASE("diagnose: the range test says when the loss falls at no rate", "[diagnose]") {
  nn::Sgd<double> sgd(0.5);
  const nn::RangeTest r =
      nn::learning_rate_range_test(Frozen{healthy()}, sgd, spiral().X, spiral().t);
  CAPTURE(r.finding.line);
  CHECK_FALSE(r.finding.ok);
  CHECK(mentions(r.finding, "never fell"));
}

// ---------------------------------------------------------------------------------------
// 7. The loss history
// ---------------------------------------------------------------------------------------

TEST_CASE("diagnose: the loss history passes a falling loss and flags NaN and growth",
          "[diagnose]") {
  const nn::Finding falling = nn::check_loss_history({1.1, 0.9, 0.7, 0.5});
  CAPTURE(falling.line);
  CHECK(falling.ok);
  CHECK(falling.value == 0.5);

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const nn::Finding turned_nan = nn::check_loss_history({1.1, 3.0, 40.0, nan, nan});
  CAPTURE(turned_nan.line);
  CHECK_FALSE(turned_nan.ok);  // 40 is already more than 10 times 1.1: caught there
  CHECK(turned_nan.value == 40.0);
  CHECK(mentions(turned_nan, "at entry 2 of 5"));

  const nn::Finding only_nan = nn::check_loss_history({1.1, 0.9, nan}, 0);  // NaN rule only
  CAPTURE(only_nan.line);
  CHECK_FALSE(only_nan.ok);
  CHECK(mentions(only_nan, "became NaN at entry 2"));

  // Against chapter 09's start, ln 10: 30 is more than 10 ln 10 = 23.
  const nn::Finding grew = nn::check_loss_history({2.0, 5.0, 30.0}, std::log(10.0));
  CAPTURE(grew.line);
  CHECK_FALSE(grew.ok);
  CHECK(mentions(grew, "learning rate is too large"));
  CHECK(nn::check_loss_history({2.0, 5.0, 20.0}, std::log(10.0)).ok);
}

// ---------------------------------------------------------------------------------------
// 8. Generalisation
// ---------------------------------------------------------------------------------------

TEST_CASE("diagnose: the generalisation check flags detached labels and overfitting",
          "[diagnose]") {
  // 3 classes: chance is 33%.
  CHECK(nn::check_generalisation({0.20, 0.95}, {0.30, 0.90}, 3).ok);
  const nn::Finding detached = nn::check_generalisation({0.10, 0.99}, {1.40, 0.35}, 3);
  CAPTURE(detached.line);
  CHECK_FALSE(detached.ok);
  CHECK(mentions(detached, "labels are detached"));
  const nn::Finding overfit = nn::check_generalisation({0.01, 1.00}, {0.90, 0.75}, 3);
  CAPTURE(overfit.line);
  CHECK_FALSE(overfit.ok);
  CHECK(overfit.value == Approx(0.25));
  CHECK(mentions(overfit, "overfitting"));
  // On 60 validation samples a guesser reaches 33% +- 6%: 45% is still chance.
  CHECK(nn::chance_margin(1.0 / 3, 60) == Approx(3 * std::sqrt(2.0 / 9 / 60)));
  CHECK(nn::chance_margin(1.0 / 3, 10000) == nn::kChanceMargin);
  CHECK_FALSE(nn::check_generalisation({0.5, 0.8, 240}, {1.4, 0.45, 60}, 3).ok);
}

TEST_CASE("diagnose: the generalisation check sees labels shuffled apart from the spiral",
          "[diagnose]") {
  // 240 points to train on, 60 to validate; the network trains full batch on the true
  // labels, and again on the same labels shuffled among the points.
  const arma::uvec order = nn::epoch_order(300, 5, 0);
  const arma::uvec train = order.head(240), validation = order.tail(60);
  arma::mat X_train, X_validation;
  nn::gather_columns(spiral().X, train, X_train);
  nn::gather_columns(spiral().X, validation, X_validation);
  const arma::uvec t_validation = spiral().t.elem(validation);
  const arma::uvec t_true = spiral().t.elem(train);
  const arma::uvec t_shuffled = t_true.elem(nn::epoch_order(240, 9, 0));
  const auto verdict = [&](const arma::uvec& t) {
    nn::Network<double> net = healthy();
    const std::vector<nn::Parameter<double>> params = net.parameters();
    nn::Adam<double> adam(0.01);
    arma::mat dZ;
    for (int step = 0; step < 600; ++step) {
      nn::softmax_cross_entropy(net.forward(X_train), t, dZ);
      net.backward(dZ);
      adam.step(params);
    }
    const nn::Scores on_train{nn::softmax_cross_entropy(net.forward(X_train), t),
                              nn::accuracy(net.predict(X_train), t), 240};
    const nn::Scores on_validation{
        nn::softmax_cross_entropy(net.forward(X_validation), t_validation),
        nn::accuracy(net.predict(X_validation), t_validation), 60};
    return nn::check_generalisation(on_train, on_validation, 3);
  };
  const nn::Finding right = verdict(t_true);
  CAPTURE(right.line);
  CHECK(right.ok);
  const nn::Finding shuffled = verdict(t_shuffled);
  CAPTURE(shuffled.line);
  CHECK_FALSE(shuffled.ok);
  CHECK(mentions(shuffled, "labels are detached"));
}

// ---------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------

TEST_CASE("diagnose: the report of a healthy network is all ok, of a broken one not",
          "[diagnose]") {
  nn::Sgd<double> sgd(0.5);
  nn::Network<double> net = healthy();
  const std::vector<std::string> lines =
      nn::report_lines(nn::diagnose(net, sgd, spiral().X, spiral().t));
  CAPTURE(lines);
  REQUIRE(lines.size() == 7);
  for (const std::string& line : lines) CHECK(line.rfind("ok    ", 0) == 0);

  net.layer(0).b.fill(-5.0);
  const std::vector<nn::Finding> broken = nn::diagnose(net, sgd, spiral().X, spiral().t);
  CHECK_FALSE(broken[4].ok);  // the dead units
  CHECK_FALSE(broken[5].ok);  // and so the small batch is not learnt
  CHECK(nn::report_lines(broken)[4].rfind("FAIL  ", 0) == 0);
}

TEST_CASE("diagnose: the checks run on a float network as the real-data chapters train",
          "[diagnose]") {
  nn::Network<float> net({2, 32, 32, 3}, Activation::relu);
  std::mt19937_64 rng(1);
  net.initialize(Initializer::he(), rng);
  const arma::fmat X = arma::conv_to<arma::fmat>::from(spiral().X);
  nn::Momentum<float> momentum(0.05, 0.9);
  const std::vector<nn::Finding> findings = nn::diagnose(net, momentum, X, spiral().t);
  for (const nn::Finding& f : findings) {
    CAPTURE(f.line);
    CHECK(f.ok);
  }
}

namespace {

// Logits of 4 spiral samples from the healthy network: what the chapters' checks use.
arma::mat some_logits(arma::uvec& t) {
  nn::Network<double> net = healthy();
  arma::mat X;
  nn::pick_samples(spiral().X, spiral().t, 4, 42, X, t);
  return net.forward(X);
}

// softmax cross-entropy written as a reader might, with two switches for two mistakes.
double own_loss(const arma::mat& Z, const arma::uvec& t, arma::mat& dZ, bool naive,
                bool forget_mean) {
  const arma::mat T = nn::one_hot(t, Z.n_rows);
  arma::mat P = nn::softmax(Z);
  if (naive) {
    const arma::mat E = arma::exp(Z);
    P = E.each_row() / arma::sum(E, 0);
  }
  const double m = double(Z.n_cols);
  dZ = forget_mean ? arma::mat(P - T) : arma::mat((P - T) / m);
  double loss = 0;
  for (arma::uword s = 0; s < t.n_elem; ++s) loss -= std::log(P(t(s), s));
  return loss / m;
}

nn::LossFunction loss_with(bool naive, bool forget_mean) {
  return [=](const arma::mat& Z, const arma::uvec& t, arma::mat& dZ) {
    return own_loss(Z, t, dZ, naive, forget_mean);
  };
}

}  // namespace

TEST_CASE("diagnose: the loss checks pass the library's softmax cross-entropy", "[diagnose]") {
  arma::uvec t;
  const arma::mat Z = some_logits(t);
  const nn::LossFunction library = [](const arma::mat& Zs, const arma::uvec& ts,
                                      arma::mat& dZ) {
    return nn::softmax_cross_entropy(Zs, ts, dZ);
  };
  for (const nn::LossFunction& loss : {library, loss_with(false, false)}) {
    const nn::Finding gradient = nn::check_loss_gradient(loss, Z, t);
    CAPTURE(gradient.line);
    CHECK(gradient.ok);
    CHECK(gradient.value < nn::kGradientCheckTolerance);
    const nn::Finding shift = nn::check_loss_shift(loss, Z, t);
    CAPTURE(shift.line);
    CHECK(shift.ok);
    CHECK(std::isfinite(shift.value));
  }
}

TEST_CASE("diagnose: the loss checks flag a forgotten 1/m and a naive softmax", "[diagnose]") {
  arma::uvec t;
  const arma::mat Z = some_logits(t);
  // dZ = P - T on 4 samples is 4 times (P - T) / 4: off by 1 - 1/4 in the max norm.
  const nn::Finding no_mean = nn::check_loss_gradient(loss_with(false, true), Z, t);
  CAPTURE(no_mean.line);
  CHECK_FALSE(no_mean.ok);
  CHECK(no_mean.value == Approx(0.75).epsilon(1e-6));
  CHECK(mentions(no_mean, "4 times too large: the 1/m of the mean is missing"));
  // The naive softmax passes the gradient check at small logits, and fails the shift.
  CHECK(nn::check_loss_gradient(loss_with(true, false), Z, t).ok);
  const nn::Finding naive = nn::check_loss_shift(loss_with(true, false), Z, t);
  CAPTURE(naive.line);
  CHECK_FALSE(naive.ok);
  CHECK(std::isnan(naive.value));
  CHECK(mentions(naive, "is NaN"));
  CHECK(mentions(naive, "log-sum-exp"));
  // The forgotten 1/m does not change the loss itself, so the shift check passes it.
  CHECK(nn::check_loss_shift(loss_with(false, true), Z, t).ok);
}
