// Chapter checks for chapters/10_when_training_fails: with the default seed every failure is
// caught by the check the text names, with the line the text quotes, the healthy runs pass
// every check, the figures are the committed ones, --break runs one failure beside its
// healthy run, and bad flags and missing data stop it with one line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "common/idx.hpp"
#include "support/chapter_run.hpp"

using namespace nn::test;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

const std::string kChapter = "10_when_training_fails";
const std::string kNoGnuplot = "NN_GNUPLOT=/nonexistent/gnuplot";  // the CSVs are enough

// What the text quotes for each failure: its outcome ("you see") and its check's line.
// Exact: the chapter is built without BLAS (cmake/chapter.cmake), so its sums are added in
// one fixed order and every CPU prints these digits (checked under the Nehalem,
// Sandybridge, Haswell and SkylakeX OpenBLAS kernels).
struct Quoted {
  std::string name, you_see, check;
  std::vector<std::string> also;  // more lines of --break NAME's list that the text quotes
  std::size_t failed;             // how many checks fail in all
};
const std::vector<Quoted> kQuoted = {
    {"lr-too-high",
     "loss 1.0950 -> 13.1729, accuracy 33.3%, stopped (diverged) after 30 updates",
     "loss history: the loss grew to 13.2 at entry 1 of 2 (entry 0 is the start), more than 10 "
     "times its start (1.10): the learning rate is too large (chapters 03 and 07)",
     {"FAIL  one small batch: 20 samples, 1 step: loss 1.10 -> 12.7, accuracy 60%: diverged "
      "(the learning rate is too large)",
      "FAIL  after training, dead ReLU units: 100% of layer 1's units"},
     3},
    {"lr-too-low",
     "loss 1.0950 -> 0.5737, accuracy 69.0%",
     "one small batch: 20 samples, 1000 steps: loss 1.10 -> 0.508, accuracy 80%, not learnt by "
     "heart: a bug in backward, the optimiser or the data path (or a learning rate far too "
     "small; chapter 06)",
     {"ok    learning-rate range test: the smoothed loss is lowest (0.625) at rate 1.46"},
     1},
    {"unscaled-inputs",
     "loss 13.2947 -> 2.3017, accuracy 10.8%, validation 10.3%",
     "initial loss 13.3, expected about ln 10 = 2.30: the start is confidently wrong (weights "
     "too large or inputs unscaled: chapter 07's initialisers, chapter 09's pixels / 255)",
     {"FAIL  activation spread: sd(A) from 83.8 (layer 1) to 110 (layer 2), above 10: the "
      "signal explodes",
      "FAIL  gradient check on 4 samples: wrong in layer 3 (dW3 off by 1.74e-07",
      "FAIL  after training, dead ReLU units: 100% of layer 1's units"},
     5},
    {"wrong-gradient",
     "loss 1.0950 -> 0.0275, accuracy 99.0%",
     "gradient check on 4 samples: wrong in layer 1 (dW1 off by 1.23, db1 by 1.55), right in 2 "
     "and 3: the error enters at layer 1, in its dW or db or the dA passed back into it (a "
     "sign or a transpose, chapter 05)",
     {"ok    one small batch learnt by heart"},
     1},
    {"no-mean",
     "loss 2.3061 -> 2.4172, accuracy 9.9%, validation 11.2%",
     "loss gradient: dL/dZ against finite differences of the loss on 4 samples: off by 0.75, 4 "
     "times too large: the 1/m of the mean is missing from dZ (dZ = (P - T) / m, chapter 06)",
     {"ok    gradient check on 4 samples: every layer",
      "FAIL  after training, dead ReLU units: 100% of layer 2's units"},
     2},
    {"zero-init",
     "loss 2.3026 -> 2.3017, accuracy 10.8%, validation 10.3%",
     "activation spread: the units of layer 1 start with equal weights, so they compute the "
     "same and get the same gradient forever (a symmetric start such as all zeros, chapter 07)",
     {"ok    initial loss 2.30, expected about ln 10 = 2.30"},
     6},
    {"huge-init",
     "loss 1.8074 -> 1.0992, accuracy 33.3%",
     "activation spread: sd(A) from 4.23 (layer 1) to 45.2 (layer 2), above 10: the signal "
     "explodes (weights start too large, or inputs unscaled: chapters 07 and 09)",
     {"FAIL  initial loss 1.81, expected about ln 3 = 1.10",
      "FAIL  one small batch: 20 samples, 1 step:",
      "FAIL  after training, dead ReLU units: 100% of layer 2's units"},
     4},
    {"shuffled-labels",
     "loss 2.3028 -> 2.1413, accuracy 22.1%, validation 13.0%",
     "generalisation: training accuracy 22% (loss 2.14), validation 13% (loss 2.34), chance "
     "10%: nothing learnt carries over; the labels are detached from their inputs (shuffled "
     "apart?)",
     {"FAIL  learning-rate range test: the loss never fell by 10%",
      "ok    one small batch learnt by heart"},
     2},
    {"naive-softmax",
     "loss 2.3061 -> 0.2752, accuracy 89.9%, validation 82.0%",
     "softmax shift: the loss of the logits + 1000 is NaN, at the logits 2.31: e^z overflowed; "
     "compute softmax from z - max z (log-sum-exp, chapter 06)",
     {},
     1},
    {"overfitting",
     "loss 2.3087 -> 0.0020, accuracy 100.0%, validation 71.3%",
     "generalisation: training accuracy 100% (loss 0.00201), validation 71% (loss 1.50): 29% "
     "apart, overfitting (more data, L2 or early stopping, chapter 08)",
     {},
     1},
};

const std::string kHealthySpiral = "loss 1.0950 -> 0.0301, accuracy 98.7%";
const std::string kHealthyFashion = "loss 2.3061 -> 0.2752, accuracy 89.9%, validation 82.0%";

// The lines of text between the line starting with `from` and the next empty line.
std::string block(const std::string& output, const std::string& from) {
  const std::size_t start = output.find(from);
  REQUIRE(start != std::string::npos);
  return output.substr(start, output.find("\n\n", start) - start);
}

std::size_t count_lines(const std::string& text) {
  return std::size_t(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("chapter 10 catches every failure by its check and passes the healthy runs",
          "[chapter][10_when_training_fails]") {
  const std::string out = fresh_dir(kChapter);
  const RunResult run = run_chapter(kChapter, out, "", kNoGnuplot);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  // The healthy programs pass every check (ok), before and after training.
  const std::string healthy = block(run.output, "The healthy programs, and every check");
  CHECK_THAT(healthy, Contains("SGD 0.5, batch 30, 3,000 updates: " + kHealthySpiral + "\n"));
  CHECK_THAT(healthy, Contains("SGD 0.2, batch 50, 1,200 updates: " + kHealthyFashion + "\n"));
  CHECK(count_occurrences(healthy, "\n    ok    ") == 23);  // 11 spiral, 12 Fashion-MNIST
  CHECK(count_occurrences(healthy, "FAIL") == 0);
  CHECK_THAT(healthy, Contains("ok    one small batch learnt by heart: 20 samples, 51 steps: "
                               "loss 1.10 -> 0.0995, accuracy 100%\n"));
  CHECK_THAT(healthy, Contains("ok    learning-rate range test: the smoothed loss is lowest "
                               "(0.625) at rate 1.46 and turns up by 10: try 0.146, a tenth of "
                               "it\n"));
  CHECK_THAT(healthy, Contains("ok    learning-rate range test: the smoothed loss is lowest "
                               "(1.30) at rate 0.579 and turns up by 4.12: try 0.0579, a tenth "
                               "of it\n"));
  CHECK_THAT(healthy, Contains("ok    dead ReLU units: 6% of layer 2's units never fire on "
                               "these 300 samples"));
  CHECK_THAT(healthy, Contains("ok    generalisation: training accuracy 90% (loss 0.275), "
                               "validation 82% (loss 0.504): within 10%"));

  // Each failure: what the reader sees, and the line of the check that catches it.
  const std::string failures = block(run.output, "The failures, each beside");
  for (const Quoted& q : kQuoted) {
    CAPTURE(q.name);
    const std::string one = block(failures, "  --break " + q.name + " (");
    CHECK_THAT(one, Contains("    you see: " + q.you_see + "\n"));
    CHECK_THAT(one, Contains("    check:   FAIL  " + q.check));
  }
  CHECK(count_occurrences(failures, "  --break ") == kQuoted.size());
  // The naive softmax's run never met its bug; on bytes it would have.
  CHECK_THAT(failures, Contains("the largest logit on the training images: 23.6, far below"));
  CHECK_THAT(failures, Contains("(logits up to 4,582): loss 138.6 with the shifted softmax, "
                                "NaN with the naive one\n"));

  require_matches_reference(kChapter, out);
}

TEST_CASE("chapter 10's checks catch the same failures from another seed",
          "[chapter][10_when_training_fails]") {
  // Other points, weights, batches and shuffles: the numbers move, the verdicts must not.
  const std::string out = fresh_dir(kChapter + "_seed");
  const RunResult run = run_chapter(kChapter, out, "--seed 7", kNoGnuplot);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(count_occurrences(block(run.output, "The healthy programs"), "\n    ok    ") == 23);
  const std::string failures = block(run.output, "The failures, each beside");
  for (const Quoted& q : kQuoted) {
    CAPTURE(q.name);
    // The check's name: its line up to the first number or colon ("initial loss").
    std::string check_name = q.check.substr(0, q.check.find_first_of(":0123456789"));
    check_name.erase(check_name.find_last_not_of(' ') + 1);
    CHECK_THAT(block(failures, "  --break " + q.name + " ("),
               Contains("    check:   FAIL  " + check_name));
  }
}

TEST_CASE("chapter 10 --break runs one failure beside its healthy run, its check failing",
          "[chapter][10_when_training_fails]") {
  const Quoted q = GENERATE(from_range(kQuoted));
  CAPTURE(q.name);
  const std::string out = fresh_dir(kChapter + "_break");
  const RunResult run = run_chapter(kChapter, out, "--break " + q.name, kNoGnuplot);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(count_occurrences(run.output, "  --break ") == 1);
  CHECK_THAT(run.output, Contains("    you see: " + q.you_see + "\n"));
  // Every check is listed, and the failure's own check says FAIL with its line.
  CHECK_THAT(run.output, Contains("    every check:\n"));
  CHECK_THAT(run.output, Contains("      FAIL  " + q.check + "\n"));
  for (const std::string& line : q.also) CHECK_THAT(run.output, Contains("\n      " + line));
  CHECK(count_occurrences(run.output, "\n      FAIL  ") == q.failed);
  // The healthy run beside it passes everything.
  CHECK(count_occurrences(block(run.output, "The healthy programs"), "FAIL") == 0);
  CHECK(fs::is_empty(out));  // --break draws nothing: the figures are the default run's
}

TEST_CASE("chapter 10 --break list names the ten failures",
          "[chapter][10_when_training_fails]") {
  const RunResult run = run_chapter(kChapter, fresh_dir(kChapter + "_list"), "--break list");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  for (const Quoted& q : kQuoted) CHECK_THAT(run.output, Contains("\n  " + q.name + " "));
  CHECK(count_lines(run.output) == 11);
}

TEST_CASE("chapter 10 rejects bad flags with one line and exit code 2",
          "[chapter][10_when_training_fails]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "--break nosuch", "--break", "--break LR-TOO-HIGH",
               "--seed -1", "--seed x", "--frobnicate");
  CAPTURE(bad);
  const std::string out = fresh_dir(kChapter + "_bad");
  const RunResult run = run_chapter(kChapter, out, bad);
  INFO(run.output);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith(kChapter + ": error: "));
  CHECK(count_lines(run.output) == 1);
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 10 without Fashion-MNIST stops with one line naming the folder and package",
          "[chapter][10_when_training_fails]") {
  const std::string data = fresh_dir(kChapter + "_no_data");
  const std::string out = fresh_dir(kChapter + "_no_data_out");
  for (const std::string args : {"", "--break overfitting"}) {
    CAPTURE(args);
    const RunResult run = run_chapter(kChapter, out, "--data '" + data + "' " + args);
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.output, Catch::StartsWith(kChapter + ": error: no train-images-idx3-ubyte"));
    CHECK_THAT(run.output, Contains(" in " + data + " "));
    CHECK_THAT(run.output, Contains("dataset-fashion-mnist"));
    CHECK(count_occurrences(run.output, "error:") == 1);
    CHECK(fs::is_empty(out));
  }
  // A failure shown on the spiral needs no data file.
  const RunResult spiral =
      run_chapter(kChapter, out, "--data '" + data + "' --break wrong-gradient", kNoGnuplot);
  INFO(spiral.output);
  CHECK(spiral.exit_code == 0);
}
