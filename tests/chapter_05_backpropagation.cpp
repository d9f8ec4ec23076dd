// Chapter checks for chapters/05_backpropagation: its backward pass is the gradient of its
// loss, it learns XOR with the default seed, its numbers are the text's numbers, its
// figures are the committed ones, and bad flags and a diverging learning rate stop it
// cleanly.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "common/gradient_check.hpp"
#include "support/chapter_run.hpp"

using namespace nn::test;
namespace fs = std::filesystem;

namespace {

const std::string kChapter = "05_backpropagation";

// The final loss the text quotes, as loss.csv holds it (10 significant digits). The same
// binary with the same seed reproduces it exactly; another CPU's BLAS may round the last
// bits differently, and 2000 epochs of a converging descent do not grow that beyond
// 1e-9 relative. 1e-6 leaves room for it, and any change to the code moves it far more.
constexpr double kFinalLoss = 0.00105646277;
constexpr double kFinalLossRelTolerance = 1e-6;

// The relative error the chapter prints for parameter name ("W1", "b1", "W2" or "b2").
double printed_gradient_error(const std::string& output, const std::string& name) {
  std::smatch m;
  const std::regex line("\n  d" + name + "  ([0-9.]+e[-+][0-9]+)\n");
  REQUIRE(std::regex_search(output, m, line));
  return std::stod(m[1].str());
}

}  // namespace

TEST_CASE("chapter 05's backward pass agrees with finite differences for every activation",
          "[chapter][05_backpropagation]") {
  const std::string activation = GENERATE(as<std::string>{}, "tanh", "sigmoid", "relu");
  const std::string hidden = GENERATE(as<std::string>{}, "1", "4", "7");
  CAPTURE(activation, hidden);
  // One epoch and no seed survey: the check runs on its own random network and data,
  // whatever the training.
  const std::string out = fresh_dir("05_backpropagation_gradients");
  const RunResult run = run_chapter(
      kChapter, out,
      "--epochs 1 --survey-seeds 0 --hidden " + hidden + " --hidden-activation " + activation,
      "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const std::string name : {"W1", "b1", "W2", "b2"}) {
    CAPTURE(name);
    CHECK(printed_gradient_error(run.output, name) < nn::kGradientCheckTolerance);
  }
  CHECK_THAT(run.output, Catch::Contains("all below 1e-7"));
  CHECK(fs::exists(out + "/loss.csv"));
  CHECK_FALSE(fs::exists(out + "/seeds.csv"));  // --survey-seeds 0: no survey, no figure
}

TEST_CASE("chapter 05 works one sample through its random start before it trains",
          "[chapter][05_backpropagation]") {
  // Issue 11: the text quotes this printout, and the check must come before the training.
  const std::string out = fresh_dir("05_backpropagation_one_sample");
  const RunResult run = run_chapter("05_backpropagation", out, "--survey-seeds 0");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const char* line :
       {"One sample through the random start, before training: x = (1, 0), t = 1 (m = 1)\n",
        "  forward   z1 = W1 x + b1 = (0.705, 1.294, -0.5741, 0.398)\n",
        "            a1 = tanh(z1) = (0.6075, 0.8601, -0.5184, 0.3782)\n",
        "            z2 = W2 a1 + b2 = -0.265,  y = a2 = sigmoid(z2) = 0.4341,  L = -ln y = "
        "0.8344\n",
        "  backward  dz2 = dL/dy * dy/dz2 = -2.303 * 0.2457 = -0.5659 = y - t\n",
        "            dW2 = dz2 a1^T = (-0.3438, -0.4867, 0.2933, -0.214),  db2 = dz2 = "
        "-0.5659\n",
        "            da1 = W2^T dz2 = (-0.008495, 0.1747, -0.5929, -0.7998)\n",
        "            g'(z1) = (0.6309, 0.2602, 0.7313, 0.857)\n",
        "            dz1 = da1 * g'(z1) = (-0.00536, 0.04547, -0.4336, -0.6854) = db1\n",
        "  backward() on the same sample: largest difference from these 0\n"})
    CHECK_THAT(run.output, Catch::Contains(line));
  // The order: the worked sample, then the gradient check, then the training.
  const std::size_t sample = run.output.find("One sample through the random start");
  const std::size_t check = run.output.find("Gradient check:");
  const std::size_t training = run.output.find("Learning XOR with");
  CHECK(sample < check);
  CHECK(check < training);
  // The graph's CSV: dL/dz2 = y - t, and each hidden unit's gradient is W2_j dz2 g'(z1_j).
  const auto rows = read_figure_csv(out + "/graph.csv");
  const double y = series_rows(rows, "y").at(0).value;
  const double dz2 = series_rows(rows, "dL/dz2").at(0).value;
  CHECK(dz2 == Approx(y - 1.0).epsilon(1e-8));
  for (int j = 1; j <= 4; ++j) {
    const std::string k = std::to_string(j);
    const double w2 = series_rows(rows, "a1" + k + " -> z2").at(0).value;
    const double g_prime = series_rows(rows, "z1" + k + " -> a1" + k).at(0).value;
    CHECK(series_rows(rows, "dL/dz1" + k).at(0).value ==
          Approx(w2 * dz2 * g_prime).epsilon(1e-8));
  }
}

TEST_CASE("chapter 05 learns XOR from random weights with the default seed",
          "[chapter][05_backpropagation]") {
  const std::string out = fresh_dir("05_backpropagation");
  const RunResult run = run_chapter(kChapter, out);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  // The results block the text quotes: every output on the right side of 0.5.
  CHECK_THAT(run.output, Catch::Contains("   0  0    0   0.0002\n"
                                         "   0  1    1   0.9989\n"
                                         "   1  0    1   0.9985\n"
                                         "   1  1    0   0.0015\n"));
  CHECK_THAT(run.output,
             Catch::Contains("final loss 0.001056 after 2000 epochs; XOR learned (every "
                             "output on the right side of 0.5)"));
  const auto loss_rows = series_rows(read_figure_csv(out + "/loss.csv"), "loss");
  REQUIRE(loss_rows.size() == 2001);
  CHECK(loss_rows.back().x == 2000);
  CHECK(close(loss_rows.back().y, kFinalLoss, kFinalLossRelTolerance, 0.0));

  // The seed survey the text discusses, and the stuck run it draws.
  CHECK_THAT(run.output, Catch::Contains("  2 hidden units: 27 of 50 learn XOR\n"
                                         "  3 hidden units: 47 of 50 learn XOR\n"
                                         "  4 hidden units: 50 of 50 learn XOR\n"
                                         "  8 hidden units: 50 of 50 learn XOR\n"));
  CHECK_THAT(run.output, Catch::Contains("(2 hidden units, seed 2) outputs\n"
                                         "  0.0017 0.6662 0.6662 0.6671"));
  require_matches_reference(kChapter, out);
}

TEST_CASE("chapter 05 with two hidden units and seed 4 sticks on the ln(2)/2 plateau",
          "[chapter][05_backpropagation]") {
  const RunResult run = run_chapter(kChapter, fresh_dir("05_backpropagation_stuck"),
                                    "--hidden 2 --seed 4", "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // (1,0) and (1,1) land on the same corner of the hidden space: both get 0.5, and the loss
  // is (ln 2 + ln 2) / 4 = 0.3466 plus what the other two samples still cost.
  CHECK_THAT(run.output, Catch::Contains("   1  0    1   0.4998\n"
                                         "   1  1    0   0.5004\n"));
  CHECK_THAT(run.output, Catch::Contains("final loss 0.347274 after 2000 epochs; XOR NOT"));
}

TEST_CASE("chapter 05 prints the numbers its text quotes for other settings",
          "[chapter][05_backpropagation]") {
  struct Case {
    std::string args;
    std::vector<std::string> expected;  // lines (or parts of lines) of the output
  };
  const Case c = GENERATE(values<Case>({
      {"--hidden-activation sigmoid", {"final loss 0.004433 after 2000 epochs; XOR learned"}},
      {"--hidden-activation relu",
       {"final loss 0.346764 after 2000 epochs; XOR NOT learned",
        "  2 hidden units: 11 of 50 learn XOR\n  3 hidden units: 22 of 50 learn XOR\n"
        "  4 hidden units: 35 of 50 learn XOR\n  8 hidden units: 44 of 50 learn XOR\n"}},
      {"--hidden 1", {"   0  1    1   0.6664\n   1  0    1   0.6664\n   1  1    0   0.6668\n"}},
      // Too large, but seed 42's loss never passes 10 times its start: that run finishes.
      // The survey counts the seeds whose loss does (common/divergence.hpp).
      {"--learning-rate 10",
       {"final loss 1.560972 after 2000 epochs; XOR NOT learned",
        "  8 hidden units: 1 of 50 learn XOR, 49 diverge\n"}},
      // The same path in steps ten times smaller.
      {"--learning-rate 0.1 --epochs 20000 --survey-seeds 0",
       {"    500   0.096511\n", "final loss 0.001053 after 20000 epochs; XOR learned"}},
  }));
  CAPTURE(c.args);
  const RunResult run = run_chapter(kChapter, fresh_dir("05_backpropagation_settings"), c.args,
                                    "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const std::string& e : c.expected) CHECK_THAT(run.output, Catch::Contains(e));
}

TEST_CASE("chapter 05 rejects bad flags with one line and exit code 2",
          "[chapter][05_backpropagation]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "--epochs 0", "--epochs -5", "--epochs 2.5",
               "--epochs 2000000", "--learning-rate 0", "--learning-rate -1",
               "--learning-rate nan", "--learning-rate inf", "--learning-rate fast",
               "--hidden 0", "--hidden 17", "--hidden x", "--hidden-activation step",
               "--survey-seeds -1", "--survey-seeds 1001", "--seed -1", "--frobnicate");
  CAPTURE(bad);
  const std::string out = fresh_dir("05_backpropagation_bad");
  const RunResult run = run_chapter(kChapter, out, bad);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith("05_backpropagation: error: "));
  CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 05 stops a diverging learning rate, names it, and draws nothing",
          "[chapter][05_backpropagation]") {
  // With learning rate 100 the first steps throw the weights so far that an output
  // saturates on the wrong side: sigmoid(z2) rounds to exactly 0 or 1, and the loss,
  // -log of the probability given to the right answer, becomes -log 0 = infinity.
  const std::string out = fresh_dir("05_backpropagation_diverged");
  const RunResult run = run_chapter(kChapter, out, "--learning-rate 100");
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.output,
             Catch::Contains("05_backpropagation: error: training diverged at epoch 2: the "
                             "loss became infinite. The learning rate (100) is probably too "
                             "large; try a smaller --learning-rate.\n"));
  // One error line, after what the run printed before it diverged (the worked sample and
  // the gradient check, whose "Relative error:" is not an error).
  CHECK(count_occurrences(run.output, "05_backpropagation: error:") == 1);
  CHECK(count_occurrences(run.output, " error: ") == 1);
  require_no_figures(out);
}
