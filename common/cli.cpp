#include "common/cli.hpp"

#include <cmath>
#include <filesystem>
#include <iostream>

namespace nn {

static CLI::Validator finite_at_least(double lowest, bool strict, const std::string& what) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != text.size()) return "'" + text + "' is not a number";
        if (!std::isfinite(v) || v < lowest || (strict && v == lowest))
          return "must be " + what + ", not " + text;
        return "";
      },
      what);
}

const CLI::Validator FinitePositive = finite_at_least(0.0, true, "a finite number > 0");
const CLI::Validator FiniteNonNegative = finite_at_least(0.0, false, "a finite number >= 0");

std::string default_out_dir(const std::string& chapter) {
  return std::string(NN_OUTPUT_DIR) + "/" + chapter;
}

CommandLine::CommandLine(std::string chapter, const std::string& summary)
    : chapter_(std::move(chapter)),
      app_(summary, chapter_),
      out_dir_(default_out_dir(chapter_)) {
  app_.add_option("--out", out_dir_, "Folder for the figures (PNG + CSV)")
      ->capture_default_str();
  app_.add_option("--seed", seed_, "Random seed; the same seed gives the same numbers")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            const bool digits = !text.empty() && text.size() <= 10 &&
                                text.find_first_not_of("0123456789") == std::string::npos;
            if (!digits || std::stoull(text) > 4294967295ull)
              return "must be a whole number from 0 to 4294967295, not " + text;
            return "";
          },
          "SEED"));
  app_.get_formatter()->column_width(34);
}

std::optional<int> CommandLine::parse(int argc, const char* const* argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app_.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << chapter_ << ": error: " << e.what() << " (see --help)\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir_, ec);
  if (ec || !std::filesystem::is_directory(out_dir_)) {
    std::cerr << chapter_ << ": error: cannot create the output folder " << out_dir_
              << (ec ? ": " + ec.message() : std::string(": a file is in the way")) << "\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace nn
