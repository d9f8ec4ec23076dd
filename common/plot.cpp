// plot.cpp: turns a Figure into CSV text and a gnuplot script, and renders it.
#include "common/plot.hpp"

#include <sys/wait.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "common/atomic_write.hpp"
#include "common/input_file.hpp"

namespace nn {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------
// Palette
// ---------------------------------------------------------------------------------------

// Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, reddish
// purple, vermillion, sky blue, yellow, black.
static const char* const kColours[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                       "#D55E00", "#56B4E9", "#F0E442", "#000000"};
// The same colours mixed 75% with white: light enough to put points on top.
static const char* const kTints[] = {"#BFDCEC", "#F9E7BF", "#BFE7DC", "#F2DDE9",
                                     "#F4D6BF", "#D5ECF9", "#FBF8D0", "#BFBFBF"};
static constexpr int kPaletteSize = 8;

std::string colour(int k) {
  return kColours[((k % kPaletteSize) + kPaletteSize) % kPaletteSize];
}
std::string tint(int k) { return kTints[((k % kPaletteSize) + kPaletteSize) % kPaletteSize]; }

static int hex_channel(const std::string& hex, int i) {
  return std::stoi(hex.substr(1 + 2 * i, 2), nullptr, 16);
}

// ---------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------

// A gnuplot single-quoted string: a quote inside is written twice.
static std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180).
static std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

static std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// ---------------------------------------------------------------------------------------
// Plot: settings and series
// ---------------------------------------------------------------------------------------

Plot& Plot::title(const std::string& text) {
  title_ = text;
  return *this;
}
Plot& Plot::xlabel(const std::string& text) { return command("set xlabel " + quoted(text)); }
Plot& Plot::ylabel(const std::string& text) { return command("set ylabel " + quoted(text)); }
Plot& Plot::cblabel(const std::string& text) { return command("set cblabel " + quoted(text)); }
Plot& Plot::xrange(double lo, double hi) {
  return command("set xrange [" + number(lo) + ":" + number(hi) + "]");
}
Plot& Plot::yrange(double lo, double hi) {
  return command("set yrange [" + number(lo) + ":" + number(hi) + "]");
}
Plot& Plot::cbrange(double lo, double hi) {
  return command("set cbrange [" + number(lo) + ":" + number(hi) + "]");
}
Plot& Plot::logscale_y() { return command("set logscale y"); }
Plot& Plot::square() { return command("set size ratio -1"); }
Plot& Plot::key(const std::string& placement) { return command("set key " + placement); }
Plot& Plot::no_axes() {
  command("unset border");
  command("unset xtics");
  command("unset ytics");
  command("unset grid");
  return command("unset key");
}
Plot& Plot::command(const std::string& gnuplot_command) {
  settings_.push_back(gnuplot_command);
  return *this;
}

static arma::mat xy_rows(const arma::vec& x, const arma::vec& y, const arma::vec& value,
                         const std::string& who) {
  if (x.n_elem != y.n_elem || (!value.is_empty() && value.n_elem != x.n_elem))
    throw std::invalid_argument(who +
                                ": x, y (and value) must have as many numbers each, not " +
                                std::to_string(x.n_elem) + ", " + std::to_string(y.n_elem) +
                                (value.is_empty() ? "" : ", " + std::to_string(value.n_elem)));
  arma::mat rows(x.n_elem, 3);
  rows.col(0) = x;
  rows.col(1) = y;
  if (value.is_empty())
    rows.col(2).fill(arma::datum::nan);
  else
    rows.col(2) = value;
  return rows;
}

Plot& Plot::line(const std::string& series, const arma::vec& x, const arma::vec& y, Style style,
                 const arma::vec& value) {
  series_.push_back({series, "lines", xy_rows(x, y, value, "line '" + series + "'"), style});
  return *this;
}

Plot& Plot::points(const std::string& series, const arma::vec& x, const arma::vec& y,
                   Style style, const arma::vec& value) {
  series_.push_back({series, "points", xy_rows(x, y, value, "points '" + series + "'"), style});
  return *this;
}

Plot& Plot::classes(const arma::mat& X, const arma::uvec& labels,
                    const std::vector<std::string>& names, double point_size) {
  if (X.n_rows != 2 || X.n_cols != labels.n_elem)
    throw std::invalid_argument("classes: X must be (2 x n) with one label per column");
  for (std::size_t k = 0; k < names.size(); ++k) {
    const arma::uvec idx = arma::find(labels == k);
    arma::mat rows(idx.n_elem, 3);
    for (arma::uword r = 0; r < idx.n_elem; ++r) {
      rows(r, 0) = X(0, idx(r));
      rows(r, 1) = X(1, idx(r));
      rows(r, 2) = static_cast<double>(k);
    }
    Style style{.colour = static_cast<int>(k),
                .point_size = point_size,
                .point_type = k % 3 == 0 ? 7 : (k % 3 == 1 ? 5 : 9)};
    series_.push_back({names[k], "classes", rows, style});
  }
  return *this;
}

static arma::mat grid_rows(const arma::vec& xs, const arma::vec& ys, const arma::mat& V,
                           const std::string& who) {
  if (V.n_rows != ys.n_elem || V.n_cols != xs.n_elem)
    throw std::invalid_argument(who + ": the grid must be (ys x xs)");
  arma::mat rows(V.n_elem, 3);
  arma::uword r = 0;
  for (arma::uword i = 0; i < ys.n_elem; ++i)  // one row of the grid after another
    for (arma::uword j = 0; j < xs.n_elem; ++j, ++r) {
      rows(r, 0) = xs(j);
      rows(r, 1) = ys(i);
      rows(r, 2) = V(i, j);
    }
  return rows;
}

Plot& Plot::heatmap(const std::string& series, const arma::vec& xs, const arma::vec& ys,
                    const arma::mat& V, bool diverging, int low_class, int high_class) {
  std::string palette = diverging ? "set palette defined (0 " + quoted(colour(low_class)) +
                                        ", 1 " + quoted(tint(low_class)) + ", 2 '#FFFFFF', 3 " +
                                        quoted(tint(high_class)) + ", 4 " +
                                        quoted(colour(high_class)) + ")"
                                  : "set palette cubehelix start 0.5 cycles -1.2 saturation 1.2"
                                    " negative";
  settings_.push_back(palette);
  series_.push_back({series, "image", grid_rows(xs, ys, V, "heatmap"), Style{}});
  return *this;
}

Plot& Plot::regions(const std::string& series, const arma::vec& xs, const arma::vec& ys,
                    const arma::umat& C, int n_classes) {
  if (n_classes < 1) throw std::invalid_argument("regions: n_classes must be positive");
  series_.push_back({series, "regions",
                     grid_rows(xs, ys, arma::conv_to<arma::mat>::from(C), "regions"), Style{}});
  return *this;
}

// Marching squares: in each grid cell, the level crosses the edges whose two corners lie
// on different sides of it; joining the crossings (linearly interpolated) gives the line.
Plot& Plot::contour(const std::string& series, const arma::vec& xs, const arma::vec& ys,
                    const arma::mat& V, const std::vector<double>& levels, Style style) {
  if (V.n_rows != ys.n_elem || V.n_cols != xs.n_elem || xs.n_elem < 2 || ys.n_elem < 2)
    throw std::invalid_argument("contour: the grid must be (ys x xs), at least 2 x 2");
  std::vector<double> out;  // x, y, level for each end of each segment
  for (double L : levels) {
    for (arma::uword i = 0; i + 1 < ys.n_elem; ++i)
      for (arma::uword j = 0; j + 1 < xs.n_elem; ++j) {
        // corners counter-clockwise from bottom left
        const double cx[4] = {xs(j), xs(j + 1), xs(j + 1), xs(j)};
        const double cy[4] = {ys(i), ys(i), ys(i + 1), ys(i + 1)};
        const double cv[4] = {V(i, j), V(i, j + 1), V(i + 1, j + 1), V(i + 1, j)};
        // edge e joins corner e and corner (e + 1) % 4: bottom, right, top, left
        double px[4], py[4];
        bool crossed[4];
        int n = 0;
        for (int e = 0; e < 4; ++e) {
          const int a = e, b = (e + 1) % 4;
          crossed[e] = (cv[a] >= L) != (cv[b] >= L);
          if (!crossed[e]) continue;
          const double t = (L - cv[a]) / (cv[b] - cv[a]);
          px[e] = cx[a] + t * (cx[b] - cx[a]);
          py[e] = cy[a] + t * (cy[b] - cy[a]);
          ++n;
        }
        auto segment = [&](int e1, int e2) {
          out.insert(out.end(), {px[e1], py[e1], L, px[e2], py[e2], L});
        };
        if (n == 2) {
          int e1 = -1, e2 = -1;
          for (int e = 0; e < 4; ++e)
            if (crossed[e]) (e1 < 0 ? e1 : e2) = e;
          segment(e1, e2);
        } else if (n == 4) {  // a saddle: the cell's centre decides which corners join
          const bool centre_above = (cv[0] + cv[1] + cv[2] + cv[3]) / 4 >= L;
          const bool corner0_above = cv[0] >= L;
          if (centre_above == corner0_above) {  // corners 0 and 2 join: cut off 1 and 3
            segment(0, 1);
            segment(2, 3);
          } else {  // corners 1 and 3 join: cut off 0 and 2
            segment(3, 0);
            segment(1, 2);
          }
        }
      }
  }
  arma::mat rows(out.size() / 3, 3);
  for (std::size_t r = 0; r < rows.n_rows; ++r)
    for (int c = 0; c < 3; ++c) rows(r, c) = out[3 * r + c];
  series_.push_back({series, "segments", rows, style});
  return *this;
}

Plot& Plot::label(double x, double y, const std::string& text, const std::string& align,
                  int font_size, const std::string& colour_hex) {
  objects_.push_back("set label " + quoted(text) + " at " + number(x) + "," + number(y) + " " +
                     align + " font '," + std::to_string(font_size) + "' tc rgb " +
                     quoted(colour_hex) + " front");
  return *this;
}

Plot& Plot::arrow(double x1, double y1, double x2, double y2, double width,
                  const std::string& colour_hex, bool head) {
  objects_.push_back("set arrow from " + number(x1) + "," + number(y1) + " to " + number(x2) +
                     "," + number(y2) +
                     (head ? " head filled size screen 0.015,20" : " nohead") + " lw " +
                     number(width) + " lc rgb " + quoted(colour_hex) + " front");
  return *this;
}

Plot& Plot::circle(double x, double y, double radius, const std::string& fill_hex,
                   const std::string& border_hex) {
  objects_.push_back("set object circle at " + number(x) + "," + number(y) + " size " +
                     number(radius) + " fc rgb " + quoted(fill_hex) +
                     " fs solid 1.0 border lc rgb " + quoted(border_hex) + " lw 1.5 front");
  return *this;
}

// The script of one panel: its datablocks, settings and plot command.
void Plot::script(std::string& out, const std::string& prefix) const {
  std::ostringstream s;
  for (std::size_t k = 0; k < series_.size(); ++k) {
    const Series& ser = series_[k];
    s << "$" << prefix << "s" << k << " << EOD\n";
    for (arma::uword r = 0; r < ser.rows.n_rows; ++r) {
      s << number(ser.rows(r, 0)) << ' ' << number(ser.rows(r, 1)) << ' '
        << number(ser.rows(r, 2));
      if (ser.kind == "regions") {  // the class's tint as r g b, for rgbimage
        const std::string hex = tint(static_cast<int>(ser.rows(r, 2)));
        s << ' ' << hex_channel(hex, 0) << ' ' << hex_channel(hex, 1) << ' '
          << hex_channel(hex, 2);
      }
      s << '\n';
      if (ser.kind == "segments" && r % 2 == 1) s << '\n';  // each segment its own block
    }
    s << "EOD\n";
  }
  // Defaults every panel starts from, then the panel's own settings.
  s << "reset\n"
       "set border 3 lc rgb '#555555'\nset tics nomirror out\n"
       "set grid lc rgb '#E5E5E5' lt 1\nset key top right opaque box lc rgb '#CCCCCC'\n"
       "set key samplen 2.5 spacing 1.2\nunset colorbox\n"
       "set clip two\n";  // draw a line whose two ends both lie outside the ranges
  if (!title_.empty()) s << "set title " << quoted(title_) << " font ',14'\n";
  bool has_image = false;
  for (const Series& ser : series_) has_image = has_image || ser.kind == "image";
  if (has_image) s << "set colorbox\n";
  for (const std::string& c : settings_) s << c << '\n';
  for (const std::string& o : objects_) s << o << '\n';

  std::vector<std::string> clauses;
  int auto_colour = 0;
  for (std::size_t k = 0; k < series_.size(); ++k) {
    const Series& ser = series_[k];
    const std::string data = "$" + prefix + "s" + std::to_string(k);
    const Style& st = ser.style;
    const int c = st.colour >= 0 ? st.colour : auto_colour++;
    const std::string rgb = st.hex.empty() ? colour(c) : st.hex;
    const std::string key = st.in_key ? "title " + quoted(ser.name) : "notitle";
    const std::string dash = st.dashed ? " dt 2" : "";
    if (ser.rows.n_rows == 0) continue;  // gnuplot refuses an empty datablock
    if (ser.kind == "lines" || ser.kind == "segments") {
      clauses.push_back(data + " using 1:2 with lines lw " + number(st.width) + dash +
                        " lc rgb " + quoted(rgb) + " " + key);
    } else if (ser.kind == "points") {
      clauses.push_back(data + " using 1:2 with points pt " + std::to_string(st.point_type) +
                        " ps " + number(st.point_size) + " lc rgb " + quoted(rgb) + " " + key);
    } else if (ser.kind == "classes") {  // filled marker with a dark outline
      clauses.push_back(data + " using 1:2 with points pt " + std::to_string(st.point_type) +
                        " ps " + number(st.point_size) + " lc rgb " + quoted(colour(c)) + " " +
                        key);
      const int outline = st.point_type - 1;  // gnuplot: 6, 4, 8 are 7, 5, 9 unfilled
      clauses.push_back(data + " using 1:2 with points pt " + std::to_string(outline) + " ps " +
                        number(st.point_size) + " lw 0.8 lc rgb '#222222' notitle");
    } else if (ser.kind == "image") {
      clauses.push_back(data + " using 1:2:3 with image notitle");
    } else if (ser.kind == "regions") {
      clauses.push_back(data + " using 1:2:4:5:6 with rgbimage notitle");
    }
  }
  if (clauses.empty()) {  // a diagram (annotations only) or an empty slot of a layout
    // gnuplot refuses to plot nothing unless it knows the ranges to draw.
    auto has = [this](const std::string& start) {
      for (const std::string& c : settings_)
        if (c.rfind(start, 0) == 0) return true;
      return false;
    };
    if (!has("set xrange")) s << "set xrange [0:1]\n";
    if (!has("set yrange")) s << "set yrange [0:1]\n";
    if (objects_.empty() && settings_.empty() && title_.empty())
      s << "unset border\nunset tics\nunset grid\n";  // an empty slot stays blank
    s << "unset key\nplot NaN notitle\n";
  } else {
    s << "plot ";
    for (std::size_t k = 0; k < clauses.size(); ++k)
      s << (k ? ", \\\n     " : "") << clauses[k];
    s << '\n';
  }
  out += s.str();
}

// ---------------------------------------------------------------------------------------
// Figure
// ---------------------------------------------------------------------------------------

Figure::Figure(std::string name, int width, int height)
    : name_(std::move(name)), width_(width), height_(height) {
  if (name_.empty() || name_.find_first_of("/\\ ") != std::string::npos)
    throw std::invalid_argument("a figure name must be a plain file stem: '" + name_ + "'");
}

Figure& Figure::layout(int rows, int cols, const std::string& overall_title) {
  if (rows < 1 || cols < 1) throw std::invalid_argument("layout: rows and cols must be >= 1");
  rows_ = rows;
  cols_ = cols;
  overall_title_ = overall_title;
  more_panels_.resize(static_cast<std::size_t>(rows * cols - 1));
  return *this;
}

Plot& Figure::panel(std::size_t k) {
  if (k == 0) return *this;
  if (k > more_panels_.size())
    throw std::out_of_range("panel " + std::to_string(k) + " is outside the layout");
  return more_panels_[k - 1];
}

std::string Figure::csv() const {
  std::string out = "panel,series,x,y,value\n";
  const std::size_t n_panels = 1 + more_panels_.size();
  for (std::size_t p = 0; p < n_panels; ++p) {
    const Plot& plot = p == 0 ? static_cast<const Plot&>(*this) : more_panels_[p - 1];
    for (const Series& ser : plot.series_)
      for (arma::uword r = 0; r < ser.rows.n_rows; ++r) {
        out += std::to_string(p + 1) + "," + csv_field(ser.name) + "," +
               number(ser.rows(r, 0)) + "," + number(ser.rows(r, 1)) + ",";
        if (!std::isnan(ser.rows(r, 2))) out += number(ser.rows(r, 2));
        out += '\n';
      }
  }
  return out;
}

std::string Figure::script() const {
  std::string out = "# " + name_ + ".gp: written by the chapter that draws it; `gnuplot " +
                    name_ + ".gp` redraws " + name_ +
                    ".png.\n"
                    "# The data below is the data of " +
                    name_ + ".csv.\n";
  out += "set terminal pngcairo size " + std::to_string(width_) + "," +
         std::to_string(height_) + " enhanced font 'Sans,12' linewidth 1.2\n";
  out += "if (!exists('nn_output')) nn_output = " + quoted(name_ + ".png") + "\n";
  out += "set output nn_output\n";
  const bool multi = !more_panels_.empty();
  if (multi)
    out += "set multiplot layout " + std::to_string(rows_) + "," + std::to_string(cols_) +
           (overall_title_.empty() ? "" : " title " + quoted(overall_title_) + " font ',15'") +
           "\n";
  Plot::script(out, "p1");
  for (std::size_t p = 0; p < more_panels_.size(); ++p)
    more_panels_[p].script(out, "p" + std::to_string(p + 2));
  if (multi) out += "unset multiplot\n";
  out += "set output\n";
  return out;
}

// ---------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------

static std::string gnuplot_program() {
  const char* env = std::getenv("NN_GNUPLOT");
  return env && *env ? env : "gnuplot";
}

// What is wrong with the PNG file at path, or "" when it is complete: it starts with the
// PNG signature and ends with the IEND chunk (length 0, "IEND", its CRC), which a writer
// puts last, so a file cut short by a full disk or a crash lacks it.
std::string png_problem(const std::string& path) {
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  static const unsigned char kIend[12] = {0,   0,   0,    0,    'I',  'E',
                                          'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  std::string bytes;
  try {
    bytes = read_regular_file(path, std::uintmax_t{1} << 30);
  } catch (const FileError& e) {
    return e.what();
  }
  if (bytes.size() < sizeof kSignature + sizeof kIend ||
      std::memcmp(bytes.data(), kSignature, sizeof kSignature) != 0)
    return "no PNG signature, " + std::to_string(bytes.size()) + " bytes";
  if (std::memcmp(bytes.data() + bytes.size() - sizeof kIend, kIend, sizeof kIend) != 0)
    return "no IEND chunk at its end: truncated";
  return "";
}

bool gnuplot_available() {
  const std::string program = gnuplot_program();
  auto executable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) &&
           (fs::status(p, ec).permissions() & fs::perms::owner_exec) != fs::perms::none;
  };
  if (program.find('/') != std::string::npos) return executable(program);
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && executable(fs::path(dir) / program)) return true;
  return false;
}

void Figure::save(const std::string& dir) const {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create the folder " + dir + ": " + ec.message());
  const fs::path base = fs::path(dir) / name_;
  write_file_atomically(base.string() + ".csv", csv());
  write_file_atomically(base.string() + ".gp", script());

  static bool told_once = false;
  if (!gnuplot_available()) {
    if (!told_once)
      std::cerr << "note: gnuplot was not found, so figures are written as CSV data and "
                   "gnuplot scripts (NAME.gp) but not rendered to PNG.\n"
                   "      Install it (./tutorial does: apt-get install gnuplot-nox) and "
                   "run `gnuplot NAME.gp` in "
                << dir << ", or run the chapter again.\n";
    told_once = true;
    return;
  }
  // If gnuplot exits early, writing to its pipe must fail with an error, not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  const std::string png = base.string() + ".png";
  TempFile part(png);  // gnuplot writes into our own fresh, unique file
  const std::string program = gnuplot_program();
  std::FILE* pipe = ::popen(program.c_str(), "w");
  if (pipe == nullptr)
    throw std::runtime_error("cannot start " + program + " to render " + png);
  const std::string text = "nn_output = " + quoted(part.path()) + "\n" + script();
  const bool sent =
      std::fwrite(text.data(), 1, text.size(), pipe) == text.size() && std::fflush(pipe) == 0;
  const int status = ::pclose(pipe);  // waits for gnuplot to finish
  const bool exited_0 = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!sent || !exited_0)
    throw std::runtime_error(
        "gnuplot could not render " + png + " (" +
        (status != -1 && WIFEXITED(status)
             ? "it exited with status " + std::to_string(WEXITSTATUS(status))
             : std::string("it did not exit normally")) +
        "; its message is above); " + base.string() + ".gp has the script");
  const std::string problem = png_problem(part.path());
  if (!problem.empty())
    throw std::runtime_error("gnuplot left an incomplete " + png + " (" + problem +
                             "); is the disk full? " + base.string() + ".gp has the script");
  part.commit();
}

}  // namespace nn
