// Chapter checks for chapters/08_generalization: with the default seed the unregularised
// network overfits (training accuracy near 100% while its validation loss climbs after its
// minimum), L2 and early stopping generalise better, early stopping keeps the weights of its
// best epoch and stops `patience` epochs later; the printed numbers are the text's, the
// figures are the committed ones, the test set is measured only with --final (and then for
// the chosen model only), and bad flags and a diverging learning rate stop it
// cleanly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "support/chapter_run.hpp"

using namespace nn::test;
namespace fs = std::filesystem;

namespace {

const std::string kChapter = "08_generalization";
const std::string kNoGnuplot = "NN_GNUPLOT=/nonexistent/gnuplot";  // the CSVs are enough

// The printed numbers are pinned exactly, as the text quotes them. This chapter is built
// without BLAS: its float sums are added in one fixed order, so 3200 Adam steps give the
// same bits on every CPU, and these digits are the ones every reader sees (measured under
// the Nehalem, Sandybridge, Haswell and SkylakeX OpenBLAS kernels, and with glibc's non-FMA
// exp and log).
// How far a printed 4-decimal loss may be from the CSV's 10-digit value: half the last digit.
constexpr double kPrintRounding = 0.5e-4;

// The numbers on the line that starts with "  <name>" after `heading` in the output, in
// order ("98.5%" gives 98.5). Model names hold spaces and commas, so they are matched whole.
std::vector<double> row(const std::string& output, const std::string& heading,
                        const std::string& name) {
  const std::size_t from = output.find(heading);
  REQUIRE(from != std::string::npos);
  const std::size_t at = output.find("\n  " + name + " ", from);
  REQUIRE(at != std::string::npos);
  const std::size_t start = at + 3 + name.size();
  const std::string line = output.substr(start, output.find('\n', start) - start);
  std::vector<double> numbers;
  const std::regex number("-?[0-9]+(\\.[0-9]+)?");
  for (std::sregex_iterator it(line.begin(), line.end(), number), end; it != end; ++it)
    numbers.push_back(std::stod(it->str()));
  return numbers;
}

// Results table: {epochs, train acc, val acc, val loss, sum W^2}.
std::vector<double> results_row(const std::string& output, const std::string& name) {
  return row(output, "\nResults (seed", name);
}

// Words that only a measurement on the test set prints.
bool mentions_test_numbers(const std::string& output) {
  return output.find("test acc") != std::string::npos ||
         output.find("test loss") != std::string::npos ||
         output.find("Final test") != std::string::npos;
}

// "A real run stops here, at epoch S, and restores epoch B's weights." -> {S, B}
std::pair<int, int> stop_and_best(const std::string& output) {
  std::smatch m;
  const std::regex line("stops here, at epoch ([0-9]+), and restores epoch ([0-9]+)'s");
  REQUIRE(std::regex_search(output, m, line));
  return {std::stoi(m[1].str()), std::stoi(m[2].str())};
}

}  // namespace

TEST_CASE("chapter 08's unregularised network overfits and the regularised ones do better",
          "[chapter][08_generalization]") {
  const std::string out = fresh_dir("08_generalization");
  const RunResult run = run_chapter(kChapter, out, "", kNoGnuplot);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("200 training, 150 validation and 150 test samples"));

  // The results block the text quotes, row by row.
  const std::vector<double> plain = results_row(run.output, "No regularisation");
  const std::vector<double> early = results_row(run.output, "Early stopping");
  const std::vector<double> l2 = results_row(run.output, "L2, lambda = 0.01");
  REQUIRE(plain.size() == 5);
  REQUIRE(early.size() == 5);
  REQUIRE(l2.size() == 5);
  CHECK(plain[0] == 800);
  CHECK(early[0] == 23);
  CHECK(l2[0] == 800);
  CHECK(plain[1] == 98.5);
  CHECK(plain[2] == 86.0);
  CHECK(plain[3] == 0.6823);
  CHECK(plain[4] == 1818.5);
  CHECK(early[1] == 89.0);
  CHECK(early[2] == 90.0);
  CHECK(early[3] == 0.2655);
  CHECK(early[4] == 304.6);
  CHECK(l2[1] == 88.0);
  CHECK(l2[2] == 87.3);
  CHECK(l2[3] == 0.2744);
  CHECK(l2[4] == 23.9);
  CHECK_THAT(run.output,
             Catch::Contains("Chosen by the lowest validation loss: Early stopping."));

  // Without --final the test set is not measured at all: no test number is printed.
  CHECK_FALSE(mentions_test_numbers(run.output));
  CHECK_THAT(run.output, Catch::Contains("run again with --final to measure the chosen"));

  // The chapter's claims, which hold whatever the last digits:
  // the unregularised network learns its training set nearly by heart...
  CHECK(plain[1] >= 98.0);
  // ...while both regularised networks do better on data they never trained on: a
  // validation loss less than half as large, and a higher validation accuracy,
  for (const std::vector<double>* r : {&early, &l2}) {
    CHECK((*r)[3] < plain[3] / 2);
    CHECK((*r)[2] > plain[2]);
  }
  // ...and smaller weights: L2 shrinks them most, early stopping stops their growth.
  CHECK(l2[4] < early[4]);
  CHECK(early[4] < plain[4] / 4);

  // Early stopping: the best epoch, and the stop `patience` (50) epochs later.
  const auto [stop, best] = stop_and_best(run.output);
  CHECK(best == 23);
  CHECK(stop == best + 50);

  // The loss curves behind the figure say the same.
  const auto rows = read_figure_csv(out + "/loss_curves.csv");
  std::vector<double> train_loss, val_loss;
  for (const CsvRow& r : rows) {
    if (r.panel != "1") continue;
    if (r.series == "training loss") train_loss.push_back(r.y);
    if (r.series == "validation loss") val_loss.push_back(r.y);
  }
  REQUIRE(train_loss.size() == 800);
  REQUIRE(val_loss.size() == 800);
  // The best epoch is the lowest validation loss among the epochs early stopping watched.
  const auto lowest = std::min_element(val_loss.begin(), val_loss.begin() + stop);
  CHECK(lowest - val_loss.begin() + 1 == best);
  CHECK(*lowest == Approx(early[3]).margin(kPrintRounding));
  // After it the validation loss climbs (to 0.68 from 0.27) while the training loss falls.
  CHECK(val_loss.back() > 2 * *lowest);
  CHECK(train_loss.back() < 0.06);
  CHECK(train_loss.back() < train_loss[std::size_t(best) - 1] / 4);
  // The markers carry the two epochs.
  const auto best_marker = series_rows(rows, "lowest validation loss: weights kept");
  const auto stop_marker = series_rows(rows, "patience runs out: stop");
  REQUIRE(best_marker.size() == 2);
  REQUIRE(stop_marker.size() == 2);
  CHECK(best_marker[0].x == best);
  CHECK(stop_marker[0].x == stop);
  // With L2, what the optimiser minimises is the data loss plus a penalty >= 0.
  const auto objective = series_rows(rows, "training loss + (lambda/2) sum W^2");
  const auto l2_train = [&] {
    std::vector<CsvRow> r;
    for (const CsvRow& c : rows)
      if (c.panel == "2" && c.series == "training loss") r.push_back(c);
    return r;
  }();
  REQUIRE(objective.size() == 800);
  REQUIRE(l2_train.size() == 800);
  for (std::size_t e = 0; e < objective.size(); ++e) CHECK(objective[e].y >= l2_train[e].y);

  require_matches_reference(kChapter, out);
}

TEST_CASE("chapter 08 measures the chosen model on the test set only with --final",
          "[chapter][08_generalization]") {
  const std::string out = fresh_dir("08_generalization_final");
  const RunResult run = run_chapter(kChapter, out, "--final", kNoGnuplot);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // The text's final block: the chosen model only, once.
  CHECK_THAT(
      run.output,
      Catch::Contains("Final test (--final): the chosen model on the 150 test samples, "
                      "once.\n  Early stopping: test accuracy 86.7%, test loss 0.3248.\n"));
  CHECK(count_occurrences(run.output, "test accuracy") == 1);
  CHECK_THAT(run.output, !Catch::Contains("No regularisation: test"));
  // The choice is the same as without --final, and --final changes no figure.
  CHECK_THAT(run.output,
             Catch::Contains("Chosen by the lowest validation loss: Early stopping."));
  require_matches_reference(kChapter, out);
}

TEST_CASE("chapter 08 with lambda 0 trains the same network twice, and patience is obeyed",
          "[chapter][08_generalization]") {
  const RunResult run = run_chapter(kChapter, fresh_dir("08_generalization_lambda0"),
                                    "--lambda 0 --patience 10 --epochs 100", kNoGnuplot);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // Same seed, same start, same batches, no penalty: the "L2" run is the plain run.
  const std::vector<double> plain = results_row(run.output, "No regularisation");
  const std::vector<double> l2 = results_row(run.output, "L2, lambda = 0");
  CHECK(plain == l2);
  // The first 33 epochs are the default run's, so the best epoch is again 23, and the
  // stop comes 10 epochs after it.
  const auto [stop, best] = stop_and_best(run.output);
  CHECK(best == 23);
  CHECK(stop == 33);
}

TEST_CASE("chapter 08 with too large a lambda drives every weight to zero",
          "[chapter][08_generalization]") {
  const RunResult run = run_chapter(kChapter, fresh_dir("08_generalization_lambda01"),
                                    "--lambda 0.1", kNoGnuplot);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // The text's table: the penalty wins, sum W^2 falls to 0.0 and the network gives every
  // input the same answer: about half right, with a loss near ln 2 = 0.693.
  const std::vector<double> l2 = results_row(run.output, "L2, lambda = 0.1");
  REQUIRE(l2.size() == 5);
  CHECK(l2[4] == 0.0);
  CHECK(l2[2] < 60.0);
  CHECK(l2[3] == Approx(0.7024).margin(0.01));
}

TEST_CASE("chapter 08 rejects bad flags with one line and exit code 2",
          "[chapter][08_generalization]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "--epochs 0", "--epochs x", "--epochs 1000000",
               "--lambda -0.1", "--lambda nan", "--lambda inf", "--lambda x", "--patience 0",
               "--patience -3", "--learning-rate 0", "--learning-rate -0.01",
               "--learning-rate inf", "--learning-rate nan", "--seed -1", "--frobnicate");
  CAPTURE(bad);
  const RunResult run = run_chapter(kChapter, fresh_dir("08_generalization_bad"), bad);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith("08_generalization: error: "));
  CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
}

TEST_CASE("chapter 08 stops with one line and draws nothing when training diverges",
          "[chapter][08_generalization]") {
  // Adam moves each weight by about the learning rate per step whatever the gradient. At 10
  // the loss stays finite but passes 10 times the untrained network's in the first epoch;
  // only an absurd rate overflows float: at 1e15 the logits are inf and the loss NaN.
  struct Case {
    std::string args, message;
  };
  const Case c = GENERATE(values<Case>({
      {"--learning-rate 10",
       "08_generalization: error: training diverged at epoch 1: the loss grew to 1.047e+05, "
       "more than 10 times its start (0.7778). The learning rate (10) is probably too large; "
       "try a smaller --learning-rate.\n"},
      {"--learning-rate 1e15",
       "08_generalization: error: training diverged at epoch 1: the loss became NaN. The "
       "learning rate (1e+15) is probably too large; try a smaller --learning-rate.\n"},
  }));
  CAPTURE(c.args);
  const std::string out = fresh_dir("08_generalization_diverged");
  const RunResult run = run_chapter(kChapter, out, c.args);
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.output, Catch::Contains(c.message));
  CHECK(count_occurrences(run.output, "error:") == 1);
  CHECK(fs::is_empty(out));  // no PNG, no CSV from a run that blew up
}
