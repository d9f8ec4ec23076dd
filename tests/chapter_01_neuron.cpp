// Chapter checks for chapters/01_neuron: it runs, its numbers are the text's numbers, and
// its figures are the committed ones.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/chapter_run.hpp"

using namespace nn::test;
namespace fs = std::filesystem;

TEST_CASE("chapter 01 computes the blog's neuron step by step", "[chapter][01_neuron]") {
  const std::string out = fresh_dir("01_neuron");
  const RunResult run = run_chapter("01_neuron", out);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  // z = 0.8*0.5 + 0.2*(-1) + (-0.5)*2 + 0.1 = -0.7 and y = sigmoid(-0.7) = 0.33181...
  CHECK_THAT(run.output, Catch::Contains("= 0.4 + (-0.2) + (-1) + 0.1"));
  CHECK_THAT(run.output, Catch::Contains("    = -0.7\n"));
  CHECK_THAT(run.output,
             Catch::Contains("y = sigmoid(z) = 1 / (1 + e^-z) = 1 / (1 + e^0.7) = 0.3318"));
  // The diagram's CSV carries the same numbers.
  const auto rows = read_figure_csv(out + "/neuron.csv");
  CHECK(series_rows(rows, "z").at(0).value == Approx(-0.7).epsilon(1e-12));
  CHECK(series_rows(rows, "y").at(0).value == Approx(0.3318122278318339).epsilon(1e-9));
  require_matches_reference("01_neuron", out);
}

TEST_CASE("chapter 01 takes other inputs and activations", "[chapter][01_neuron]") {
  const RunResult run =
      run_chapter("01_neuron", fresh_dir("01_neuron_relu"),
                  "--inputs 1,2,3 --weights 1,1,1 --bias -1 --activation relu");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("y = relu(z) = max(0, 5) = 5"));
}

TEST_CASE("chapter 01 rejects bad flags with one line and exit code 2",
          "[chapter][01_neuron]") {
  const std::string bad =
      GENERATE(as<std::string>{}, "--inputs 1,2", "--inputs 1,x,3", "--activation softmax",
               "--bias", "--seed -1", "--seed 7", "--frobnicate");
  CAPTURE(bad);
  const RunResult run = run_chapter("01_neuron", fresh_dir("01_neuron_bad"), bad);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith("01_neuron: error: "));
  CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
}

TEST_CASE("chapter 01's --help lists every activation it takes, and no --seed",
          "[chapter][01_neuron]") {
  // Nothing in chapter 01 is random, so it has no --seed (issue 11: the flag did nothing).
  const RunResult run = run_command(chapter_binary("01_neuron") + " --help");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.output, Catch::Contains("step, sigmoid, tanh, relu or identity"));
  CHECK_THAT(run.output, !Catch::Contains("--seed"));
  const RunResult identity =
      run_chapter("01_neuron", fresh_dir("01_neuron_identity"), "--activation identity");
  CHECK(identity.exit_code == 0);
  CHECK_THAT(identity.output, Catch::Contains("y = z = -0.7"));
}

TEST_CASE("chapter 01 runs without gnuplot and says so once", "[chapter][01_neuron]") {
  const std::string out = fresh_dir("01_neuron_no_gnuplot");
  const RunResult run = run_chapter("01_neuron", out, "", "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(fs::exists(out + "/activations.csv"));
  CHECK(fs::exists(out + "/activations.gp"));
  CHECK_FALSE(fs::exists(out + "/activations.png"));
  std::size_t notes = 0;
  for (std::size_t p = run.output.find("gnuplot was not found"); p != std::string::npos;
       p = run.output.find("gnuplot was not found", p + 1))
    ++notes;
  CHECK(notes == 1);
}

TEST_CASE("chapter 01 refuses numbers that are not finite or too large (issue 16)",
          "[chapter][01_neuron]") {
  const std::string bad = GENERATE(as<std::string>{}, "--bias nan", "--bias inf", "--bias -inf",
                                   "--inputs nan,1,2", "--inputs 1,inf,2", "--inputs inf,0,0",
                                   "--weights 1e308,1,1", "--weights 0x10,1,1", "--bias 1e7");
  CAPTURE(bad);
  const std::string out = fresh_dir("01_neuron_not_finite");
  const RunResult run = run_chapter("01_neuron", out, bad);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith("01_neuron: error: "));
  CHECK_THAT(run.output, Catch::Contains("from -1e+06 to 1e+06"));
  CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);
  CHECK(fs::is_empty(out));
}

TEST_CASE("chapter 01 never writes through a symbolic link planted in its folder",
          "[chapter][01_neuron]") {
  // Issue 16: `ln -s ~/victim.txt OUT/neuron.csv.part` made the chapter overwrite victim.
  const std::string out = fresh_dir("01_neuron_symlink");
  const std::string victim = fresh_dir("01_neuron_victim") + "/victim.txt";
  std::ofstream(victim) << "precious";
  for (const char* name : {"neuron.csv.part", "neuron.png.part", "activations.gp.part"})
    fs::create_symlink(victim, out + "/" + name);
  const RunResult run = run_chapter("01_neuron", out, "", "NN_GNUPLOT=/nonexistent/gnuplot");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  std::ifstream in(victim);
  std::string text;
  std::getline(in, text);
  CHECK(text == "precious");
}

TEST_CASE("chapter 01 stops with one line when its output cannot be written",
          "[chapter][01_neuron]") {
  const std::string out = fresh_dir("01_neuron_output");
  const std::string bin = chapter_binary("01_neuron") + " --out '" + out + "'";
  const std::string no_gnuplot = "NN_GNUPLOT=/nonexistent/gnuplot ";
  SECTION("stdout on a full device (issue 16: it exited 0)") {
    const RunResult run = run_command("(" + no_gnuplot + bin + " >/dev/full)");
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.output, Catch::Contains("standard output could not be written"));
  }
  SECTION("stdout closed") {
    const RunResult run = run_command("(" + no_gnuplot + bin + " >&-)");
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.output, Catch::Contains("01_neuron: error: the standard output is closed"));
  }
  SECTION("an output folder that cannot be written, found before any work") {
    const RunResult run = run_chapter("01_neuron", "/proc/self");
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.output, Catch::StartsWith("01_neuron: error: cannot write into the output "
                                             "folder /proc/self"));
  }
  SECTION("an empty --out") {
    const RunResult run = run_command(chapter_binary("01_neuron") + " --out ''");
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.output, Catch::Contains("an empty folder name"));
  }
}

TEST_CASE("chapter 01 refuses to write into a folder another run is writing into",
          "[chapter][01_neuron]") {
  // Issue 16: two runs into one --out deleted each other's temporary files and could leave
  // a mix of two seeds' figures. The second run now stops before doing anything.
  const std::string out = fresh_dir("01_neuron_two_runs");
  const int dir = ::open(out.c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(dir >= 0);
  REQUIRE(::flock(dir, LOCK_EX | LOCK_NB) == 0);  // as a running chapter holds it
  const RunResult run = run_chapter("01_neuron", out);
  ::close(dir);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::StartsWith("01_neuron: error: another run is writing into"));
  CHECK(fs::is_empty(out));
  CHECK(run_chapter("01_neuron", out, "", "NN_GNUPLOT=/nonexistent/gnuplot").exit_code == 0);
}
