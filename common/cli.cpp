#include "common/cli.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "common/atomic_write.hpp"

namespace nn {

// A decimal number as people write it: digits, a sign, a point, an exponent. std::stod
// alone would also take "inf", "nan" and hexadecimal ("0x10" is 16).
std::optional<double> decimal_number(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string::npos)
    return std::nullopt;
  double v = 0;
  std::size_t used = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

static CLI::Validator finite_at_least(double lowest, bool strict, const std::string& what) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        const std::optional<double> parsed = decimal_number(text);
        if (!parsed) return "must be " + what + ", not '" + text + "'";
        const double v = *parsed;
        if (v < lowest || (strict && v == lowest)) return "must be " + what + ", not " + text;
        return "";
      },
      what);
}

const CLI::Validator FinitePositive = finite_at_least(0.0, true, "a finite number > 0");
const CLI::Validator FiniteNonNegative = finite_at_least(0.0, false, "a finite number >= 0");

CLI::Validator FiniteWithin(double bound) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", bound);
  const std::string what = std::string("a decimal number from -") + b + " to " + b;
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        const std::optional<double> v = decimal_number(text);
        if (!v || std::fabs(*v) > bound) return "must be " + what + ", not '" + text + "'";
        return "";
      },
      what);
}

// Output that could not be written (stdout on a full disk, /dev/full, a closed pipe) must
// not end in exit code 0: at exit, flush it and look.
static void fail_if_stdout_lost() {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    static const char msg[] = "error: the standard output could not be written\n";
    [[maybe_unused]] const ssize_t n = ::write(2, msg, sizeof msg - 1);
    ::_exit(1);
  }
}

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
  // A closed standard output would be taken by the next file opened (descriptor 1), and
  // the program's text would go into it.
  if (::fcntl(1, F_GETFD) == -1) {
    std::cerr << chapter_ << ": error: the standard output is closed\n";
    return 2;
  }
  std::atexit(fail_if_stdout_lost);
  if (out_dir_.empty()) {
    std::cerr << chapter_ << ": error: --out: an empty folder name (see --help)\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir_, ec);
  if (ec || !std::filesystem::is_directory(out_dir_)) {
    std::cerr << chapter_ << ": error: cannot create the output folder " << out_dir_
              << (ec ? ": " + ec.message() : std::string(": a file is in the way")) << "\n";
    return 2;
  }
  try {
    check_folder_writable(out_dir_);
  } catch (const std::exception& e) {
    std::cerr << chapter_ << ": error: cannot write into the output folder " << out_dir_ << ": "
              << e.what() << "\n";
    return 2;
  }
  // One run at a time per folder: two runs (two seeds, say) writing the same figures would
  // leave a mix of both. The lock is on the folder itself (flock), so no file is left behind,
  // and the system releases it when the program ends, however it ends.
  out_lock_ = ::open(out_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (out_lock_ < 0 || ::flock(out_lock_, LOCK_EX | LOCK_NB) != 0) {
    std::cerr << chapter_ << ": error: another run is writing into " << out_dir_
              << " now; wait for it to finish, or give this one another --out\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace nn
