// Tests for common/batch_norm.hpp
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <tuple>

#include "common/batch_norm.hpp"
#include "common/gradient_check.hpp"
#include "support/random.hpp"
#include "support/tolerances.hpp"

using nn::Activation;
using nn::Mode;

using nn::test::kKinkMargin;
using nn::test::kRoundingTolerance;
using nn::test::random_matrix;

// The variance of a row of Zhat is var / (var + eps), not exactly 1: below 1 by
// eps / (var + eps) < eps / var. With eps = 1e-5 and rows whose variance is at least 1/2
// (the test checks it), that is under 2e-5.
constexpr double kNormalisedVarianceTolerance = 2e-5;

// float keeps about 7 significant digits; the mean, the variance and the backward's sums
// over a batch of a few dozen samples lose a little more (the worst difference below, in a
// dgamma summed over 32 samples, is 1.9e-6).
constexpr double kFloatBatchNormTolerance = 1e-5;

// Z (n x m) whose rows have different means (-3..3) and spreads (sd 1..3): the layer must
// undo both.
static arma::mat offset_rows(arma::uword n, arma::uword m, std::mt19937_64& rng) {
  arma::mat Z = random_matrix(n, m, 1.0, rng);
  std::uniform_real_distribution<double> mean(-3.0, 3.0), sd(1.0, 3.0);
  for (arma::uword i = 0; i < n; ++i) Z.row(i) = Z.row(i) * sd(rng) + mean(rng);
  return Z;
}

static arma::vec row_variance(const arma::mat& M) {  // biased: (1/m) sum_j (M_j - mean)^2
  const arma::mat centred = M.each_col() - arma::mean(M, 1);
  return arma::vec(arma::mean(arma::square(centred), 1));
}

TEST_CASE("in training mode every row of Zhat has mean 0 and variance 1", "[batch_norm]") {
  std::mt19937_64 rng(1);
  const arma::mat Z = offset_rows(5, 40, rng);
  REQUIRE(arma::min(row_variance(Z)) >= 0.5);  // what kNormalisedVarianceTolerance assumes
  nn::BatchNorm<double> layer(5, Activation::identity);
  layer.forward(Z, Mode::training);
  const arma::vec means = arma::mean(layer.Zhat(), 1);
  const arma::vec vars = row_variance(layer.Zhat());
  CAPTURE(means, vars);
  CHECK(arma::max(arma::abs(means)) < kRoundingTolerance);
  CHECK(arma::max(arma::abs(vars - 1.0)) < kNormalisedVarianceTolerance);
}

TEST_CASE("batch norm's output is g(gamma % Zhat + beta)", "[batch_norm]") {
  const Activation g = GENERATE(Activation::identity, Activation::relu, Activation::tanh);
  CAPTURE(nn::to_string(g));
  std::mt19937_64 rng(2);
  const arma::mat Z = offset_rows(4, 10, rng);
  nn::BatchNorm<double> layer(4, g);
  layer.gamma = arma::vec{0.5, 2.0, -1.0, 1.5};
  layer.beta = arma::vec{0.1, -0.2, 0.3, 0.0};
  const arma::mat A = layer.forward(Z, Mode::training);
  const arma::vec mu = arma::mean(Z, 1);
  const arma::vec s = 1.0 / arma::sqrt(row_variance(Z) + layer.epsilon());
  arma::mat Zhat = Z.each_col() - mu;
  Zhat.each_col() %= s;
  arma::mat Y = Zhat.each_col() % layer.gamma;
  Y.each_col() += layer.beta;
  CHECK(arma::approx_equal(layer.Zhat(), Zhat, "absdiff", kRoundingTolerance));
  CHECK(arma::approx_equal(A, nn::activate(g, Y), "absdiff", kRoundingTolerance));
}

TEST_CASE("the running statistics follow the update formula on a hand example",
          "[batch_norm]") {
  // Two units, four samples, momentum 0.1.
  //   row 1: 1 2 3 6   mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5, unbiased 14/3
  //   row 2: 0 0 4 4   mean 2, biased variance 4,                         unbiased 16/3
  // After one batch:  running_mean = 0.9 * 0 + 0.1 * mean = (0.3, 0.2)
  //                   running_var  = 0.9 * 1 + 0.1 * unbiased = (0.9 + 1.4/3, 0.9 + 1.6/3)
  // After the same batch again: running_mean = 0.9 * (0.3, 0.2) + (0.3, 0.2) = (0.57, 0.38)
  //                   running_var  = 0.9 * (0.9 + 1.4/3) + 1.4/3, and the same for row 2.
  const arma::mat Z = {{1, 2, 3, 6}, {0, 0, 4, 4}};
  nn::BatchNorm<double> layer(2, Activation::identity, 0.1);
  layer.forward(Z, Mode::training);
  CHECK(layer.running_mean(0) == Approx(0.3).epsilon(1e-12));
  CHECK(layer.running_mean(1) == Approx(0.2).epsilon(1e-12));
  CHECK(layer.running_var(0) == Approx(0.9 + 1.4 / 3).epsilon(1e-12));
  CHECK(layer.running_var(1) == Approx(0.9 + 1.6 / 3).epsilon(1e-12));
  // Row 2 of Zhat: (Z - 2) / sqrt(4 + eps) = +-2 / sqrt(4.00001).
  const double z = 2.0 / std::sqrt(4.0 + 1e-5);
  CHECK(arma::approx_equal(arma::mat(layer.Zhat().row(1)), arma::mat{{-z, -z, z, z}}, "absdiff",
                           kRoundingTolerance));
  layer.forward(Z, Mode::training);
  CHECK(layer.running_mean(0) == Approx(0.57).epsilon(1e-12));
  CHECK(layer.running_mean(1) == Approx(0.38).epsilon(1e-12));
  CHECK(layer.running_var(0) == Approx(0.9 * (0.9 + 1.4 / 3) + 1.4 / 3).epsilon(1e-12));
  CHECK(layer.running_var(1) == Approx(0.9 * (0.9 + 1.6 / 3) + 1.6 / 3).epsilon(1e-12));
  // Evaluation uses them and changes nothing.
  const arma::vec mean_before = layer.running_mean, var_before = layer.running_var;
  layer.forward(Z, Mode::evaluation);
  CHECK(arma::approx_equal(layer.running_mean, mean_before, "absdiff", 0.0));
  CHECK(arma::approx_equal(layer.running_var, var_before, "absdiff", 0.0));
  const arma::vec s = 1.0 / arma::sqrt(var_before + 1e-5);
  CHECK(layer.Zhat()(0, 3) == Approx((6.0 - mean_before(0)) * s(0)).epsilon(1e-12));
}

TEST_CASE("after many training batches of the same data, evaluation uses its statistics",
          "[batch_norm]") {
  std::mt19937_64 rng(3);
  const arma::uword m = 1000;
  const arma::mat Z = offset_rows(3, m, rng);
  nn::BatchNorm<double> layer(3, Activation::identity, 0.1);
  layer.gamma = arma::vec{1.5, 0.5, 1.0};
  layer.beta = arma::vec{-1.0, 0.0, 2.0};
  const int batches = 300;
  for (int k = 0; k < batches; ++k) layer.forward(Z, Mode::training);
  const arma::mat A_training = layer.A();
  // After k batches the running statistics have forgotten their start (0 and 1) but for a
  // factor 0.9^k (about 2e-14 for k = 300).
  const double kForgottenStart = 1e-12;
  const arma::vec mu = arma::mean(Z, 1);
  const arma::vec unbiased = row_variance(Z) * (double(m) / double(m - 1));
  CHECK(arma::approx_equal(layer.running_mean, mu, "reldiff", kForgottenStart));
  CHECK(arma::approx_equal(layer.running_var, unbiased, "reldiff", kForgottenStart));
  // Evaluation then divides by sqrt(running_var + eps), the unbiased variance, larger by
  // m/(m-1): every Zhat shrinks by a factor between sqrt((m-1)/m) and 1 (eps, added to both
  // variances, brings the factor closer to 1). So an output moves by at most
  // |gamma Zhat| (1 - sqrt((m-1)/m)), about |gamma Zhat| / (2m), and the start the running
  // statistics forgot adds kForgottenStart at most.
  const arma::mat A_evaluation = layer.forward(Z, Mode::evaluation);
  const arma::mat gamma_Zhat = A_training.each_col() - layer.beta;
  const double shrink = 1.0 - std::sqrt(double(m - 1) / double(m));
  const double kUnbiasedVarianceGap = arma::abs(gamma_Zhat).max() * shrink + kForgottenStart;
  CAPTURE(kUnbiasedVarianceGap, arma::abs(A_evaluation - A_training).max());
  CHECK(arma::approx_equal(A_evaluation, A_training, "absdiff", kUnbiasedVarianceGap));
}

// A layer with random gamma, beta and running statistics, and an input Z, for which every Y
// stays at least kKinkMargin away from 0 (relu's kink), with a positive Y in every row for
// relu.
struct NormAndInput {
  nn::BatchNorm<double> layer;
  arma::mat Z;
};

static NormAndInput draw_norm_layer(arma::uword n, arma::uword m, Activation g, Mode mode,
                                    std::mt19937_64& rng) {
  std::uniform_real_distribution<double> spread(0.5, 1.5), shift(-0.5, 0.5);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    NormAndInput d{nn::BatchNorm<double>(n, g), offset_rows(n, m, rng)};
    // Running statistics (used only in evaluation mode) near the batch's, as after
    // training: the mean off by up to half a standard deviation, the variance by a factor
    // 0.5 to 1.5. (Far-off ones would put most Y where tanh is flat, and its tiny gradient
    // below the finite differences' rounding.)
    const arma::vec mu = arma::mean(d.Z, 1), var = row_variance(d.Z);
    for (arma::uword i = 0; i < n; ++i) {
      d.layer.gamma(i) = (i % 2 ? -1.0 : 1.0) * spread(rng);  // both signs
      d.layer.beta(i) = shift(rng);
      d.layer.running_mean(i) = mu(i) + shift(rng) * std::sqrt(var(i));
      d.layer.running_var(i) = var(i) * (1.0 + shift(rng));
    }
    nn::BatchNorm<double> probe = d.layer;
    probe.forward(d.Z, mode);
    // Away from the kink, and for relu every unit with some Y > 0, so that a gradient
    // reaches every gamma and beta (a check of zeros against zeros would prove nothing).
    const bool away = arma::min(arma::abs(arma::vectorise(probe.Y()))) > kKinkMargin;
    const bool alive = g != Activation::relu || arma::all(arma::max(probe.Y(), 1) > 0.0);
    if (away && alive) return d;
  }
  FAIL("could not draw a Y away from the kink with some Y > 0 in every row");
  throw std::logic_error("unreachable");
}

TEST_CASE("batch norm backward matches central finite differences for Z, gamma and beta",
          "[batch_norm]") {
  const Activation g = GENERATE(Activation::identity, Activation::relu, Activation::tanh);
  const Mode mode = GENERATE(Mode::training, Mode::evaluation);
  arma::uword n = 0, m = 0;
  std::tie(n, m) = GENERATE(table<arma::uword, arma::uword>({{1, 3}, {3, 4}, {4, 7}, {2, 16}}));
  CAPTURE(nn::to_string(g), mode == Mode::training ? "training" : "evaluation", n, m);
  std::mt19937_64 rng(n * 100 + m);
  NormAndInput d = draw_norm_layer(n, m, g, mode, rng);

  // L = sum(C % A) with a fixed random C, so dL/dA = C.
  const arma::mat C = random_matrix(n, m, 1.0, rng);
  nn::BatchNorm<double> layer = d.layer;
  layer.forward(d.Z, mode);
  const arma::mat dZ = layer.backward(C);
  const arma::mat dgamma = layer.dgamma();
  const arma::mat dbeta = layer.dbeta();

  // Every probe starts from a copy of the layer as drawn, so the running statistics that
  // evaluation mode uses are the same at every probe (training mode would change them).
  // The loss is measured from its value at the unperturbed point, sum(C % (A - A0)): the
  // constant L(A0) changes no gradient, and summing only the changes keeps the rounding
  // small. (In evaluation mode a probe changes one entry of A; summed with all the others,
  // its change of ~1e-5 would carry the rounding of a sum of n m terms of size 1, ~1e-15,
  // and an entry of dZ as small as 0.01 by chance would be off by 1e-7.)
  nn::BatchNorm<double> unperturbed = d.layer;
  const arma::mat A0 = unperturbed.forward(d.Z, mode);
  auto loss = [&](const arma::mat& Z, const arma::vec& gamma, const arma::vec& beta) {
    nn::BatchNorm<double> probe = d.layer;
    probe.gamma = gamma;
    probe.beta = beta;
    return arma::accu(C % (probe.forward(Z, mode) - A0));
  };
  const arma::vec gamma0 = d.layer.gamma, beta0 = d.layer.beta;
  const arma::mat numeric_dZ =
      nn::numerical_gradient([&](const arma::mat& Z) { return loss(Z, gamma0, beta0); }, d.Z);
  const arma::mat numeric_dgamma = nn::numerical_gradient(
      [&](const arma::mat& gamma) { return loss(d.Z, arma::vec(gamma), beta0); },
      arma::mat(gamma0));
  const arma::mat numeric_dbeta = nn::numerical_gradient(
      [&](const arma::mat& beta) { return loss(d.Z, gamma0, arma::vec(beta)); },
      arma::mat(beta0));
  CHECK(nn::relative_error(dZ, numeric_dZ) < nn::kGradientCheckTolerance);
  // dgamma and dbeta are sums over the batch, which can cancel by chance (here, for
  // identity in evaluation mode with 16 samples, one dgamma is 0.0004 beside -3.19); the
  // finite difference keeps the rounding of the terms, so such an entry's own relative
  // error can pass 1e-7 (1.5e-7 there) while the gradient is right to 11 digits. They are
  // measured against the tensor's largest entry (gradient_check.hpp says why).
  CHECK(nn::tensor_relative_error(dgamma, numeric_dgamma) < nn::kGradientCheckTolerance);
  CHECK(nn::tensor_relative_error(dbeta, numeric_dbeta) < nn::kGradientCheckTolerance);
}

TEST_CASE(
    "in training mode each row of dZ sums to 0, so a bias before the layer learns nothing",
    "[batch_norm]") {
  std::mt19937_64 rng(4);
  const arma::mat Z = offset_rows(6, 12, rng);
  nn::BatchNorm<double> layer(6, Activation::tanh);
  layer.forward(Z, Mode::training);
  const arma::mat dZ = layer.backward(random_matrix(6, 12, 1.0, rng));
  // A sum of 12 terms of size ~1 that cancel: what is left is rounding.
  CHECK(arma::max(arma::abs(arma::sum(dZ, 1))) < kRoundingTolerance);
}

TEST_CASE("a float batch norm computes what a double one computes", "[batch_norm]") {
  const Mode mode = GENERATE(Mode::training, Mode::evaluation);
  std::mt19937_64 rng(5);
  NormAndInput d = draw_norm_layer(8, 32, Activation::relu, mode, rng);
  nn::BatchNorm<float> f(8, Activation::relu);
  f.gamma = arma::conv_to<arma::fvec>::from(d.layer.gamma);
  f.beta = arma::conv_to<arma::fvec>::from(d.layer.beta);
  f.running_mean = arma::conv_to<arma::fvec>::from(d.layer.running_mean);
  f.running_var = arma::conv_to<arma::fvec>::from(d.layer.running_var);
  const arma::fmat Zf = arma::conv_to<arma::fmat>::from(d.Z);
  const arma::mat dA = random_matrix(8, 32, 1.0, rng);
  d.layer.forward(d.Z, mode);
  f.forward(Zf, mode);
  const arma::mat dZ = d.layer.backward(dA);
  const arma::fmat dZf = f.backward(arma::conv_to<arma::fmat>::from(dA));
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(f.A()), d.layer.A(), "absdiff",
                           kFloatBatchNormTolerance));
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(dZf), dZ, "absdiff",
                           kFloatBatchNormTolerance));
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(f.dgamma()), d.layer.dgamma(),
                           "absdiff", kFloatBatchNormTolerance));
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(f.running_var), d.layer.running_var,
                           "absdiff", kFloatBatchNormTolerance));
}

TEST_CASE("batch norm rejects one sample in training, bad settings and bad shapes",
          "[batch_norm]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(nn::BatchNorm<double>(0, Activation::relu), std::invalid_argument);
  CHECK_THROWS_AS(nn::BatchNorm<double>(3, Activation::relu, -0.1), std::invalid_argument);
  CHECK_THROWS_AS(nn::BatchNorm<double>(3, Activation::relu, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(nn::BatchNorm<double>(3, Activation::relu, nan), std::invalid_argument);
  CHECK_THROWS_AS(nn::BatchNorm<double>(3, Activation::relu, 0.1, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(nn::BatchNorm<double>(3, Activation::relu, 0.1, nan), std::invalid_argument);

  nn::BatchNorm<double> layer(3, Activation::relu);
  CHECK_THROWS_WITH(layer.forward(arma::mat(3, 1, arma::fill::ones), Mode::training),
                    Catch::Contains("at least 2 samples"));
  CHECK_NOTHROW(layer.forward(arma::mat(3, 1, arma::fill::ones), Mode::evaluation));
  CHECK_THROWS_AS(layer.forward(arma::mat(3, 0), Mode::evaluation), std::invalid_argument);
  CHECK_THROWS_WITH(layer.forward(arma::mat(4, 5, arma::fill::ones), Mode::training),
                    Catch::Contains("Z has 4 rows, the layer expects 3"));

  nn::BatchNorm<double> fresh(3, Activation::relu);
  CHECK_THROWS_AS(fresh.backward(arma::mat(3, 4)), std::logic_error);
  const arma::mat Z = {{1, 2, 3, 4}, {0, 1, 0, 1}, {5, 3, 2, 0}};
  fresh.forward(Z, Mode::training);
  CHECK_THROWS_AS(fresh.backward(arma::mat(3, 5)), std::invalid_argument);
  CHECK_NOTHROW(fresh.backward(arma::mat(3, 4, arma::fill::ones)));
  fresh.gamma = arma::vec(2, arma::fill::ones);  // a loader that got the size wrong
  CHECK_THROWS_AS(fresh.forward(Z, Mode::training), std::invalid_argument);
}

TEST_CASE(
    "batch norm initialize resets gamma, beta and the running statistics, and "
    "parameters name gamma and beta",
    "[batch_norm]") {
  nn::BatchNorm<double> layer(4, Activation::relu, 0.2, 1e-3);
  CHECK(layer.n_inputs() == 4);
  CHECK(layer.n_outputs() == 4);
  CHECK(layer.activation() == Activation::relu);
  CHECK(layer.momentum() == 0.2);
  CHECK(layer.epsilon() == 1e-3);
  layer.gamma.fill(3.0);
  layer.beta.fill(1.0);
  layer.running_mean.fill(2.0);
  layer.running_var.fill(5.0);
  std::mt19937_64 rng(1);
  layer.initialize(nn::Initializer::he(), rng);
  CHECK(arma::all(layer.gamma == 1.0));
  CHECK(arma::all(layer.beta == 0.0));
  CHECK(arma::all(layer.running_mean == 0.0));
  CHECK(arma::all(layer.running_var == 1.0));

  const std::vector<nn::Parameter<double>> params = layer.parameters("2");
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == "gamma2");
  CHECK(params[0].value == static_cast<arma::mat*>(&layer.gamma));
  CHECK_FALSE(params[0].is_weight);
  CHECK(params[1].name == "beta2");
  CHECK(params[1].value == static_cast<arma::mat*>(&layer.beta));
  CHECK_FALSE(params[1].is_weight);
  CHECK(params[0].gradient->n_elem == 4);  // sized before the first backward
  CHECK(params[1].gradient->n_elem == 4);
  // After a backward the parameters point at the gradients it computed.
  const arma::mat Z = {{1, 2, 3}, {0, 1, 5}, {2, 2, 0}, {1, 0, 0}};
  layer.forward(Z, Mode::training);
  layer.backward(arma::mat(4, 3, arma::fill::ones));
  CHECK(arma::approx_equal(*params[0].gradient, arma::mat(layer.dgamma()), "absdiff", 0.0));
  CHECK(arma::approx_equal(*params[1].gradient, arma::mat(layer.dbeta()), "absdiff", 0.0));
}
