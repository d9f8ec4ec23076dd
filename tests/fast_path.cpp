// Tests for bench/fast_path.hpp: each fast piece against the plain function it replaces.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "bench/fast_path.hpp"
#include "common/dense.hpp"
#include "common/idx.hpp"
#include "common/loss.hpp"
#include "common/network.hpp"
#include "common/optimizer.hpp"
#include "support/random.hpp"

using nn::Activation;

namespace {

// The fast gradient accumulation adds the product onto dW inside BLAS (C <- A B + C), the
// plain form rounds A B first and then adds. Both are fl(fl(A B) + C) when BLAS
// accumulates A B in a register and adds C once, as OpenBLAS's kernels do: every check
// below measured exactly 0 with OPENBLAS_CORETYPE=Nehalem, Sandybridge, Haswell, SkylakeX
// and Zen (OpenBLAS 0.3.21). A BLAS that folds C in
// earlier rounds differently, by about one float ulp of |C| + |A B| per step; 1e-6
// relative to the largest entry is ~10 such ulps.
constexpr double kAccumulateTolerance = 1e-6;

// The largest |a - b| relative to the largest |b|: 0 when bit-equal.
double max_relative_difference(const arma::fmat& a, const arma::fmat& b) {
  const double scale = std::max(double(arma::abs(b).max()), 1e-30);
  return double(arma::abs(a - b).max()) / scale;
}

// A float matrix of N(0, sd^2) entries.
arma::fmat random_fmat(arma::uword rows, arma::uword cols, double sd, std::mt19937_64& rng) {
  return arma::conv_to<arma::fmat>::from(nn::test::random_matrix(rows, cols, sd, rng));
}

}  // namespace

TEST_CASE("add_bias_and_relu equals Z += b and A = relu(Z), bit for bit", "[fast_path]") {
  std::mt19937_64 rng(21);
  const arma::fmat Z0 = random_fmat(7, 9, 1.0, rng);
  const arma::fvec b = arma::conv_to<arma::fvec>::from(nn::test::random_matrix(7, 1, 1.0, rng));
  arma::fmat Z_plain = Z0;
  Z_plain.each_col() += b;
  const arma::fmat A_plain = nn::activate(Activation::relu, Z_plain);
  arma::fmat Z_fast = Z0, A_fast;
  nn::fast::add_bias_and_relu(Z_fast, b, A_fast);
  CHECK(arma::all(arma::vectorise(Z_fast == Z_plain)));
  CHECK(arma::all(arma::vectorise(A_fast == A_plain)));
}

TEST_CASE("relu_backward equals dA % relu'(A), bit for bit", "[fast_path]") {
  std::mt19937_64 rng(22);
  const arma::fmat A = nn::activate(Activation::relu, random_fmat(6, 8, 1.0, rng));
  const arma::fmat dA = random_fmat(6, 8, 1.0, rng);
  const arma::fmat plain = dA % nn::derivative_from_output(Activation::relu, A);
  arma::fmat fast;
  nn::fast::relu_backward(dA, A, fast);
  CHECK(arma::all(arma::vectorise(fast == plain)));  // == also holds for -0 against +0
  CHECK(arma::any(arma::vectorise(A == 0.0f)));      // both branches were taken
  CHECK(arma::any(arma::vectorise(A > 0.0f)));
}

TEST_CASE("accumulate_gradients equals dW += dZ X^T and db += sum(dZ, 1)", "[fast_path]") {
  std::mt19937_64 rng(23);
  const arma::fmat dZ = random_fmat(5, 64, 1.0, rng), X = random_fmat(9, 64, 1.0, rng);
  const arma::fmat dW0 = random_fmat(5, 9, 1.0, rng);
  const arma::fvec db0 =
      arma::conv_to<arma::fvec>::from(nn::test::random_matrix(5, 1, 1.0, rng));
  const arma::fmat G = dZ * X.t();  // the plain form: the product first, then the sum
  const arma::fmat dW_plain = dW0 + G;
  const arma::fvec db_plain = db0 + arma::sum(dZ, 1);
  arma::fmat dW = dW0;
  arma::fvec db = db0;
  nn::fast::accumulate_gradients(dZ, X, dW, db);
  CHECK(max_relative_difference(dW, dW_plain) <= kAccumulateTolerance);
  CHECK(arma::all(db == db_plain));  // the same additions in the same order
  // From zero buffers, it is the plain gradient itself: dW = dZ X^T, db = dZ 1.
  arma::fmat dW_zero(5, 9, arma::fill::zeros);
  arma::fvec db_zero(5, arma::fill::zeros);
  nn::fast::accumulate_gradients(dZ, X, dW_zero, db_zero);
  CHECK(max_relative_difference(dW_zero, G) <= kAccumulateTolerance);
  CHECK(arma::all(db_zero == arma::fvec(arma::sum(dZ, 1))));
}

TEST_CASE("the fast network trains as nn::Network with nn::Momentum does", "[fast_path]") {
  std::mt19937_64 rng(24);
  nn::Network<float> net({12, 10, 8, 3}, Activation::relu);
  net.initialize(nn::Initializer::he(), rng);
  nn::fast::Network<float> fast(net);
  const std::vector<nn::Parameter<float>> params = net.parameters();
  nn::Momentum<float> momentum(0.05, 0.9);
  arma::fmat dZ, dZ_fast;
  for (int step = 0; step < 30; ++step) {
    CAPTURE(step);
    const arma::fmat X = random_fmat(12, 16, 1.0, rng);
    const arma::uvec t = arma::randi<arma::uvec>(16, arma::distr_param(0, 2));
    const arma::fmat& out = net.forward(X);
    const arma::fmat& out_fast = fast.forward(X);
    if (step == 0) CHECK(arma::all(arma::vectorise(out_fast == out)));  // forward, bit-equal
    nn::softmax_cross_entropy(out, t, dZ);
    nn::softmax_cross_entropy(out_fast, t, dZ_fast);
    net.backward(dZ);
    fast.backward(dZ_fast);
    momentum.step(params);
    fast.momentum_step(0.05f, 0.9f);
  }
  for (std::size_t l = 0; l < net.n_layers(); ++l) {
    CAPTURE(l);
    CHECK(max_relative_difference(fast.W(l), net.layer(l).W) <= kAccumulateTolerance);
    CHECK(max_relative_difference(fast.b(l), net.layer(l).b) <= kAccumulateTolerance);
  }
  CHECK(arma::abs(net.layer(2).b).max() > 1e-3f);  // it did train, biases included
}

TEST_CASE("the fast network refuses activations it does not implement", "[fast_path]") {
  const nn::Network<float> tanh_net({4, 3, 2}, Activation::tanh);
  CHECK_THROWS_AS(nn::fast::Network<float>(tanh_net), std::invalid_argument);
  const nn::Network<float> sigmoid_out({4, 3, 2}, Activation::relu, Activation::sigmoid);
  CHECK_THROWS_AS(nn::fast::Network<float>(sigmoid_out), std::invalid_argument);
}

TEST_CASE("the prefetching gather equals nn::gather_batch, on huge pages or not",
          "[fast_path]") {
  nn::Images images;
  images.rows = 28;
  images.cols = 28;
  images.pixels = arma::randi<arma::Mat<unsigned char>>(784, 300, arma::distr_param(0, 255));
  const nn::Images copy = nn::fast::on_huge_pages(images);
  CHECK(copy.rows == 28);
  CHECK(copy.cols == 28);
  CHECK(arma::all(arma::vectorise(copy.pixels == images.pixels)));
  const arma::uvec indices = {299, 0, 17, 17, 150, 3};
  arma::fmat plain, fast;
  nn::gather_batch(images, indices, plain);
  nn::fast::gather_batch(copy, indices, fast);
  CHECK(arma::all(arma::vectorise(fast == plain)));
  const arma::uvec bad = {1, 300};
  CHECK_THROWS_AS(nn::fast::gather_batch(copy, bad, fast), std::out_of_range);
}
