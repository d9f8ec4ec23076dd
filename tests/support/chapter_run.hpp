// chapter_run.hpp: test helpers that run a chapter program and read the CSVs it writes.
#pragma once

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace nn::test {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` through the shell and captures what it prints.
inline RunResult run_command(const std::string& command) {
  RunResult r;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0;)
    r.output.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline std::string chapter_binary(const std::string& chapter) {
  return std::string(NN_CHAPTER_BIN_DIR) + "/" + chapter;
}

// A fresh, empty folder for one test's output, under the build tree.
inline std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(NN_TEST_TMP_DIR) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// Runs a chapter with --out DIR and the given extra arguments.
inline RunResult run_chapter(const std::string& chapter, const std::string& out_dir,
                             const std::string& args = "", const std::string& env = "") {
  return run_command(env + (env.empty() ? "" : " ") + chapter_binary(chapter) + " --out '" +
                     out_dir + "' " + args);
}

// How many times needle occurs in text (e.g. "error:" in a run's output: exactly once).
inline std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1))
    ++n;
  return n;
}

// A run that stopped (bad data, divergence) left no figure behind: no PNG, no CSV.
inline void require_no_figures(const std::string& out_dir) {
  for (const auto& entry : fs::directory_iterator(out_dir)) {
    CAPTURE(entry.path().filename().string());
    CHECK(entry.path().extension() != ".png");
    CHECK(entry.path().extension() != ".csv");
  }
}

// A figure's CSV: panel,series,x,y,value rows (value NaN where empty).
struct CsvRow {
  std::string panel, series;
  double x, y, value;
};

inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        fields.back() += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        fields.back() += c;
    } else if (c == '"')
      quoted = true;
    else if (c == ',')
      fields.emplace_back();
    else
      fields.back() += c;
  }
  return fields;
}

inline double parse_number(const std::string& s) {
  return s.empty() || s == "NaN" ? std::nan("") : std::stod(s);
}

inline std::vector<CsvRow> read_figure_csv(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::string line;
  std::getline(in, line);
  REQUIRE(line == "panel,series,x,y,value");
  std::vector<CsvRow> rows;
  while (std::getline(in, line)) {
    const auto f = split_csv_line(line);
    REQUIRE(f.size() == 5);
    rows.push_back({f[0], f[1], parse_number(f[2]), parse_number(f[3]), parse_number(f[4])});
  }
  return rows;
}

// The rows of one series of a figure.
inline std::vector<CsvRow> series_rows(const std::vector<CsvRow>& rows,
                                       const std::string& series) {
  std::vector<CsvRow> out;
  for (const CsvRow& r : rows)
    if (r.series == series) out.push_back(r);
  return out;
}

// Two numbers agree to within a relative tolerance (with an absolute floor near zero).
inline bool close(double a, double b, double rel, double abs_floor) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::abs(a - b) <= std::max(abs_floor, rel * std::max(std::abs(a), std::abs(b)));
}

// The committed reference figures are the ones a fresh run draws, compared number by
// number. How closely depends on whether the chapter's arithmetic depends on the CPU:
struct ReferenceTolerance {
  double relative;
  double absolute;  // the floor near zero
};
// Chapters 01-08 and 10 are built without BLAS (cmake/chapter.cmake): Armadillo's own matrix
// product sums in one fixed order, compiled once into the binary, so every OpenBLAS kernel
// (Nehalem, Sandybridge, Haswell, SkylakeX) gives byte-identical CSVs. The one difference
// left is glibc's exp and log, which take other code paths on a CPU without FMA and round
// a rare last bit differently; in a CSV written with 10 significant digits that changed 5
// of 2004 rows of chapter 06's curves by one unit in the 10th digit (measured with
// GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F), and nothing else. So: equal to
// the digits written, give or take one unit in the last of the 10 (1e-9 relative).
constexpr ReferenceTolerance kSameDigits{1e-9, 0.0};
// A chapter that uses BLAS (chapter 09, NN_BLAS_CHAPTERS) is not compared this way: its
// numbers depend on the CPU's kernel far beyond the last digit, so its own test compares
// each figure by what the text claims, within spreads measured across kernels.

inline void require_matches_reference(const std::string& chapter, const std::string& fresh_dir,
                                      const ReferenceTolerance& tol = kSameDigits) {
  const fs::path reference = fs::path(NN_SOURCE_DIR) / "plots" / chapter;
  REQUIRE(fs::is_directory(reference));
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(reference)) {
    if (entry.path().extension() != ".csv") continue;
    const std::string name = entry.path().filename().string();
    CAPTURE(chapter, name);
    const fs::path fresh = fs::path(fresh_dir) / name;
    REQUIRE(fs::exists(fresh));
    const auto expected = read_figure_csv(entry.path().string());
    const auto actual = read_figure_csv(fresh.string());
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CAPTURE(i, expected[i].series);
      REQUIRE(actual[i].panel == expected[i].panel);
      REQUIRE(actual[i].series == expected[i].series);
      REQUIRE(close(actual[i].x, expected[i].x, tol.relative, tol.absolute));
      REQUIRE(close(actual[i].y, expected[i].y, tol.relative, tol.absolute));
      REQUIRE(close(actual[i].value, expected[i].value, tol.relative, tol.absolute));
    }
    ++compared;
  }
  REQUIRE(compared > 0);
  // And every figure the run wrote is committed.
  for (const auto& entry : fs::directory_iterator(fresh_dir))
    if (entry.path().extension() == ".csv" || entry.path().extension() == ".png") {
      CAPTURE(entry.path().filename().string());
      REQUIRE(fs::exists(reference / entry.path().filename()));
    }
}

}  // namespace nn::test
