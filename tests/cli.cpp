// Tests for common/cli.hpp
#include <catch2/catch.hpp>

#include <filesystem>
#include <vector>

#include "common/cli.hpp"
#include "support/chapter_run.hpp"

namespace {
// parse() from a list of arguments, as a shell would pass them.
std::optional<int> parse(nn::CommandLine& cli, std::vector<std::string> args) {
  args.insert(args.begin(), "chapter");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return cli.parse(static_cast<int>(argv.size()), argv.data());
}
}  // namespace

TEST_CASE("the shared flags have defaults and take values", "[cli]") {
  nn::CommandLine cli("99_test", "a test chapter");
  const std::string out = nn::test::fresh_dir("cli_out") + "/figures";
  CHECK_FALSE(parse(cli, {"--out", out, "--seed", "7"}).has_value());
  CHECK(cli.seed() == 7);
  CHECK(cli.out_dir() == out);
  CHECK(std::filesystem::is_directory(out));  // created by parse

  nn::CommandLine defaults("99_test", "a test chapter");
  CHECK(defaults.seed() == 42);
  // A reader's run writes into the build tree, never over the reference figures in plots/.
  CHECK(defaults.out_dir() == std::string(NN_OUTPUT_DIR) + "/99_test");
  CHECK(defaults.out_dir().find("/plots/") == std::string::npos);
}

TEST_CASE("bad values get exit code 2", "[cli]") {
  const std::vector<std::string> bad = GENERATE(
      std::vector<std::string>{"--seed", "abc"}, std::vector<std::string>{"--seed", "-3"},
      std::vector<std::string>{"--seed"}, std::vector<std::string>{"--no-such-flag"},
      std::vector<std::string>{"--out", "/proc/cannot/create"});
  CAPTURE(bad);
  nn::CommandLine cli("99_test", "a test chapter");
  CHECK(parse(cli, bad) == std::optional<int>(2));
}

TEST_CASE("--help succeeds and stops the program", "[cli]") {
  nn::CommandLine cli("99_test", "a test chapter");
  CHECK(parse(cli, {"--help"}) == std::optional<int>(0));
}

TEST_CASE("a chapter's own flags are validated like the shared ones", "[cli]") {
  nn::CommandLine cli("99_test", "a test chapter");
  int epochs = 10;
  cli.app().add_option("--epochs", epochs)->check(CLI::Range(1, 1000));
  CHECK(parse(cli, {"--epochs", "0", "--out", nn::test::fresh_dir("cli_epochs")}) ==
        std::optional<int>(2));
}

TEST_CASE("learning rates must be finite and positive", "[cli]") {
  const std::string bad = GENERATE(as<std::string>{}, "0", "-0.1", "inf", "nan", "abc", "0.1x");
  CAPTURE(bad);
  nn::CommandLine cli("99_test", "a test chapter");
  double lr = 0.1;
  cli.app().add_option("--learning-rate", lr)->check(nn::FinitePositive);
  CHECK(parse(cli, {"--learning-rate", bad, "--out", nn::test::fresh_dir("cli_lr")}) ==
        std::optional<int>(2));
  nn::CommandLine good("99_test", "a test chapter");
  good.app().add_option("--learning-rate", lr)->check(nn::FinitePositive);
  CHECK_FALSE(parse(good, {"--learning-rate", "0.5", "--out", nn::test::fresh_dir("cli_lr")}));
  CHECK(lr == 0.5);
}
