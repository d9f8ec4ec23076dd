// Chapter checks for chapters/09_fashion_mnist: with the default settings it reaches the
// accuracy its text states and draws the committed figures; a short run saves a model
// whose predictions (by test image index and from a PGM file) are the ones this test
// computes itself; missing or damaged data, models and images stop it with one clear
// line; bad flags and a diverging learning rate are refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "common/idx.hpp"
#include "common/loss.hpp"
#include "common/model_file.hpp"
#include "common/network.hpp"
#include "support/chapter_run.hpp"

using namespace nn::test;
namespace fs = std::filesystem;
using Catch::Contains;

namespace {

const std::string kChapter = "09_fashion_mnist";

// The full run (60,000 images, 10 epochs) takes about 11 s in a Release build and about
// 60 s in the Debug + AddressSanitizer build of `cmake --preset asan` (measured: 63 s on a
// busy 2-core machine; the matrix products run in OpenBLAS, which is not instrumented).
// That is short enough to run it under the sanitizers too, so nothing is skipped there.

// The chapter's promise: at least 89% of the test images right with the default settings.
constexpr double kRequiredAccuracy = 0.89;
// The accuracy the chapter text states (89.50%, default seed). The same binary on the same
// machine reproduces it exactly; another CPU may round OpenBLAS's sums differently, and
// 8,600 float updates can turn that into a few dozen test images either way (other seeds
// give 89.35% to 89.50%). 0.3% (30 images) allows that; a broken training loop misses by
// far more, and the reference CSVs below catch any smaller change on this machine.
constexpr double kTextAccuracy = 0.8950;
constexpr double kTextAccuracyTolerance = 0.003;

// The quick run: one epoch on 2,000 images (a second in Release, seconds under ASan).
const std::string kShortRun = "--epochs 1 --train-limit 2000";
const std::string kNoGnuplot = "NN_GNUPLOT=/nonexistent/gnuplot";

std::string quoted(const std::string& path) { return "'" + path + "'"; }

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// What `--predict-*` prints for one image, computed here with the library: the three
// most likely classes and their probabilities.
std::string expected_top3(nn::Network<float>& net, const arma::Col<unsigned char>& pixels) {
  nn::Images one;
  one.rows = one.cols = 28;
  one.pixels = arma::Mat<unsigned char>(pixels);
  arma::fmat X;
  nn::gather_batch(one, arma::uvec{0}, X);
  const arma::fmat P = nn::softmax(net.forward(X));
  const arma::uvec ranked = arma::sort_index(P.col(0), "descend");
  const std::vector<std::string> names = nn::fashion_mnist_class_names();
  std::string out = "Top 3:\n";
  for (arma::uword k = 0; k < 3; ++k) {
    char line[96];
    std::snprintf(line, sizeof line, "  %llu. %-12s %6.2f%%\n", (unsigned long long)(k + 1),
                  names.at(ranked(k)).c_str(), 100.0 * double(P(ranked(k), 0)));
    out += line;
  }
  return out;
}

// A binary (P5) or plain (P2) PGM of one 28 x 28 image, with a comment in the header.
std::string pgm(const arma::Col<unsigned char>& pixels, bool binary) {
  std::string s = binary ? "P5\n# written by the chapter 09 test\n28 28\n255\n"
                         : "P2\n# written by the chapter 09 test\n28 28\n255\n";
  for (arma::uword p = 0; p < pixels.n_elem; ++p) {
    if (binary)
      s += static_cast<char>(pixels(p));
    else
      s += std::to_string(pixels(p)) + (p % 28 == 27 ? "\n" : " ");
  }
  return s;
}

std::string write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return path;
}

// A small untrained Fashion-MNIST-shaped model (784-16-10), saved by this test: enough
// for the checks of prediction and its errors, without training anything.
std::string small_model(const std::string& dir) {
  nn::Network<float> net({784, 16, 10}, nn::Activation::relu);
  std::mt19937_64 rng(9);
  net.initialize(nn::Initializer::he(), rng);
  const std::string path = dir + "/small.nnm";
  nn::save_model(path, net);
  return path;
}

// A run that failed with exit code `code` and printed one error line, last.
void require_one_error_line(const RunResult& run, int code, const std::string& phrase) {
  INFO(run.output);
  CHECK(run.exit_code == code);
  const std::string marker = kChapter + ": error: ";
  std::size_t errors = 0;
  for (std::size_t p = run.output.find(marker); p != std::string::npos;
       p = run.output.find(marker, p + 1))
    ++errors;
  CHECK(errors == 1);
  const std::size_t last_line = run.output.rfind('\n', run.output.size() - 2);
  const std::string last =
      run.output.substr(last_line == std::string::npos ? 0 : last_line + 1);
  CHECK_THAT(last, Catch::StartsWith(marker));
  CHECK_THAT(last, Contains(phrase));
}

bool has_figures(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".png" || entry.path().extension() == ".csv") return true;
  return false;
}

}  // namespace

TEST_CASE(
    "chapter 09 reaches 89% test accuracy with its defaults and draws the "
    "committed figures",
    "[chapter][09_fashion_mnist]") {
  const std::string out = fresh_dir("09_fashion_mnist");
  const std::string model = out + "/model.nnm";
  const RunResult run = run_chapter(kChapter, out, "--save " + quoted(model));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  std::smatch m;
  REQUIRE(std::regex_search(run.output, m,
                            std::regex("test accuracy +([0-9.]+)% \\(([0-9,]+) of 10,000")));
  const double accuracy = std::stod(m[1].str()) / 100.0;
  CHECK(accuracy >= kRequiredAccuracy);
  CHECK(accuracy == Approx(kTextAccuracy).margin(kTextAccuracyTolerance));
  // The text's other numbers, as this machine prints them.
  CHECK_THAT(run.output, Contains("best / worst class Bag 97.6%, Shirt 71.5%"));
  CHECK_THAT(run.output, Contains("235,146 float32 parameters"));

  // Not a terminal: one line per epoch and no control characters.
  CHECK(run.output.find('\r') == std::string::npos);
  CHECK_THAT(run.output, Contains("\nepoch  1/10  loss "));
  CHECK_THAT(run.output, Contains("\nepoch 10/10  loss "));

  // The confusion matrix holds every test image once; its diagonal is the printed count.
  const auto cells = series_rows(read_figure_csv(out + "/confusion.csv"), "count");
  REQUIRE(cells.size() == 100);
  double total = 0, right = 0;
  for (const CsvRow& c : cells) {
    total += c.value;
    if (c.x == c.y) right += c.value;
  }
  CHECK(total == 10000);
  CHECK(right == Approx(accuracy * 10000).margin(0.5));
  // The curves end with the test point at the same accuracy.
  const auto test_point =
      series_rows(read_figure_csv(out + "/curves.csv"), "test (once, at the end)");
  REQUIRE(test_point.size() == 1);
  CHECK(test_point[0].x == 10);
  CHECK(test_point[0].y == Approx(100 * accuracy).margin(1e-9));

  // The model file: 48 header bytes, 235,146 float32 parameters, the checksum.
  CHECK(fs::file_size(model) == 48 + 235146 * 4 + 4);
  CHECK_THAT(run.output, Contains("loaded back, it gives bit-identical outputs"));

  require_matches_reference(kChapter, out);
}

TEST_CASE("chapter 09 trains briefly, saves a model, and predicts what the library computes",
          "[chapter][09_fashion_mnist]") {
  const std::string out = fresh_dir("09_fashion_mnist_short");
  const std::string model = out + "/model.nnm";
  const RunResult run =
      run_chapter(kChapter, out, kShortRun + " --save " + quoted(model), kNoGnuplot);
  {
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.output, Contains("2,000 to train on, 5,000 for validation"));
    CHECK_THAT(run.output, Contains("\nepoch 1/1  loss "));
    CHECK(fs::exists(out + "/confusion.csv"));
    CHECK(fs::exists(model));
  }
  nn::Network<float> net = nn::load_model<float>(model);
  const nn::ImageDataset test = nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::test);

  SECTION("by test image index") {
    for (arma::uword index : {arma::uword{0}, arma::uword{42}, arma::uword{9999}}) {
      CAPTURE(index);
      const RunResult p =
          run_chapter(kChapter, out,
                      "--predict-index " + std::to_string(index) + " --model " + quoted(model));
      INFO(p.output);
      REQUIRE(p.exit_code == 0);
      CHECK_THAT(p.output, Contains("Image: test image " + std::to_string(index) +
                                    ", labelled " + test.class_names[test.labels(index)]));
      CHECK_THAT(p.output, Contains(expected_top3(net, test.images.pixels.col(index))));
    }
  }
  SECTION("from PGM files written from test images, binary and plain") {
    for (bool binary : {true, false}) {
      const arma::uword index = binary ? 42 : 7;
      const arma::Col<unsigned char> pixels = test.images.pixels.col(index);
      const std::string file = write_file(out + (binary ? "/image42_p5.pgm" : "/image7_p2.pgm"),
                                          pgm(pixels, binary));
      const RunResult p = run_chapter(
          kChapter, out, "--predict-pgm " + quoted(file) + " --model " + quoted(model));
      INFO(p.output);
      REQUIRE(p.exit_code == 0);
      CHECK_THAT(p.output, Contains("Image: " + file));
      CHECK_THAT(p.output, Contains(expected_top3(net, pixels)));
      // The same image by index gives the same answer.
      const RunResult by_index =
          run_chapter(kChapter, out,
                      "--predict-index " + std::to_string(index) + " --model " + quoted(model));
      CHECK_THAT(by_index.output, Contains(expected_top3(net, pixels)));
    }
  }
}

TEST_CASE("chapter 09 stops with one line when the data is missing or damaged",
          "[chapter][09_fashion_mnist]") {
  const std::string out = fresh_dir("09_fashion_mnist_no_data_out");
  SECTION("an empty folder") {
    const std::string data = fresh_dir("09_fashion_mnist_no_data");
    const RunResult run =
        run_chapter(kChapter, out, "--data " + quoted(data) + " " + kShortRun);
    require_one_error_line(
        run, 1, "no train-images-idx3-ubyte.gz or train-images-idx3-ubyte in " + data);
  }
  SECTION("a truncated .gz file") {
    const std::string data = fresh_dir("09_fashion_mnist_truncated");
    std::ifstream in(std::string(nn::kFashionMnistDir) + "/train-images-idx3-ubyte.gz",
                     std::ios::binary);
    std::string head(100000, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    REQUIRE(in.good());
    write_file(data + "/train-images-idx3-ubyte.gz", head);
    fs::copy_file(std::string(nn::kFashionMnistDir) + "/train-labels-idx1-ubyte.gz",
                  data + "/train-labels-idx1-ubyte.gz");
    const RunResult run =
        run_chapter(kChapter, out, "--data " + quoted(data) + " " + kShortRun);
    require_one_error_line(run, 1, data + "/train-images-idx3-ubyte.gz: ");
  }
  SECTION("a file that is not IDX at all") {
    const std::string data = fresh_dir("09_fashion_mnist_not_idx");
    write_file(data + "/train-images-idx3-ubyte", "these are not the images you want\n");
    fs::copy_file(std::string(nn::kFashionMnistDir) + "/train-labels-idx1-ubyte.gz",
                  data + "/train-labels-idx1-ubyte.gz");
    const RunResult run =
        run_chapter(kChapter, out, "--data " + quoted(data) + " " + kShortRun);
    require_one_error_line(run, 1, data + "/train-images-idx3-ubyte: not an IDX file");
  }
  CHECK_FALSE(has_figures(out));
}

TEST_CASE("chapter 09 rejects bad flags with one line and exit code 2",
          "[chapter][09_fashion_mnist]") {
  const std::string bad = GENERATE(
      as<std::string>{}, "--epochs 0", "--epochs x", "--learning-rate 0", "--learning-rate nan",
      "--learning-rate inf", "--batch-size 0", "--batch-size 5000", "--hidden 0",
      "--hidden 256,x", "--hidden 256,,128", "--hidden 256,", "--hidden 1,2,3,4,5,6,7,8,9",
      "--optimizer rmsprop", "--schedule step", "--weight-decay -1", "--train-limit 0",
      "--train-limit 60000", "--predict-index -1", "--predict-index 10000",
      "--predict-index 3 --predict-pgm a.pgm", "--model m.nnm",
      "--save /nonexistent/folder/m.nnm", "--save /tmp", "--seed -1", "--frobnicate");
  CAPTURE(bad);
  const std::string out = fresh_dir("09_fashion_mnist_bad");
  const RunResult run = run_chapter(kChapter, out, bad);
  INFO(run.output);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith(kChapter + ": error: "));
  CHECK(count_lines(run.output) == 1);
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 09 stops a diverging learning rate, names it, and writes nothing",
          "[chapter][09_fashion_mnist]") {
  // Plain SGD with a learning rate of 50: the first steps throw the weights so far that the
  // logits overflow float, and the loss becomes NaN within the first epoch (on 2,000
  // images as on all 55,000).
  const std::string out = fresh_dir("09_fashion_mnist_diverged");
  const RunResult run = run_chapter(
      kChapter, out,
      kShortRun + " --optimizer sgd --learning-rate 50 --save " + quoted(out + "/m.nnm"));
  require_one_error_line(run, 1,
                         "training diverged at epoch 1: the loss became NaN. The learning "
                         "rate (50) is probably too large; try a smaller --learning-rate.");
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 09 refuses a missing, damaged or misshapen model with one line",
          "[chapter][09_fashion_mnist]") {
  const std::string dir = fresh_dir("09_fashion_mnist_models");
  const std::string model = small_model(dir);
  SECTION("missing") {
    const RunResult run =
        run_chapter(kChapter, dir, "--predict-index 0 --model " + quoted(dir + "/none.nnm"));
    require_one_error_line(run, 1, "none.nnm': no such file. Train one first");
  }
  SECTION("one flipped byte") {
    std::ifstream in(model, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes[1000] ^= 0x01;
    const std::string damaged = write_file(dir + "/damaged.nnm", bytes);
    const RunResult run =
        run_chapter(kChapter, dir, "--predict-index 0 --model " + quoted(damaged));
    require_one_error_line(run, 1, "damaged.nnm': checksum mismatch");
  }
  SECTION("a valid model of another shape") {
    nn::Network<float> other({5, 3, 2}, nn::Activation::tanh);
    const std::string path = dir + "/other.nnm";
    nn::save_model(path, other);
    const RunResult run =
        run_chapter(kChapter, dir, "--predict-index 0 --model " + quoted(path));
    require_one_error_line(run, 1, "it takes 5 inputs and gives 2 outputs");
  }
}

TEST_CASE("chapter 09 reads only 28 x 28 8-bit PGM images and says what is wrong",
          "[chapter][09_fashion_mnist]") {
  const std::string dir = fresh_dir("09_fashion_mnist_pgm");
  const std::string model = small_model(dir);
  const std::string pixels(784, '\x80');
  std::string plain;
  for (int p = 0; p < 784; ++p) plain += "128 ";
  struct Case {
    std::string name, content, phrase;
  };
  const Case c = GENERATE_COPY(values<Case>({
      {"wrong_size.pgm", "P5 27 28 255\n" + pixels.substr(0, 756), "27 x 28 pixels"},
      {"sixteen_bit.pgm", "P5 28 28 65535\n" + pixels + pixels, "maximum value 65535"},
      {"short.pgm", "P5 28 28 255\n" + pixels.substr(0, 700), "truncated: 700 pixel bytes"},
      {"long.pgm", "P5 28 28 255\n" + pixels + "x", "trailing data after the 784 pixels"},
      {"colour.ppm", "P6 28 28 255\n" + pixels + pixels + pixels, "not a PGM image"},
      {"no_pixels.pgm", "P5 28 28 255", "truncated: the header ends"},
      {"negative.pgm", "P5 -28 28 255\n" + pixels, "bad width"},
      {"letters.pgm", "P5 28 2x8 255\n" + pixels, "bad height"},
      {"plain_256.pgm", "P2 28 28 255\n256 " + plain.substr(4), "bad pixel value number 1"},
      {"plain_short.pgm", "P2 28 28 255\n" + plain.substr(4), "truncated: 783 pixel values"},
      {"plain_extra.pgm", "P2 28 28 255\n" + plain + "7\n", "unexpected data after the 784"},
      {"empty.pgm", "", "not a PGM image"},
  }));
  CAPTURE(c.name);
  const std::string file = write_file(dir + "/" + c.name, c.content);
  const RunResult run =
      run_chapter(kChapter, dir, "--predict-pgm " + quoted(file) + " --model " + quoted(model));
  require_one_error_line(run, 1, "image file '" + file + "': " + c.phrase);

  const RunResult missing =
      run_chapter(kChapter, dir,
                  "--predict-pgm " + quoted(dir + "/none.pgm") + " --model " + quoted(model));
  require_one_error_line(missing, 1, "none.pgm': no such file");
}

// ---------------------------------------------------------------------------------------
// Prediction trusts neither the model nor the data (issue 16)
// ---------------------------------------------------------------------------------------

namespace {

// An IDX file of unsigned bytes with the given dimensions and payload.
std::string idx_bytes(const std::vector<std::uint32_t>& dims, const std::string& payload) {
  std::string b = {'\0', '\0', '\x08', static_cast<char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b += static_cast<char>((d >> shift) & 0xFF);
  return b + payload;
}

// A data folder of n training and n test images of side x side pixels, labels 0..9.
std::string tiny_data_set(const std::string& name, std::uint32_t n, std::uint32_t side) {
  const std::string dir = fresh_dir(name);
  std::string labels;
  for (std::uint32_t k = 0; k < n; ++k) labels += static_cast<char>(k % 10);
  const std::string images = idx_bytes({n, side, side}, std::string(n * side * side, '\x40'));
  for (const char* split : {"train", "t10k"}) {
    write_file(dir + "/" + split + "-images-idx3-ubyte", images);
    write_file(dir + "/" + split + "-labels-idx1-ubyte", idx_bytes({n}, labels));
  }
  return dir;
}

}  // namespace

TEST_CASE("chapter 09 refuses a valid model whose outputs are not finite numbers",
          "[chapter][09_fashion_mnist]") {
  // Issue 16: a checksum-correct 784-10 model with every weight 3e38 made the logits inf,
  // softmax NaN, and the release build crashed (exit 139) reading an empty ranking.
  const std::string dir = fresh_dir("09_fashion_mnist_huge_model");
  nn::Network<float> net({784, 10}, nn::Activation::identity);
  net.layer(0).W.fill(3e38f);
  net.layer(0).b.fill(3e38f);
  const std::string model = dir + "/huge.nnm";
  nn::save_model(model, net);
  const std::string image =
      write_file(dir + "/any.pgm", "P5 28 28 255\n" + std::string(784, '\x80'));
  const RunResult run = run_chapter(
      kChapter, dir, "--predict-pgm " + quoted(image) + " --model " + quoted(model));
  require_one_error_line(run, 1, "model file '" + model + "'");
  CHECK_THAT(run.output, Contains("not usable"));
}

TEST_CASE("chapter 09 refuses test images of another size than the model reads",
          "[chapter][09_fashion_mnist]") {
  // Issue 16: a data set of 20 x 20 images made print_image read 784 bytes from a column
  // of 400 (heap-buffer-overflow under ASan).
  const std::string data = tiny_data_set("09_fashion_mnist_20x20", 10, 20);
  const std::string dir = fresh_dir("09_fashion_mnist_20x20_out");
  const RunResult run = run_chapter(
      kChapter, dir,
      "--data " + quoted(data) + " --predict-index 5 --model " + quoted(small_model(dir)));
  require_one_error_line(run, 1, "20 x 20 pixels; the network reads 28 x 28 images");
}

TEST_CASE("chapter 09 says what a model, image or data path is when it is not a file",
          "[chapter][09_fashion_mnist]") {
  const std::string dir = fresh_dir("09_fashion_mnist_odd_files");
  const std::string model = small_model(dir);
  REQUIRE(run_command("mkfifo " + quoted(dir + "/fifo")).exit_code == 0);
  fs::create_symlink(dir + "/loop_b", dir + "/loop_a");
  fs::create_symlink(dir + "/loop_a", dir + "/loop_b");
  const std::string m = " --model " + quoted(model);
  struct Case {
    std::string args, phrase;
  };
  const std::vector<Case> cases = {
      {"--predict-index 0 --model " + quoted(dir + "/fifo"), "a pipe (FIFO)"},
      {"--predict-index 0 --model " + quoted(dir + "/loop_a"), "a loop of symbolic links"},
      {"--predict-index 0 --model " + quoted(dir), "a folder, not a file"},
      {"--predict-pgm " + quoted(dir) + m, "a folder, not a file"},
      {"--predict-pgm /dev/zero" + m, "a device, not a regular file"},
      {"--predict-pgm " + quoted(dir + "/fifo") + m, "a pipe (FIFO)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.args);
    // `timeout`: a FIFO used to make the chapter wait forever.
    const RunResult run = run_command("timeout 60 " + chapter_binary(kChapter) + " --out " +
                                      quoted(dir) + " " + c.args);
    require_one_error_line(run, 1, c.phrase);
  }
  SECTION("a FIFO in place of a data file") {
    const std::string data = tiny_data_set("09_fashion_mnist_fifo_data", 10, 28);
    fs::remove(data + "/t10k-images-idx3-ubyte");
    REQUIRE(run_command("mkfifo " + quoted(data + "/t10k-images-idx3-ubyte")).exit_code == 0);
    const RunResult run =
        run_command("timeout 60 " + chapter_binary(kChapter) + " --out " + quoted(dir) +
                    " --data " + quoted(data) + " --predict-index 0" + m);
    require_one_error_line(run, 1, "a pipe (FIFO)");
  }
}

TEST_CASE("chapter 09 checks --save, --learning-rate and the data before training",
          "[chapter][09_fashion_mnist]") {
  const std::string dir = fresh_dir("09_fashion_mnist_before_training");
  SECTION("an empty --save") {
    require_one_error_line(run_chapter(kChapter, dir, "--save ''"), 2, "an empty file name");
  }
  SECTION("a --save folder that cannot be written") {
    require_one_error_line(run_chapter(kChapter, dir, "--save /proc/self/m.nnm"), 2,
                           "cannot write into its folder");
  }
  SECTION("a hexadecimal learning rate") {
    require_one_error_line(run_chapter(kChapter, dir, "--learning-rate 0x10"), 2, "0x10");
  }
  SECTION("a data set of 100 images is too small, not 'not Fashion-MNIST'") {
    const std::string data = tiny_data_set("09_fashion_mnist_100", 100, 28);
    require_one_error_line(run_chapter(kChapter, dir, "--data " + quoted(data), kNoGnuplot), 1,
                           "holds only 100 images");
  }
  CHECK_FALSE(has_figures(dir));
}

TEST_CASE("chapter 09 stops when the loss grows far above its start, naming the rate",
          "[chapter][09_fashion_mnist]") {
  // Issue 16: Adam at --learning-rate 100 ended at a loss of 1.3e10 and 10% accuracy, and
  // the chapter exited 0 with a saved model and four figures.
  const std::string dir = fresh_dir("09_fashion_mnist_diverged");
  const std::string model = dir + "/m.nnm";
  const RunResult run = run_chapter(
      kChapter, dir, kShortRun + " --learning-rate 100 --save " + quoted(model), kNoGnuplot);
  require_one_error_line(run, 1, "learning rate (100)");
  CHECK_THAT(run.output, Contains("training diverged at epoch 1: the loss grew to"));
  CHECK_FALSE(fs::exists(model));
  CHECK_FALSE(has_figures(dir));
}
