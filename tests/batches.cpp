// Tests for common/batches.hpp
#include <catch2/catch.hpp>

#include <cmath>

#include "common/batches.hpp"

static bool is_permutation(const arma::uvec& order, arma::uword n) {
  return order.n_elem == n &&
         (n == 0 || arma::all(arma::sort(order) == arma::regspace<arma::uvec>(0, n - 1)));
}

TEST_CASE("epoch_order is a permutation, fixed by seed and epoch", "[batches]") {
  const arma::uword n = GENERATE(1, 2, 7, 64, 1000);
  CAPTURE(n);
  const arma::uvec order = nn::epoch_order(n, 42, 0);
  CHECK(is_permutation(order, n));
  CHECK(arma::all(nn::epoch_order(n, 42, 0) == order));  // same seed and epoch: same order
  if (n >= 7) {  // 7! = 5040 orders: two draws agree by chance with probability 1/5040
    CHECK_FALSE(arma::all(nn::epoch_order(n, 42, 1) == order));
    CHECK_FALSE(arma::all(nn::epoch_order(n, 43, 0) == order));
  }
  CHECK(nn::epoch_order(0, 42, 0).n_elem == 0);
}

TEST_CASE("epoch_order gives the same order on every platform", "[batches]") {
  // A regression pin: std::mt19937_64 and std::seed_seq are specified exactly by the
  // standard and the shuffle is ours, so this order is the same with every compiler and
  // library. If it changes, every chapter's shuffled training changes with it.
  const arma::uvec expected = {5, 1, 6, 2, 4, 3, 8, 7, 0, 9};
  CHECK(arma::all(nn::epoch_order(10, 42, 3) == expected));
  // The benchmark's first order. bench/fmnist_common.py reproduces these streams in Python
  // (for fmnist_mlp.py and fmnist_cnn.py) and checks itself against the same numbers
  // (CPP_STREAM_PINS there).
  const arma::uvec first_six = nn::epoch_order(60000, 42, 1).head(6);
  CHECK(arma::all(first_six == arma::uvec{42188, 8110, 11870, 55156, 5854, 43967}));
}

TEST_CASE("epoch orders look uniform: each sample is first about equally often", "[batches]") {
  // Over 8000 epochs of 20 samples each sample should lead 400 times; the standard
  // deviation of that count is sqrt(8000 * 1/20 * 19/20) ~ 19.5, so 100 is 5 of them.
  constexpr double kCountTolerance = 100;
  arma::uvec first(20, arma::fill::zeros);
  for (arma::uword epoch = 0; epoch < 8000; ++epoch) {
    const arma::uvec order = nn::epoch_order(20, 7, epoch);
    ++first(order(0));
  }
  for (arma::uword i = 0; i < 20; ++i) {
    CAPTURE(i);
    CHECK(std::abs(double(first(i)) - 400.0) < kCountTolerance);
  }
}

TEMPLATE_TEST_CASE("mini-batches visit every sample exactly once per epoch", "[batches]", float,
                   double) {
  const arma::uword n = 23;
  const arma::uword batch_size = GENERATE(1, 5, 23, 64);
  CAPTURE(batch_size);
  arma::Mat<TestType> X(3, n);
  for (arma::uword j = 0; j < n; ++j) X.col(j).fill(TestType(j));  // column j holds j
  const arma::uvec t = arma::regspace<arma::uvec>(100, 100 + n - 1);
  nn::MiniBatches<TestType> batches(X, t, batch_size, 9);
  CHECK(batches.count() == (n + batch_size - 1) / batch_size);
  arma::uvec previous_order;
  for (arma::uword epoch = 0; epoch < 3; ++epoch) {
    batches.shuffle(epoch);
    CHECK(arma::all(batches.order() == nn::epoch_order(n, 9, epoch)));
    arma::uvec seen(n, arma::fill::zeros);
    for (arma::uword k = 0; k < batches.count(); ++k) {
      batches.gather(k);
      const arma::uword expected_size =
          k + 1 < batches.count() ? batch_size : n - k * batch_size;
      REQUIRE(batches.X().n_cols == expected_size);
      REQUIRE(batches.t().n_elem == expected_size);
      for (arma::uword j = 0; j < expected_size; ++j) {
        const arma::uword sample = batches.indices()(j);
        ++seen(sample);
        CHECK(arma::all(batches.X().col(j) == TestType(sample)));  // the right column
        CHECK(batches.t()(j) == 100 + sample);                     // and its label
      }
    }
    CHECK(arma::all(seen == 1));
    if (epoch > 0 && batch_size < n) CHECK_FALSE(arma::all(batches.order() == previous_order));
    previous_order = batches.order();
  }
  CHECK_THROWS_AS(batches.gather(batches.count()), std::out_of_range);
}

TEST_CASE("mini-batches reuse their buffers for batches of the same size", "[batches]") {
  const arma::fmat X(20, 100, arma::fill::randu);
  const arma::uvec t(100, arma::fill::zeros);
  nn::MiniBatches<float> batches(X, t, 32, 1);
  batches.shuffle(0);
  batches.gather(0);
  const float* buffer = batches.X().memptr();
  batches.gather(1);
  CHECK(batches.X().memptr() == buffer);
  batches.shuffle(1);
  batches.gather(2);
  CHECK(batches.X().memptr() == buffer);
}

TEMPLATE_TEST_CASE("mini-batches of bytes are the same batches, converted to [0, 1] exactly",
                   "[batches]", float, double) {
  // 7 "images" of 256 pixels: every byte value 0..255 occurs, in another place in each.
  const arma::uword n = 7, pixels = 256;
  arma::Mat<unsigned char> bytes(pixels, n);
  for (arma::uword j = 0; j < n; ++j)
    for (arma::uword p = 0; p < pixels; ++p) bytes(p, j) = (unsigned char)((p + 37 * j) % 256);
  const arma::uvec t = arma::regspace<arma::uvec>(10, 10 + n - 1);
  const arma::Mat<TestType> as_real = arma::conv_to<arma::Mat<TestType>>::from(bytes);
  nn::MiniBatches<TestType, unsigned char> from_bytes(bytes, t, 3, 5);
  nn::MiniBatches<TestType> from_reals(as_real, t, 3, 5);
  for (arma::uword epoch = 0; epoch < 2; ++epoch) {
    if (epoch > 0) {  // epoch 0: the unshuffled order 0, 1, ..., n-1
      from_bytes.shuffle(epoch);
      from_reals.shuffle(epoch);
    }
    REQUIRE(from_bytes.count() == 3);  // 3 + 3 + 1 samples
    for (arma::uword k = 0; k < from_bytes.count(); ++k) {
      CAPTURE(epoch, k);
      from_bytes.gather(k);
      from_reals.gather(k);
      CHECK(arma::all(from_bytes.indices() == from_reals.indices()));
      CHECK(arma::all(from_bytes.t() == from_reals.t()));
      // Bit for bit the division pixel / 255 of each gathered column (not a multiplication
      // by 1/255, which differs in the last bit for about half the byte values).
      const arma::Mat<TestType> expected = from_reals.X() / TestType(255);
      REQUIRE(from_bytes.X().n_rows == pixels);
      REQUIRE(from_bytes.X().n_cols == expected.n_cols);
      CHECK(arma::approx_equal(from_bytes.X(), expected, "absdiff", TestType(0)));
      CHECK(from_bytes.X().min() >= TestType(0));
      CHECK(from_bytes.X().max() <= TestType(1));
    }
  }
}

TEST_CASE("gather_columns copies the chosen columns and checks them", "[batches]") {
  const arma::mat X = {{1, 2, 3, 4}, {5, 6, 7, 8}};
  arma::mat out;
  nn::gather_columns(X, arma::uvec{3, 0, 3}, out);
  CHECK(arma::approx_equal(out, arma::mat{{4, 1, 4}, {8, 5, 8}}, "absdiff", 0.0));
  CHECK_THROWS_AS(nn::gather_columns(X, arma::uvec{4}, out), std::invalid_argument);
}

TEST_CASE("mini-batches reject inconsistent data", "[batches]") {
  const arma::mat X(2, 5, arma::fill::zeros);
  const arma::uvec y4(4, arma::fill::zeros), y5(5, arma::fill::zeros);
  CHECK_THROWS_WITH(nn::MiniBatches<double>(X, y4, 2, 1),
                    Catch::Contains("4 labels for 5 samples"));
  CHECK_THROWS_AS(nn::MiniBatches<double>(X, y5, 0, 1), std::invalid_argument);
}
