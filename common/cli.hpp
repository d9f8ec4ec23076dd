// cli.hpp: the command line every chapter shares, built on CLI11.
//
//   --out DIR   where figures go (default: build/<preset>/output/NN_name/; the reference
//               figures in plots/NN_name/ are never the default)
//   --seed N    the random seed (default 42): same seed, same numbers
//   --help      what the chapter does and every flag it takes
//
// A chapter adds its own flags with app() before parse(); a bad value of any flag gets
// one clear error line on stderr and exit code 2.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace nn {

class CommandLine {
 public:
  // chapter: the folder name, e.g. "01_neuron"; summary: one line for --help.
  CommandLine(std::string chapter, const std::string& summary);

  // The CLI11 app, for the chapter's own flags (epochs, learning rate, ...).
  CLI::App& app() { return app_; }

  // Parses argv. Returns an exit code when the program should stop now (0 after --help,
  // 2 after a bad flag, with the message printed), or nothing when it should go on.
  // On success the standard output is open (and checked at exit: a failed write makes the
  // exit code 1), the output folder exists, is writable, and is locked against a second
  // run writing into it at the same time (which then stops with exit code 2).
  std::optional<int> parse(int argc, const char* const* argv);

  const std::string& out_dir() const { return out_dir_; }
  unsigned seed() const { return seed_; }
  const std::string& chapter() const { return chapter_; }

 private:
  std::string chapter_;
  CLI::App app_;
  std::string out_dir_;
  unsigned seed_ = 42;
  int out_lock_ = -1;  // the output folder, locked (flock) while this program runs
};

// Validators for a chapter's own numeric flags: CLI11 would accept "inf" and "nan" as
// numbers, and a learning rate of either can only produce garbage.
extern const CLI::Validator FinitePositive;     // a finite number > 0 (learning rates)
extern const CLI::Validator FiniteNonNegative;  // a finite number >= 0 (L2 strength, noise)

// A decimal number from -bound to bound (no inf, nan or hexadecimal): for a value that
// enters a computation directly, such as chapter 01's inputs, weights and bias.
CLI::Validator FiniteWithin(double bound);

// text as a finite decimal number, or nothing ("inf", "nan", "0x10", "1e999", "2x").
std::optional<double> decimal_number(const std::string& text);

// The default figure folder of a chapter: <build tree>/output/<chapter>.
std::string default_out_dir(const std::string& chapter);

}  // namespace nn
