// Tests for common/plot.hpp
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/plot.hpp"
#include "support/chapter_run.hpp"

namespace fs = std::filesystem;
using nn::test::read_figure_csv;

// Sets an environment variable for the lifetime of a scope.
struct ScopedEnv {
  std::string name;
  ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
    setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name.c_str()); }
};

TEST_CASE("a line chart's CSV holds exactly the plotted points, with a header", "[plot]") {
  nn::Figure fig("lines");
  fig.line("y = 2x", {0.0, 1.0, 2.0}, {0.0, 2.0, 4.0});
  fig.points("a, quoted \"name\"", {0.5}, {-1.0}, {}, {7.0});
  CHECK(fig.csv() ==
        "panel,series,x,y,value\n"
        "1,y = 2x,0,0,\n1,y = 2x,1,2,\n1,y = 2x,2,4,\n"
        "1,\"a, quoted \"\"name\"\"\",0.5,-1,7\n");
}

TEST_CASE("series of mismatched lengths are refused", "[plot]") {
  nn::Figure fig("bad");
  CHECK_THROWS_AS(fig.line("y", {0.0, 1.0}, {0.0}), std::invalid_argument);
  CHECK_THROWS_AS(fig.points("p", {0.0}, {0.0}, {}, {1.0, 2.0}), std::invalid_argument);
  CHECK_THROWS_AS(nn::Figure("a/b"), std::invalid_argument);
}

TEST_CASE("labelled samples become one series per class", "[plot]") {
  const arma::mat X = {{0.0, 1.0, 2.0}, {0.0, 1.0, 0.5}};
  const arma::uvec labels = {1, 0, 1};
  nn::Figure fig("classes");
  fig.classes(X, labels, {"zero", "one"});
  CHECK(fig.csv() == "panel,series,x,y,value\n1,zero,1,1,0\n1,one,0,0,1\n1,one,2,0.5,1\n");
}

TEST_CASE("a grid is written row after row, x fastest", "[plot]") {
  const arma::vec xs = {0.0, 1.0}, ys = {10.0, 20.0};
  const arma::mat V = {{1.0, 2.0}, {3.0, 4.0}};  // V(i, j) at (xs(j), ys(i))
  nn::Figure fig("grid");
  fig.heatmap("v", xs, ys, V);
  CHECK(fig.csv() ==
        "panel,series,x,y,value\n1,v,0,10,1\n1,v,1,10,2\n1,v,0,20,3\n1,v,1,20,4\n");
  CHECK_THROWS_AS(fig.heatmap("v", xs, ys, arma::mat(3, 2)), std::invalid_argument);
}

TEST_CASE("contour segments lie on the requested level", "[plot]") {
  // V = x^2 + y^2 on a grid: the level 1 is the unit circle.
  const arma::vec xs = arma::linspace(-2, 2, 41), ys = arma::linspace(-2, 2, 41);
  arma::mat V(ys.n_elem, xs.n_elem);
  for (arma::uword i = 0; i < ys.n_elem; ++i)
    for (arma::uword j = 0; j < xs.n_elem; ++j) V(i, j) = xs(j) * xs(j) + ys(i) * ys(i);
  nn::Figure fig("circle");
  fig.contour("r = 1", xs, ys, V, {1.0});
  const std::string path = nn::test::fresh_dir("plot_contour") + "/circle.csv";
  std::ofstream(path) << fig.csv();
  const auto rows = read_figure_csv(path);
  REQUIRE(rows.size() > 40);
  REQUIRE(rows.size() % 2 == 0);  // segments: pairs of points
  // Linear interpolation on a 0.1 grid puts points within about (0.1)^2 / 8 of the circle.
  constexpr double kInterpolationError = 0.01;
  for (const auto& r : rows) {
    CHECK(std::hypot(r.x, r.y) == Approx(1.0).margin(kInterpolationError));
    CHECK(r.value == 1.0);
  }
}

TEST_CASE("save writes the CSV, the script and, with gnuplot, the PNG", "[plot]") {
  const std::string dir = nn::test::fresh_dir("plot_save");
  nn::Figure fig("saved");
  fig.title("A title").xlabel("x").ylabel("y").line("line", {0.0, 1.0}, {1.0, 0.0});
  fig.save(dir);
  CHECK(fs::file_size(dir + "/saved.csv") > 0);
  CHECK(fs::file_size(dir + "/saved.gp") > 0);
  const std::string script = fig.script();
  CHECK(script.find("set title 'A title'") != std::string::npos);
  CHECK(script.find("set xlabel 'x'") != std::string::npos);
  if (nn::gnuplot_available()) {
    REQUIRE(fs::exists(dir + "/saved.png"));
    std::ifstream png(dir + "/saved.png", std::ios::binary);
    char magic[4] = {};
    png.read(magic, 4);
    CHECK(std::string(magic + 1, 3) == "PNG");
  }
  for (const auto& entry : fs::directory_iterator(dir))
    CHECK(entry.path().extension() != ".part");  // nothing half-written is left
}

TEST_CASE("without gnuplot, save still writes the CSV and the script", "[plot]") {
  const ScopedEnv missing("NN_GNUPLOT", "/nonexistent/gnuplot");
  CHECK_FALSE(nn::gnuplot_available());
  const std::string dir = nn::test::fresh_dir("plot_no_gnuplot");
  nn::Figure fig("no_png");
  fig.line("line", {0.0, 1.0}, {1.0, 0.0});
  CHECK_NOTHROW(fig.save(dir));
  CHECK(fs::exists(dir + "/no_png.csv"));
  CHECK(fs::exists(dir + "/no_png.gp"));
  CHECK_FALSE(fs::exists(dir + "/no_png.png"));
}

TEST_CASE("a gnuplot that fails leaves no PNG behind and says so", "[plot]") {
  const ScopedEnv broken("NN_GNUPLOT", "/bin/false");  // exits at once, reads nothing
  const std::string dir = nn::test::fresh_dir("plot_broken_gnuplot");
  nn::Figure fig("broken");
  fig.line("line", {0.0, 1.0}, {1.0, 0.0});
  CHECK_THROWS_WITH(fig.save(dir), Catch::Contains("could not render"));
  CHECK_FALSE(fs::exists(dir + "/broken.png"));
  CHECK_FALSE(fs::exists(dir + "/broken.png.part"));
}

TEST_CASE("an unwritable folder is an error naming it", "[plot]") {
  nn::Figure fig("x");
  fig.line("line", {0.0, 1.0}, {1.0, 0.0});
  CHECK_THROWS_WITH(fig.save("/proc/no_such_folder"), Catch::Contains("/proc/no_such_folder"));
}

TEST_CASE("a figure with several panels keeps each panel's series apart", "[plot]") {
  nn::Figure fig("panels");
  fig.layout(1, 2, "Two panels");
  fig.panel(0).line("a", {0.0, 1.0}, {0.0, 1.0});
  fig.panel(1).line("b", {0.0, 1.0}, {1.0, 0.0});
  CHECK_THROWS_AS(fig.panel(2), std::out_of_range);
  CHECK(fig.csv() == "panel,series,x,y,value\n1,a,0,0,\n1,a,1,1,\n2,b,0,1,\n2,b,1,0,\n");
  CHECK(fig.script().find("set multiplot layout 1,2") != std::string::npos);
}

TEST_CASE("the palette gives each class the same colour everywhere", "[plot]") {
  CHECK(nn::colour(0) == "#0072B2");
  CHECK(nn::colour(8) == nn::colour(0));
  CHECK(nn::tint(1) != nn::colour(1));
}

TEST_CASE("a layout with an empty slot and a diagram-only panel renders cleanly", "[plot]") {
  if (!nn::gnuplot_available()) return;  // the script is checked by gnuplot itself
  const std::string dir = nn::test::fresh_dir("plot_empty_panel");
  nn::Figure fig("empty_slot");
  fig.layout(1, 3);
  fig.panel(0).line("a", {0.0, 1.0}, {0.0, 1.0});
  fig.panel(1).label(0.5, 0.5, "only a label");  // no series, no ranges set
  // panel 2 is left empty
  fig.save(dir);
  // gnuplot prints nothing when the script is right (errors go to its stderr).
  const auto run = nn::test::run_command("cd '" + dir + "' && gnuplot empty_slot.gp");
  CHECK(run.exit_code == 0);
  CHECK(run.output.empty());
  CHECK(fs::exists(dir + "/empty_slot.png"));
}

namespace {
// A stand-in for gnuplot: a shell script that reads the script on its standard input,
// writes `bytes` (printf format) to the file named by nn_output, and exits with `code`.
std::string fake_gnuplot(const std::string& dir, const std::string& bytes, int code) {
  const std::string path = dir + "/fake_gnuplot.sh";
  std::ofstream(path) << "#!/bin/sh\nout=$(sed -n \"s/^nn_output = '\\(.*\\)'$/\\1/p\")\n"
                      << "printf '" << bytes << "' > \"$out\"\nexit " << code << "\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}
const std::string kPngSignature = "\\211PNG\\r\\n\\032\\n";
}  // namespace

TEST_CASE("a PNG is renamed into place only when gnuplot exited 0 and the image is whole",
          "[plot]") {
  const std::string dir = nn::test::fresh_dir("plot_incomplete_png");
  nn::Figure fig("figure");
  fig.line("line", {0.0, 1.0}, {1.0, 0.0});
  SECTION("gnuplot wrote 12 bytes and exited 1 (issue 16)") {
    const ScopedEnv fake("NN_GNUPLOT", fake_gnuplot(dir, kPngSignature + "1234", 1));
    CHECK_THROWS_WITH(fig.save(dir), Catch::Contains("exited with status 1"));
  }
  SECTION("gnuplot exited 0 but the disk was full: no IEND chunk") {
    const ScopedEnv fake("NN_GNUPLOT",
                         fake_gnuplot(dir, kPngSignature + "0123456789abcdef", 0));
    CHECK_THROWS_WITH(fig.save(dir), Catch::Contains("no IEND chunk"));
  }
  SECTION("gnuplot exited 0 and wrote nothing") {
    const ScopedEnv fake("NN_GNUPLOT", fake_gnuplot(dir, "", 0));
    CHECK_THROWS_WITH(fig.save(dir), Catch::Contains("no PNG signature"));
  }
  CHECK_FALSE(fs::exists(dir + "/figure.png"));
  for (const auto& entry : fs::directory_iterator(dir))
    CHECK(entry.path().extension() != ".part");
}

TEST_CASE("png_problem accepts a whole PNG and names what a broken one lacks", "[plot]") {
  const std::string dir = nn::test::fresh_dir("plot_png_problem");
  const std::string sig = "\x89PNG\r\n\x1a\n";
  const std::string iend("\0\0\0\0IEND\xae\x42\x60\x82", 12);
  std::ofstream(dir + "/whole.png", std::ios::binary) << sig << "IHDR...." << iend;
  std::ofstream(dir + "/cut.png", std::ios::binary) << sig << "IHDR...." << iend.substr(0, 11);
  std::ofstream(dir + "/text.png", std::ios::binary) << "hello, world, not a png";
  CHECK(nn::png_problem(dir + "/whole.png").empty());
  CHECK_THAT(nn::png_problem(dir + "/cut.png"), Catch::Contains("no IEND"));
  CHECK_THAT(nn::png_problem(dir + "/text.png"), Catch::Contains("no PNG signature"));
  CHECK_THAT(nn::png_problem(dir + "/none.png"), Catch::Contains("no such file"));
}

TEST_CASE("a series may take a colour outside the palette", "[plot]") {
  nn::Figure fig("grey");
  fig.line("reference", {0.0, 1.0}, {1.0, 2.0}, {.hex = "#999999"});
  fig.points("marked", {0.5}, {1.5}, {.colour = 1, .hex = "#123456"});
  fig.line("palette", {0.0, 1.0}, {2.0, 1.0}, {.colour = 2});
  const std::string script = fig.script();
  CHECK(script.find("with lines lw 2 lc rgb '#999999' title 'reference'") != std::string::npos);
  CHECK(script.find("lc rgb '#123456' title 'marked'") != std::string::npos);
  CHECK(script.find("lc rgb '" + nn::colour(2) + "' title 'palette'") != std::string::npos);
}
