#include "common/cli.hpp"

#include <filesystem>
#include <iostream>

namespace nn {

std::string default_out_dir(const std::string& chapter) {
  return std::string(NN_SOURCE_DIR) + "/plots/" + chapter;
}

CommandLine::CommandLine(std::string chapter, const std::string& summary)
    : chapter_(std::move(chapter)),
      app_(summary, chapter_),
      out_dir_(default_out_dir(chapter_)) {
  app_.add_option("--out", out_dir_, "Folder for the figures (PNG + CSV)")
      ->capture_default_str();
  app_.add_option("--seed", seed_, "Random seed; the same seed gives the same numbers")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
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
