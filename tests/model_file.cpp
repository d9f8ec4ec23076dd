// Tests for common/model_file.hpp: a saved network loads back bit for bit, the bytes are
// the documented format, and every kind of wrong or damaged file is rejected with a
// message naming the file and the problem.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "common/model_file.hpp"
#include "support/chapter_run.hpp"
#include "support/model_files.hpp"

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

// A network with every activation, random weights AND random biases (Dense::initialize
// sets b = 0, which would not show a bias that fails to round-trip).
template <typename Real>
nn::Network<Real> sample_network() {
  using nn::Activation;
  nn::Network<Real> net(
      std::vector<arma::uword>{6, 5, 5, 4, 4, 3},
      std::vector<Activation>{Activation::sigmoid, Activation::tanh, Activation::relu,
                              Activation::step, Activation::identity});
  std::mt19937_64 rng(2024);
  net.initialize(nn::Initializer::xavier(), rng);
  std::normal_distribution<double> normal(0.0, 0.5);
  for (std::size_t l = 0; l < net.n_layers(); ++l)
    for (arma::uword i = 0; i < net.layer(l).b.n_elem; ++i)
      net.layer(l).b(i) = Real(normal(rng));
  return net;
}

template <typename Real>
bool same_bits(const arma::Mat<Real>& a, const arma::Mat<Real>& b) {
  return a.n_rows == b.n_rows && a.n_cols == b.n_cols &&
         std::memcmp(a.memptr(), b.memptr(), a.n_elem * sizeof(Real)) == 0;
}

std::string write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return path;
}

std::uint32_t u32_at(const std::string& b, std::size_t at) {
  return std::uint32_t(std::uint8_t(b[at])) | std::uint32_t(std::uint8_t(b[at + 1])) << 8 |
         std::uint32_t(std::uint8_t(b[at + 2])) << 16 |
         std::uint32_t(std::uint8_t(b[at + 3])) << 24;
}

void set_u32(std::string& b, std::size_t at, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) b[at + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
}

// Recomputes the trailing CRC-32 with zlib directly (not with the code under test), so a
// test can change one header field and have only that field be wrong.
void fix_checksum(std::string& b) {
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(b.data()),
                          static_cast<uInt>(b.size() - 4));
  set_u32(b, b.size() - 4, static_cast<std::uint32_t>(crc));
}

// Loading `bytes` (written to a file named `name`) as a float network fails with a
// ModelError whose message names the file and contains `phrase`.
void require_rejected(const std::string& bytes, const std::string& name,
                      const std::string& phrase) {
  const std::string path =
      // A folder of its own per file name: ctest runs test cases in parallel processes,
      // and a shared folder would be emptied by one while another writes into it.
      write_bytes(nn::test::fresh_dir("model_file_bad_" + name) + "/" + name, bytes);
  CAPTURE(name, phrase);
  try {
    (void)nn::load_model<float>(path);
    FAIL("a damaged model file was loaded: " << name);
  } catch (const nn::ModelError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Contains("model file '" + path + "': "));
    CHECK_THAT(message, Contains(phrase));
  }
}

// The header of sample_network: 5 layers, the input size, then per layer eight numbers
// {kind, n_out, activation, channels, height, width, side, padding}.
constexpr std::size_t kSampleLayers = 5;
constexpr std::size_t kInputsAt = 20;
constexpr std::size_t kRecordsAt = 24;
constexpr std::size_t kRecordBytes = 32;
constexpr std::size_t record_at(std::size_t l) { return kRecordsAt + kRecordBytes * l; }
constexpr std::size_t kParametersAt = kRecordsAt + kRecordBytes * kSampleLayers;

// A network with each kind of layer: Dense, batch norm, dropout, with trained-looking
// (random) gamma, beta and running statistics, so none of them round-trips by accident.
template <typename Real>
nn::Network<Real> network_with_every_kind() {
  using nn::Activation;
  nn::Network<Real> net;
  net.add(nn::Dropout<Real>(6, 0.1));  // dropout on the inputs
  net.add(nn::Dense<Real>(6, 5, Activation::identity));
  net.add(nn::BatchNorm<Real>(5, Activation::relu, 0.2, 1e-3));
  net.add(nn::Dropout<Real>(5, 0.25));
  net.add(nn::Dense<Real>(5, 3, Activation::identity));
  std::mt19937_64 rng(7);
  net.initialize(nn::Initializer::he(), rng);
  std::normal_distribution<double> normal(0.0, 0.5);
  auto& norm = std::get<nn::BatchNorm<Real>>(net.all_layers()[2]);
  for (arma::uword i = 0; i < 5; ++i) {
    norm.gamma(i) = Real(1 + normal(rng));
    norm.beta(i) = Real(normal(rng));
    norm.running_mean(i) = Real(normal(rng));
    norm.running_var(i) = Real(0.5 + std::abs(normal(rng)));
  }
  return net;
}

}  // namespace

TEMPLATE_TEST_CASE("a saved network loads back with bit-identical parameters and outputs",
                   "[model_file]", float, double) {
  nn::Network<TestType> net = sample_network<TestType>();
  const std::string path = nn::test::fresh_dir("model_file_round_trip") + "/net.nnm";
  nn::save_model(path, net);
  REQUIRE(fs::exists(path));
  REQUIRE_FALSE(fs::exists(path + ".part"));
  nn::Network<TestType> loaded = nn::load_model<TestType>(path);

  REQUIRE(loaded.layer_sizes() == net.layer_sizes());
  REQUIRE(loaded.activations() == net.activations());
  for (std::size_t l = 0; l < net.n_layers(); ++l) {
    CAPTURE(l);
    CHECK(same_bits<TestType>(loaded.layer(l).W, net.layer(l).W));
    CHECK(same_bits<TestType>(loaded.layer(l).b, net.layer(l).b));
  }
  // The same inputs give the same outputs, to the last bit.
  arma::arma_rng::set_seed(5);
  const arma::Mat<TestType> X = arma::randn<arma::Mat<TestType>>(6, 40);
  const arma::Mat<TestType> expected = net.forward(X);
  const arma::Mat<TestType> actual = loaded.forward(X);
  CHECK(same_bits(actual, expected));
  CHECK(arma::all(loaded.predict(X) == net.predict(X)));
}

TEMPLATE_TEST_CASE("a model file has the documented layout", "[model_file]", float, double) {
  const nn::Network<TestType> net = sample_network<TestType>();
  const std::string b = nn::model_to_bytes(net);
  // 24 + 32 L header bytes, every parameter, the checksum.
  REQUIRE(b.size() == 24 + 32 * kSampleLayers + net.n_parameters() * sizeof(TestType) + 4);
  CHECK(b.substr(0, 8) == std::string("NNMODEL\n"));
  CHECK(u32_at(b, 8) == 3);                  // version
  CHECK(u32_at(b, 12) == sizeof(TestType));  // element type: 4 or 8 bytes
  CHECK(u32_at(b, 16) == kSampleLayers);     // L
  CHECK(u32_at(b, kInputsAt) == 6);          // n_0
  const std::vector<std::uint32_t> sizes = {5, 5, 4, 4, 3};
  // sigmoid 2, tanh 3, relu 4, step 1, identity 0
  const std::vector<std::uint32_t> codes = {2, 3, 4, 1, 0};
  for (std::size_t l = 0; l < kSampleLayers; ++l) {
    CHECK(u32_at(b, record_at(l)) == 0);  // dense
    CHECK(u32_at(b, record_at(l) + 4) == sizes[l]);
    CHECK(u32_at(b, record_at(l) + 8) == codes[l]);
    for (std::size_t field = 12; field < 32; field += 4)  // no image shape, side, padding
      CHECK(u32_at(b, record_at(l) + field) == 0);
  }
  // W1(0, 0), W1(1, 0) (column by column), then after W1 comes b1(0), little-endian.
  if constexpr (std::endian::native == std::endian::little) {
    const arma::Mat<TestType>& W1 = net.layer(0).W;
    CHECK(std::memcmp(b.data() + kParametersAt, &W1(0, 0), sizeof(TestType)) == 0);
    CHECK(std::memcmp(b.data() + kParametersAt + sizeof(TestType), &W1(1, 0),
                      sizeof(TestType)) == 0);
    CHECK(std::memcmp(b.data() + kParametersAt + W1.n_elem * sizeof(TestType),
                      &net.layer(0).b(0), sizeof(TestType)) == 0);
  }
  // The checksum is zlib's CRC-32 of everything before it.
  std::string fixed = b;
  fix_checksum(fixed);
  CHECK(fixed == b);
}

TEST_CASE("chapter 09's network makes a file of the size its text quotes", "[model_file]") {
  const nn::Network<float> net({784, 256, 128, 10}, nn::Activation::relu);
  CHECK(nn::model_to_bytes(net).size() == 940'708);  // 120 + 235,146 x 4 + 4
}

TEST_CASE("a truncated model file is rejected wherever it ends", "[model_file]") {
  const std::string good = nn::model_to_bytes(sample_network<float>());
  const std::size_t cut =
      GENERATE_COPY(std::size_t{0}, std::size_t{5}, std::size_t{8}, std::size_t{10},
                    kInputsAt + 2, record_at(1) + 6, record_at(4) + 10, kParametersAt,
                    kParametersAt + 13, good.size() - 4, good.size() - 1);
  CAPTURE(cut);
  require_rejected(good.substr(0, cut), "truncated.nnm", "truncated");
}

TEST_CASE("a model file with wrong magic bytes is not taken for a model", "[model_file]") {
  std::string bytes = nn::model_to_bytes(sample_network<float>());
  bytes[0] = 'X';
  require_rejected(bytes, "bad_magic.nnm", "not a model file");
  require_rejected("P5 28 28 255\n", "an_image.pgm", "not a model file");
  // A transfer in text mode that turned the magic's line feed into CR LF.
  const std::string lf = nn::model_to_bytes(sample_network<float>());
  const std::string crlf = lf.substr(0, 7) + '\r' + lf.substr(7);
  require_rejected(crlf, "crlf.nnm", "not a model file");
}

TEST_CASE("a model file of an unknown format version is rejected", "[model_file]") {
  std::string bytes = nn::model_to_bytes(sample_network<float>());
  set_u32(bytes, 8, 4);
  fix_checksum(bytes);
  require_rejected(bytes, "version4.nnm",
                   "format version 4; this program reads versions 1 to 3");
  set_u32(bytes, 8, 0);
  fix_checksum(bytes);
  require_rejected(bytes, "version0.nnm",
                   "format version 0; this program reads versions 1 to 3");
}

TEMPLATE_TEST_CASE("a version 1 model file (Dense layers only) is still read", "[model_file]",
                   float, double) {
  nn::Network<TestType> net = sample_network<TestType>();
  const std::string old = nn::test::version1_model_bytes(net);
  REQUIRE(old.size() == 24 + 8 * kSampleLayers + net.n_parameters() * sizeof(TestType) + 4);
  nn::Network<TestType> loaded = nn::model_from_bytes<TestType>(old, "old.nnm");
  REQUIRE(loaded.layer_sizes() == net.layer_sizes());
  REQUIRE(loaded.activations() == net.activations());
  for (std::size_t l = 0; l < net.n_layers(); ++l) {
    CHECK(same_bits<TestType>(loaded.layer(l).W, net.layer(l).W));
    CHECK(same_bits<TestType>(loaded.layer(l).b, net.layer(l).b));
  }
  // Saved again, it is a version 3 file of the same network.
  CHECK(nn::model_to_bytes(loaded) == nn::model_to_bytes(net));
  // A damaged version 1 file is still refused.
  std::string bad = old;
  set_u32(bad, 20 + 4 * 2, 0);  // n_2 = 0
  fix_checksum(bad);
  REQUIRE_THROWS_WITH(nn::model_from_bytes<TestType>(bad, "old.nnm"),
                      Contains("layer size n_2 = 0 is outside"));
}

TEMPLATE_TEST_CASE("a version 2 model file (before convolution) is still read", "[model_file]",
                   float, double) {
  nn::Network<TestType> net = network_with_every_kind<TestType>();
  const std::string old = nn::test::version2_model_bytes(net);
  const std::size_t values = 1 + 35 + 22 + 1 + 18;  // as in the test below
  REQUIRE(old.size() == 24 + 12 * 5 + values * sizeof(TestType) + 4);
  CHECK(u32_at(old, 8) == 2);
  nn::Network<TestType> loaded = nn::model_from_bytes<TestType>(old, "v2.nnm");
  // Saved again, it is the version 3 file of the same network.
  CHECK(nn::model_to_bytes(loaded) == nn::model_to_bytes(net));
  // Version 2 knew no convolution: kind 3 there is unknown.
  std::string bad = old;
  set_u32(bad, kRecordsAt + 12 * 1, 3);
  fix_checksum(bad);
  REQUIRE_THROWS_WITH(nn::model_from_bytes<TestType>(bad, "v2.nnm"),
                      Contains("layer 2: unknown layer kind 3 (expected 0 dense, 1 batch norm "
                               "or 2 dropout)"));
}

namespace {

// A small CNN with every image layer: a 6x6x1 image, convolution (2 filters 3x3, padding 1,
// relu) -> 6x6x2, max pool 2 -> 3x3x2, convolution (3 filters 2x2, no padding, tanh)
// -> 2x2x3, max pool 2 -> 1x1x3, dense 3 -> 4.
template <typename Real>
nn::Network<Real> small_cnn() {
  using nn::Activation;
  nn::Network<Real> net;
  const nn::Convolution<Real> conv1(nn::ImageShape{1, 6, 6}, 2, 3, 1, Activation::relu);
  net.add(conv1);
  const nn::MaxPool<Real> pool1(conv1.output_shape(), 2);
  net.add(pool1);
  const nn::Convolution<Real> conv2(pool1.output_shape(), 3, 2, 0, Activation::tanh);
  net.add(conv2);
  const nn::MaxPool<Real> pool2(conv2.output_shape(), 2);
  net.add(pool2);
  net.add(nn::Dense<Real>(pool2.n_outputs(), 4, Activation::identity));
  std::mt19937_64 rng(3);
  net.initialize(nn::Initializer::he(), rng);
  for (nn::Parameter<Real>& p : net.parameters())  // biases that are not all zero
    if (p.name[0] == 'b') p.value->randn();
  return net;
}
constexpr std::size_t kCnnLayers = 5;
constexpr std::size_t kCnnValues = 2 * (9 + 1) + 3 * (4 * 2 + 1) + 4 * (3 + 1);  // 63

}  // namespace

TEMPLATE_TEST_CASE("a CNN is saved and loaded bit for bit, with the documented layout",
                   "[model_file]", float, double) {
  arma::arma_rng::set_seed(21);
  nn::Network<TestType> net = small_cnn<TestType>();
  REQUIRE(net.n_parameters() == kCnnValues);
  const std::string b = nn::model_to_bytes(net);
  REQUIRE(b.size() == 24 + 32 * kCnnLayers + kCnnValues * sizeof(TestType) + 4);
  CHECK(u32_at(b, kInputsAt) == 36);  // n_0 = 6 x 6 x 1
  // {kind, n_out, activation, channels, height, width, side, padding} per layer.
  const std::vector<std::vector<std::uint32_t>> records = {{3, 72, 4, 1, 6, 6, 3, 1},
                                                           {4, 18, 0, 2, 6, 6, 2, 0},
                                                           {3, 12, 3, 2, 3, 3, 2, 0},
                                                           {4, 3, 0, 3, 2, 2, 2, 0},
                                                           {0, 4, 0, 0, 0, 0, 0, 0}};
  for (std::size_t l = 0; l < kCnnLayers; ++l)
    for (std::size_t field = 0; field < 8; ++field) {
      CAPTURE(l, field);
      CHECK(u32_at(b, record_at(l) + 4 * field) == records[l][field]);
    }
  nn::Network<TestType> loaded = nn::model_from_bytes<TestType>(b, "cnn.nnm");
  REQUIRE(loaded.all_layers().size() == kCnnLayers);
  const auto& conv = std::get<nn::Convolution<TestType>>(net.all_layers()[2]);
  const auto& again = std::get<nn::Convolution<TestType>>(loaded.all_layers()[2]);
  CHECK(again.input_shape() == conv.input_shape());
  CHECK(again.n_filters() == 3);
  CHECK(again.kernel_size() == 2);
  CHECK(again.padding() == 0);
  CHECK(again.activation() == nn::Activation::tanh);
  CHECK(same_bits<TestType>(again.W, conv.W));
  CHECK(same_bits<TestType>(again.b, conv.b));
  CHECK(std::get<nn::MaxPool<TestType>>(loaded.all_layers()[1]).size() == 2);
  CHECK(nn::model_to_bytes(loaded) == b);
  const arma::Mat<TestType> X = arma::randu<arma::Mat<TestType>>(36, 7);
  const arma::Mat<TestType> expected = net.forward(X, nn::Mode::evaluation);
  CHECK(same_bits<TestType>(loaded.forward(X, nn::Mode::evaluation), expected));
}

TEST_CASE("a model file with a damaged convolution or max-pool layer is rejected",
          "[model_file]") {
  const std::string good = nn::model_to_bytes(small_cnn<float>());
  // Sets field `field` (0 kind ... 7 padding) of layer l (from 0) and fixes the checksum.
  auto with_field = [&](std::size_t l, std::size_t field, std::uint32_t v) {
    std::string bytes = good;
    set_u32(bytes, record_at(l) + 4 * field, v);
    fix_checksum(bytes);
    return bytes;
  };
  require_rejected(with_field(0, 4, 5), "shape.nnm",
                   "layer 1 (convolution): its 5x6x1 image has 30 values, but its input has "
                   "36");
  require_rejected(
      with_field(0, 7, 3), "padding.nnm",
      "layer 1 (convolution): padding p = 3 is not less than the filter side k = 3");
  require_rejected(with_field(2, 6, 4), "side.nnm",
                   "layer 3 (convolution): a 4 x 4 filter does not fit the padded image");
  require_rejected(with_field(0, 1, 70), "maps.nnm",
                   "its 70 outputs are not a whole number of feature maps of 36 pixels");
  require_rejected(with_field(1, 6, 4), "tile.nnm",
                   "layer 2 (max pool): 4 x 4 windows do not tile the 6x6x2 image");
  require_rejected(with_field(1, 7, 1), "pool_padding.nnm",
                   "layer 2 (max pool): a max pool has no padding");
  require_rejected(with_field(1, 2, 4), "pool_relu.nnm",
                   "layer 2 (max pool) has an activation");
  require_rejected(with_field(3, 1, 4), "pool_outputs.nnm",
                   "layer 4 (max pool): it has 4 outputs, not 3");
  require_rejected(with_field(4, 5, 1), "dense_shape.nnm",
                   "layer 5 (dense) has an image shape");
  require_rejected(with_field(0, 3, 0), "channels.nnm",
                   "layer 1 (convolution)'s image channels = 0 is outside");
  require_rejected(with_field(0, 0, 5), "kind5.nnm", "layer 1: unknown layer kind 5");
}

TEMPLATE_TEST_CASE("batch norm and dropout layers are saved and loaded bit for bit",
                   "[model_file]", float, double) {
  nn::Network<TestType> net = network_with_every_kind<TestType>();
  const std::string b = nn::model_to_bytes(net);
  // Header: 24 + 32 x 5; values: p, W1 (5 x 6) b1, 4 x 5 + eps + momentum, p, W2 (3 x 5) b2.
  const std::size_t values = 1 + 35 + 22 + 1 + 18;
  REQUIRE(b.size() == 24 + 32 * 5 + values * sizeof(TestType) + 4);
  const std::vector<std::uint32_t> kinds = {2, 0, 1, 2, 0};
  for (std::size_t l = 0; l < kinds.size(); ++l) CHECK(u32_at(b, record_at(l)) == kinds[l]);
  CHECK(u32_at(b, record_at(2) + 8) == 4);  // batch norm's relu

  nn::Network<TestType> loaded = nn::model_from_bytes<TestType>(b, "every_kind.nnm");
  REQUIRE(loaded.all_layers().size() == 5);
  const auto& norm = std::get<nn::BatchNorm<TestType>>(net.all_layers()[2]);
  const auto& again = std::get<nn::BatchNorm<TestType>>(loaded.all_layers()[2]);
  CHECK(same_bits<TestType>(again.gamma, norm.gamma));
  CHECK(same_bits<TestType>(again.beta, norm.beta));
  CHECK(same_bits<TestType>(again.running_mean, norm.running_mean));
  CHECK(same_bits<TestType>(again.running_var, norm.running_var));
  CHECK(again.activation() == nn::Activation::relu);
  CHECK(again.epsilon() == Approx(1e-3).epsilon(1e-6));  // stored as a float in float files
  CHECK(again.momentum() == Approx(0.2).epsilon(1e-6));
  CHECK(std::get<nn::Dropout<TestType>>(loaded.all_layers()[3]).drop_probability() ==
        Approx(0.25));
  CHECK(nn::model_to_bytes(loaded) == b);
  // In evaluation mode (running statistics, no dropout) the outputs are the same bits.
  arma::arma_rng::set_seed(11);
  const arma::Mat<TestType> X = arma::randn<arma::Mat<TestType>>(6, 20);
  const arma::Mat<TestType> expected = net.forward(X, nn::Mode::evaluation);
  CHECK(same_bits<TestType>(loaded.forward(X, nn::Mode::evaluation), expected));
}

TEST_CASE("a model file with a damaged batch norm or dropout layer is rejected",
          "[model_file]") {
  const std::string good = nn::model_to_bytes(network_with_every_kind<float>());
  const std::size_t params = kRecordsAt + kRecordBytes * 5;
  const std::size_t norm_at = params + 4 * (1 + 35);  // gamma1 starts here
  auto with_value = [&](std::size_t at, float v) {
    std::string bytes = good;
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    set_u32(bytes, at, bits);
    fix_checksum(bytes);
    return bytes;
  };
  SECTION("an unknown layer kind") {
    std::string bytes = good;
    set_u32(bytes, record_at(2), 7);
    fix_checksum(bytes);
    require_rejected(bytes, "kind7.nnm", "layer 3: unknown layer kind 7");
  }
  SECTION("a batch norm or dropout layer of another width than its input") {
    std::string bytes = good;
    set_u32(bytes, record_at(3) + 4, 4);
    fix_checksum(bytes);
    require_rejected(bytes, "width.nnm", "layer 4 (dropout) has 5 inputs but 4 outputs");
  }
  SECTION("a dropout layer with an activation") {
    std::string bytes = good;
    set_u32(bytes, record_at(0) + 8, 4);
    fix_checksum(bytes);
    require_rejected(bytes, "dropout_relu.nnm", "layer 1 (dropout) has an activation");
  }
  SECTION("values out of range") {
    require_rejected(with_value(params, 1.0f), "p1.nnm", "layer 1 drops every unit (p = 1)");
    require_rejected(with_value(params, -0.5f), "p_negative.nnm", "dropout p = -0.5");
    require_rejected(with_value(norm_at + 4 * 15, -1.0f), "var.nnm",
                     "layer 3 (batch norm) has a negative running variance");
    require_rejected(with_value(norm_at + 4 * 20, 0.0f), "eps.nnm", "layer 3's epsilon = 0");
    require_rejected(with_value(norm_at + 4 * 21, 2.0f), "momentum.nnm",
                     "layer 3's momentum = 2");
    require_rejected(with_value(norm_at + 4 * 5, std::numeric_limits<float>::quiet_NaN()),
                     "beta_nan.nnm", "parameter beta1(0) is NaN");
  }
}

TEST_CASE("a model file with an unknown or mismatched element type is rejected",
          "[model_file]") {
  std::string bytes = nn::model_to_bytes(sample_network<float>());
  set_u32(bytes, 12, 3);
  fix_checksum(bytes);
  require_rejected(bytes, "type3.nnm", "unknown element type 3");

  // A valid float64 file is not silently converted into a float network.
  const std::string path = write_bytes(nn::test::fresh_dir("model_file_type") + "/d.nnm",
                                       nn::model_to_bytes(sample_network<double>()));
  REQUIRE_THROWS_AS(nn::load_model<float>(path), nn::ModelError);
  REQUIRE_THROWS_WITH(nn::load_model<float>(path),
                      Contains("holds float64 parameters, but a float32 network"));
  REQUIRE_NOTHROW(nn::load_model<double>(path));
}

TEST_CASE("a model file with a flipped byte in its sizes is rejected", "[model_file]") {
  const std::string good = nn::model_to_bytes(sample_network<float>());
  SECTION("a size that becomes absurd") {
    std::string bytes = good;
    bytes[record_at(0) + 4 + 3] ^= 0x40;  // n_1 = 5 + 2^30
    require_rejected(bytes, "flip_high.nnm", "layer 1's size = 1073741829 is outside");
  }
  SECTION("a size that stays plausible: the length no longer matches") {
    std::string bytes = good;
    bytes[record_at(0) + 4] ^= 0x01;  // n_1 = 5 -> 4: fewer parameters than the file holds
    require_rejected(bytes, "flip_low.nnm", "should have");
  }
  SECTION("a size made consistent by hand: the checksum catches it") {
    std::string bytes = good;
    bytes[record_at(0) + 4] ^= 0x01;
    // Cut the file to the length the damaged header announces, keeping the old checksum.
    // W1 5x6 + b1 5 and W2 5x5 + b2 5 become W1 4x6 + b1 4 and W2 5x4 + b2 5.
    const std::size_t fewer = (5 * 6 + 5) + (5 * 5 + 5) - (4 * 6 + 4) - (5 * 4 + 5);
    bytes.erase(kParametersAt, fewer * sizeof(float));
    require_rejected(bytes, "flip_consistent.nnm", "checksum mismatch");
  }
  SECTION("the number of layers") {
    std::string bytes = good;
    bytes[16 + 2] ^= 0x10;  // L = 5 + 2^20
    require_rejected(bytes, "flip_layers.nnm", "1048581 layers (expected 1 to 64)");
    set_u32(bytes, 16, 0);
    require_rejected(bytes, "zero_layers.nnm", "0 layers");
  }
}

TEST_CASE("a model file with absurd sizes is rejected before anything is allocated",
          "[model_file]") {
  std::string bytes = nn::model_to_bytes(sample_network<float>());
  SECTION("a zero size") {
    set_u32(bytes, record_at(1) + 4, 0);
    require_rejected(bytes, "zero_size.nnm", "layer 2's size = 0 is outside");
  }
  SECTION("the largest 32-bit size") {
    set_u32(bytes, kInputsAt, 0xFFFFFFFFu);
    require_rejected(bytes, "huge_size.nnm", "the input size n_0 = 4294967295 is outside");
  }
  SECTION("sizes each allowed, whose product is not") {
    set_u32(bytes, kInputsAt, nn::kMaxModelUnits);
    for (std::size_t l = 0; l < kSampleLayers; ++l)
      set_u32(bytes, record_at(l) + 4, nn::kMaxModelUnits);
    fix_checksum(bytes);
    require_rejected(bytes, "too_many_parameters.nnm", "more than the limit of 16777216");
  }
}

TEST_CASE("a model file with trailing bytes is rejected", "[model_file]") {
  const std::string good = nn::model_to_bytes(sample_network<float>());
  require_rejected(good + "x", "trailing1.nnm", "trailing bytes after the checksum");
  require_rejected(good + good, "twice.nnm", "trailing bytes after the checksum");
}

TEST_CASE("a model file with an unknown activation is rejected", "[model_file]") {
  std::string bytes = nn::model_to_bytes(sample_network<float>());
  set_u32(bytes, record_at(2) + 8, 9);
  fix_checksum(bytes);
  require_rejected(bytes, "activation9.nnm", "layer 3: unknown activation code 9");
}

TEST_CASE("a model file with a damaged parameter is rejected", "[model_file]") {
  const std::string good = nn::model_to_bytes(sample_network<float>());
  SECTION("one flipped bit: the checksum") {
    std::string bytes = good;
    bytes[kParametersAt + 17] ^= 0x04;
    require_rejected(bytes, "flipped_bit.nnm", "checksum mismatch");
  }
  SECTION("a NaN or infinite weight with a valid checksum") {
    std::string bytes = good;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::uint32_t bits;
    std::memcpy(&bits, &nan, 4);
    set_u32(bytes, kParametersAt + 4 * 6, bits);  // W1(1, 1): W1 is 5 x 6, column by column
    fix_checksum(bytes);
    require_rejected(bytes, "nan.nnm", "parameter W1(1, 1) is NaN");
    const float inf = -std::numeric_limits<float>::infinity();
    std::memcpy(&bits, &inf, 4);
    set_u32(bytes, kParametersAt + 4 * 6, bits);
    fix_checksum(bytes);
    require_rejected(bytes, "inf.nnm", "parameter W1(1, 1) is infinite");
  }
}

TEST_CASE("a missing model file or a folder is rejected by name", "[model_file]") {
  const std::string dir = nn::test::fresh_dir("model_file_missing");
  REQUIRE_THROWS_WITH(nn::load_model<float>(dir + "/none.nnm"),
                      Contains("model file '" + dir + "/none.nnm': no such file"));
  REQUIRE_THROWS_WITH(nn::load_model<float>(dir),
                      Contains("model file '" + dir + "': not a regular file"));
}

TEST_CASE("save refuses a network the loader would refuse, and writes nothing",
          "[model_file]") {
  const std::string dir = nn::test::fresh_dir("model_file_save");
  nn::Network<float> net = sample_network<float>();
  net.layer(1).W(2, 3) = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_THROWS_AS(nn::save_model(dir + "/nan.nnm", net), nn::ModelError);
  REQUIRE_THROWS_WITH(nn::save_model(dir + "/nan.nnm", net),
                      Contains("nan.nnm': cannot save: W2(2, 3) is not finite"));
  REQUIRE_THROWS_WITH(nn::save_model(dir + "/empty.nnm", nn::Network<float>()),
                      Contains("cannot save a network without layers"));
  CHECK(fs::is_empty(dir));
}
