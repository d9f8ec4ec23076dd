// plot.hpp: figures for the chapters, drawn by gnuplot through gnuplot-iostream.
//
// A chapter describes a figure in a few lines and calls save(dir), which writes
//   NAME.csv  every number the figure plots, one row per point, with a header row:
//             panel,series,x,y,value   (value: a class, a grid value or a contour level)
//   NAME.gp   the gnuplot script, data included, so `gnuplot NAME.gp` redraws NAME.png
//   NAME.png  the picture (pngcairo), rendered only when gnuplot is on the machine
// Every file is written to a unique temporary name and renamed when complete (see
// atomic_write.hpp), the PNG only when gnuplot exited with status 0 and the image is whole,
// so a failed run leaves no half-written figure behind, and save() throws saying why.
//
//   nn::Figure fig("activations");
//   fig.title("Activation functions").xlabel("z").ylabel("g(z)");
//   fig.line("sigmoid", z, nn::sigmoid(z), {.colour = 0});
//   fig.save(out_dir);
#pragma once

#include <armadillo>
#include <string>
#include <vector>

namespace nn {

// The palette: colour k is the same class in every chapter (Okabe and Ito's colours,
// which stay distinct for colour-blind readers). tint(k) is a light version of it for
// decision-region backgrounds.
std::string colour(int k);
std::string tint(int k);

// How a series is drawn. colour < 0 picks the series' position in the panel.
struct Style {
  int colour = -1;
  double width = 2.0;  // line width
  bool dashed = false;
  double point_size = 1.0;  // for points
  int point_type = 7;       // gnuplot point type: 7 filled circle, 5 square, 9 triangle
  bool in_key = true;       // listed in the legend
  std::string hex = "";     // a colour outside the palette ("#999999": a grey reference
                            // curve behind the others); overrides colour when set
};

// One set of axes: a title, labels and the series drawn on them.
class Plot {
 public:
  Plot& title(const std::string& text);
  Plot& xlabel(const std::string& text);
  Plot& ylabel(const std::string& text);
  Plot& cblabel(const std::string& text);  // the colour bar of a heatmap
  Plot& xrange(double lo, double hi);
  Plot& yrange(double lo, double hi);
  Plot& cbrange(double lo, double hi);
  Plot& logscale_y();
  Plot& square();                           // one unit is as long on both axes
  Plot& key(const std::string& placement);  // gnuplot's `set key ...`, e.g. "top left"
  Plot& no_axes();                          // for diagrams: no border, tics or grid

  // y against x, joined by lines. value (optional, one per point) goes to the CSV's
  // value column: the number a diagram's line or node stands for.
  Plot& line(const std::string& series, const arma::vec& x, const arma::vec& y,
             Style style = {}, const arma::vec& value = {});
  // y against x as markers.
  Plot& points(const std::string& series, const arma::vec& x, const arma::vec& y,
               Style style = {}, const arma::vec& value = {});
  // Labelled samples: X is (2 x N), labels[i] in 0..names.size()-1; class k is drawn in
  // colour(k) and listed as names[k].
  Plot& classes(const arma::mat& X, const arma::uvec& labels,
                const std::vector<std::string>& names, double point_size = 1.2);
  // A value on a regular grid: V(i, j) is the value at (xs(j), ys(i)).
  // The background goes from tint(low_class) through white to tint(high_class) when
  // diverging, else uses a sequential palette.
  Plot& heatmap(const std::string& series, const arma::vec& xs, const arma::vec& ys,
                const arma::mat& V, bool diverging = false, int low_class = 0,
                int high_class = 1);
  // Decision regions: C(i, j) is the class predicted at (xs(j), ys(i)), drawn in tint(k).
  Plot& regions(const std::string& series, const arma::vec& xs, const arma::vec& ys,
                const arma::umat& C, int n_classes);
  // Contour lines of V (same grid convention as heatmap) at the given levels, found by
  // marching squares; each pair of CSV rows is one segment.
  Plot& contour(const std::string& series, const arma::vec& xs, const arma::vec& ys,
                const arma::mat& V, const std::vector<double>& levels, Style style = {});

  // Annotations (drawn, not data: they add no CSV rows).
  Plot& label(double x, double y, const std::string& text, const std::string& align = "center",
              int font_size = 12, const std::string& colour_hex = "#000000");
  Plot& arrow(double x1, double y1, double x2, double y2, double width = 1.5,
              const std::string& colour_hex = "#333333", bool head = true);
  Plot& circle(double x, double y, double radius, const std::string& fill_hex,
               const std::string& border_hex = "#333333");
  Plot& command(const std::string& gnuplot_command);  // anything else gnuplot can set

 private:
  friend class Figure;
  struct Series {
    std::string name;
    std::string kind;  // "lines", "points", "image", "segments"
    arma::mat rows;    // (n x 3): x, y, value
    Style style;
  };
  std::vector<std::string> settings_;  // gnuplot `set` commands, in order
  std::vector<std::string> objects_;   // labels, arrows, circles
  std::vector<Series> series_;
  std::string title_;
  void script(std::string& out, const std::string& prefix) const;
};

// A figure: one file name and one or more panels laid out in a grid.
class Figure : public Plot {
 public:
  explicit Figure(std::string name, int width = 900, int height = 600);
  // Lay out rows x cols panels; panel(0) is this figure's own Plot.
  Figure& layout(int rows, int cols, const std::string& overall_title = "");
  Plot& panel(std::size_t k);

  // Write NAME.csv, NAME.gp and (with gnuplot) NAME.png into dir; throws
  // std::runtime_error naming the file when one cannot be written.
  void save(const std::string& dir) const;

  const std::string& name() const { return name_; }
  std::string csv() const;     // the CSV text save() writes
  std::string script() const;  // the gnuplot script save() writes (without set output)

 private:
  std::string name_;
  int width_, height_;
  int rows_ = 1, cols_ = 1;
  std::string overall_title_;
  std::vector<Plot> more_panels_;  // panels 1, 2, ...
};

// Whether figures are rendered: gnuplot found on PATH (NN_GNUPLOT overrides the program,
// which the tests use to pretend gnuplot is missing).
bool gnuplot_available();

// What is wrong with the PNG file at path ("" when it is complete: PNG signature first,
// IEND chunk last). Figure::save renames a rendered PNG into place only when gnuplot exited
// with status 0 and this is "".
std::string png_problem(const std::string& path);

}  // namespace nn
