// diagram.cpp: lays out a network's units in columns and draws them with nn::Plot.
#include "common/diagram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace nn {

namespace {

std::string shape(arma::uword rows, arma::uword cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}

// A weight or bias as it is written on the diagram: 3 significant digits.
std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// A gnuplot single-quoted string (a quote inside is written twice).
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// Text shown as it is: gnuplot's enhanced text would read _ ^ @ & ~ { } as markup
// ("leaky_relu" would get a subscript r).
std::string plain_text(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string("_^@&~{}").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string coordinate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Checks that sizes, W, b and activations describe one network; throws otherwise.
void check_network(const std::vector<arma::uword>& sizes, const std::vector<arma::mat>& W,
                   const std::vector<arma::vec>& b, const std::vector<std::string>& activations,
                   const DiagramOptions& options) {
  const std::string who = "draw_network: ";
  if (sizes.size() < 2)
    throw std::invalid_argument(who + "a network needs at least two layers (input, output)");
  for (std::size_t l = 0; l < sizes.size(); ++l)
    if (sizes[l] == 0)
      throw std::invalid_argument(who + "layer " + std::to_string(l) + " has no units");
  const std::size_t L = sizes.size() - 1;  // weight layers
  if (W.size() != L)
    throw std::invalid_argument(who + std::to_string(sizes.size()) + " layers need " +
                                std::to_string(L) + " weight matrices, not " +
                                std::to_string(W.size()));
  for (std::size_t l = 0; l < L; ++l) {
    if (W[l].n_rows != sizes[l + 1] || W[l].n_cols != sizes[l])
      throw std::invalid_argument(who + "W" + std::to_string(l + 1) + " is " +
                                  shape(W[l].n_rows, W[l].n_cols) + " but must be " +
                                  shape(sizes[l + 1], sizes[l]) + " (units out x units in)");
    if (!W[l].is_finite())
      throw std::invalid_argument(who + "W" + std::to_string(l + 1) +
                                  " holds a weight that is not finite");
  }
  if (!b.empty()) {
    if (b.size() != L)
      throw std::invalid_argument(who + "give one bias vector per weight matrix (" +
                                  std::to_string(L) + "), or none, not " +
                                  std::to_string(b.size()));
    for (std::size_t l = 0; l < L; ++l) {
      if (b[l].n_elem != sizes[l + 1])
        throw std::invalid_argument(who + "b" + std::to_string(l + 1) + " has " +
                                    std::to_string(b[l].n_elem) + " numbers but layer " +
                                    std::to_string(l + 1) + " has " +
                                    std::to_string(sizes[l + 1]) + " units");
      if (!b[l].is_finite())
        throw std::invalid_argument(who + "b" + std::to_string(l + 1) +
                                    " holds a bias that is not finite");
    }
  }
  if (!activations.empty() && activations.size() != L)
    throw std::invalid_argument(who + "give one activation per weight matrix (" +
                                std::to_string(L) + "), or none, not " +
                                std::to_string(activations.size()));
  if (options.max_units < 4) throw std::invalid_argument(who + "max_units must be at least 4");
  if (!(options.aspect > 0.2 && options.aspect < 10))
    throw std::invalid_argument(who + "aspect must be between 0.2 and 10");
}

// The units a layer draws, top to bottom: all of them, or the first and last few with a
// gap (drawn as "⋮") between.
struct Slot {
  bool gap = false;
  arma::uword unit = 0;  // counted from 0
  double y = 0;
};

std::vector<Slot> layer_slots(arma::uword n, arma::uword max_units) {
  std::vector<Slot> slots;
  if (n <= max_units) {
    for (arma::uword i = 0; i < n; ++i) slots.push_back({false, i, 0});
  } else {
    const arma::uword head = (max_units - 2) / 2, tail = max_units - 2 - head;
    for (arma::uword i = 0; i < head; ++i) slots.push_back({false, i, 0});
    slots.push_back({true, 0, 0});
    for (arma::uword i = n - tail; i < n; ++i) slots.push_back({false, i, 0});
  }
  const double k = static_cast<double>(slots.size());
  for (std::size_t s = 0; s < slots.size(); ++s)
    slots[s].y = (k - 1) / 2 - static_cast<double>(s);  // one unit of y between units
  return slots;
}

// A unit's name in gnuplot's enhanced text: x_1, h_{12}, y (a single output) or y_3.
std::string unit_name(std::size_t layer, std::size_t n_layers, arma::uword unit,
                      arma::uword n_units) {
  const std::string index = std::to_string(unit + 1);
  const std::string sub = index.size() == 1 ? "_" + index : "_{" + index + "}";
  if (layer == 0) return "x" + sub;
  if (layer + 1 < n_layers) return "h" + sub;
  return n_units == 1 ? "y" : "y" + sub;
}

// The CSV series of the edge from unit j of layer l to unit i of layer l + 1 (counted from
// 0 here, from 1 in the name, as in the math): "W1(2,1)" is W_1's entry in row 2, column 1.
std::string edge_name(std::size_t l, arma::uword i, arma::uword j) {
  std::string name = "W";
  name += std::to_string(l + 1);
  name += '(';
  name += std::to_string(i + 1);
  name += ',';
  name += std::to_string(j + 1);
  name += ')';
  return name;
}

std::string layer_name(std::size_t layer, std::size_t n_layers) {
  if (layer == 0) return "input layer";
  if (layer + 1 == n_layers) return "output layer";
  return n_layers == 3 ? "hidden layer" : "hidden layer " + std::to_string(layer);
}

}  // namespace

void draw_network(Plot& plot, const std::vector<arma::uword>& sizes,
                  const std::vector<arma::mat>& W, const std::vector<arma::vec>& b,
                  const std::vector<std::string>& activations, const DiagramOptions& options) {
  check_network(sizes, W, b, activations, options);
  const std::size_t n_layers = sizes.size(), L = n_layers - 1;

  // -------------------------------------------------------------------------------------
  // Layout, in plot coordinates: neighbouring units of a layer are 1 apart in y.
  // -------------------------------------------------------------------------------------
  std::vector<std::vector<Slot>> slots;
  std::size_t tallest = 1;
  for (arma::uword n : sizes) {
    slots.push_back(layer_slots(n, options.max_units));
    tallest = std::max(tallest, slots.back().size());
  }
  arma::uword n_edges = 0;
  for (std::size_t l = 0; l < L; ++l) {
    arma::uword from = 0, to = 0;
    for (const Slot& s : slots[l]) from += s.gap ? 0 : 1;
    for (const Slot& s : slots[l + 1]) to += s.gap ? 0 : 1;
    n_edges += from * to;
  }
  const bool label_weights = n_edges <= options.max_labelled_edges;
  const bool names_inside = tallest <= 10;  // else the circles are too small for text
  const double r = 0.3;                     // a unit's radius
  // Text is sized in points, the drawing in plot units: a figure about 560 pixels high
  // holds about 30 lines of text, so one line is about 1/30 of the drawing's height (1.2
  // times the height of its tallest column; short columns count as 4 units tall).
  const double span = static_cast<double>(std::max<std::size_t>(tallest, 4) - 1) + 2 * r;
  const double line = 1.2 * span / 30;
  const double top_units = static_cast<double>(tallest - 1) / 2 + r;
  const double bottom_units = -top_units;
  bool any_truncated = false;
  for (const auto& layer : slots)
    for (const Slot& s : layer) any_truncated = any_truncated || s.gap;
  const int caption_lines = any_truncated ? 3 : 2;
  const int matrix_lines = b.empty() ? 1 : 2;
  // The captions above the columns start higher when the biases are written above units.
  const double bias_room = label_weights && options.show_biases && !b.empty() ? 1.3 : 0.0;
  double y_hi = top_units + (bias_room + 0.8 + 1.3 * matrix_lines) * line;
  double y_lo = bottom_units - (1.3 + 1.1 * caption_lines) * line;
  // Columns: wide enough for a caption (about 9 lines' worth of width) and for the names
  // written beside the outer columns when they do not fit inside the circles.
  const double margin = std::max(r + (names_inside ? 0.0 : 3.5 * line), 4.5 * line);
  const double dx_min = 9 * line;
  const double target_width = options.aspect * (y_hi - y_lo);
  const double dx = std::max(dx_min, (target_width - 2 * margin) / static_cast<double>(L));
  double x_lo = -margin, x_hi = static_cast<double>(L) * dx + margin;
  // Fill the figure's shape exactly: widen the margins, or heighten the drawing.
  if (x_hi - x_lo < target_width) {
    const double extra = (target_width - (x_hi - x_lo)) / 2;
    x_lo -= extra;
    x_hi += extra;
  } else {
    const double extra = ((x_hi - x_lo) / options.aspect - (y_hi - y_lo)) / 2;
    y_lo -= extra;
    y_hi += extra;
  }
  plot.no_axes().square().xrange(x_lo, x_hi).yrange(y_lo, y_hi);
  auto column_x = [&](std::size_t l) { return static_cast<double>(l) * dx; };

  // -------------------------------------------------------------------------------------
  // Edges: one per weight between two drawn units, width by |w|, colour by sign.
  // -------------------------------------------------------------------------------------
  double largest = 0;
  for (const arma::mat& Wl : W) largest = std::max(largest, arma::abs(Wl).max());
  const double thinnest = label_weights ? 0.8 : 0.3, thickest = label_weights ? 6.0 : 2.2;
  plot.command("set style textbox opaque noborder margins 1,1");
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t k = 0; k < slots[l + 1].size(); ++k)
      for (const Slot& from : slots[l]) {
        const Slot& to = slots[l + 1][k];
        if (to.gap || from.gap) continue;
        const double w = W[l](to.unit, from.unit);
        const double x1 = column_x(l), x2 = column_x(l + 1);
        const double width =
            thinnest + (thickest - thinnest) * (largest > 0 ? std::abs(w) / largest : 0.0);
        plot.line(edge_name(l, to.unit, from.unit), {x1, x2}, {from.y, to.y},
                  {.colour = w >= 0 ? 1 : 0, .width = width, .in_key = false}, {w, w});
        if (label_weights) {
          // On the edge, on a white box. The edges into one unit are labelled at the same
          // fraction t of their length, a different one for each unit (from 0.3 of the way
          // for the top unit to 0.7 for the bottom one), so that the labels of the edges
          // that fan out from one unit do not sit on each other.
          const double n_to = static_cast<double>(slots[l + 1].size());
          const double t = n_to > 1 ? 0.3 + 0.4 * static_cast<double>(k) / (n_to - 1) : 0.5;
          plot.command("set label " + quoted(short_number(w)) + " at " +
                       coordinate(x1 + t * (x2 - x1)) + "," +
                       coordinate(from.y + t * (to.y - from.y)) +
                       " center font ',11' tc rgb '#222222' front boxed");
        }
      }

  // -------------------------------------------------------------------------------------
  // Units: a circle each (the CSV gets a point with its bias), and their names.
  // -------------------------------------------------------------------------------------
  const int name_font = tallest <= 4 ? 15 : 11;
  for (std::size_t l = 0; l < n_layers; ++l) {
    const bool input = l == 0, output = l + 1 == n_layers;
    const int fill = input ? 5 : output ? 2 : 6;  // sky blue, green, yellow (as chapter 01)
    const std::string text_colour = output ? "#FFFFFF" : "#000000";
    const double x = column_x(l);
    std::vector<double> ys, bias;
    for (const Slot& s : slots[l]) {
      if (s.gap) {
        plot.label(x, s.y, "⋮", "center", 20, "#333333");
        continue;
      }
      ys.push_back(s.y);
      bias.push_back(input || b.empty() ? arma::datum::nan : b[l - 1](s.unit));
      plot.circle(x, s.y, r, colour(fill));
      const std::string name = unit_name(l, n_layers, s.unit, sizes[l]);
      if (names_inside)
        plot.label(x, s.y, name, "center", name_font, text_colour);
      else if (input)
        plot.label(x - r - 0.4 * line, s.y, name, "right", 10);
      else if (output)
        plot.label(x + r + 0.4 * line, s.y, name, "left", 10);
      if (label_weights && options.show_biases && !input && !b.empty())
        plot.command("set label " + quoted("b = " + short_number(b[l - 1](s.unit))) + " at " +
                     coordinate(x) + "," + coordinate(s.y + r + 0.7 * line) +
                     " center font ',11' tc rgb '#222222' front boxed");
    }
    const arma::vec xs(ys.size(), arma::fill::value(x));
    plot.points(layer_name(l, n_layers) + " units", xs, arma::vec(ys),
                {.colour = fill, .point_size = 0.5, .in_key = false}, arma::vec(bias));

    // The caption under the column: which layer, how many units, which activation.
    std::vector<std::string> caption = {layer_name(l, n_layers)};
    std::string count = std::to_string(sizes[l]) + (sizes[l] == 1 ? " unit" : " units");
    if (input) count = std::to_string(sizes[l]) + (sizes[l] == 1 ? " input" : " inputs");
    if (!input && !activations.empty()) count += ", " + plain_text(activations[l - 1]);
    caption.push_back(count);
    if (sizes[l] > options.max_units) {
      const arma::uword head = (options.max_units - 2) / 2;
      caption.push_back("(first " + std::to_string(head) + ", last " +
                        std::to_string(options.max_units - 2 - head) + " drawn)");
    }
    for (std::size_t k = 0; k < caption.size(); ++k)
      plot.label(x, bottom_units - (1.3 + 1.1 * static_cast<double>(k)) * line, caption[k],
                 "center", k == 0 ? 13 : 12, k == 0 ? "#000000" : "#444444");
  }

  // Above each band of edges: the matrices it stands for, with their shapes.
  for (std::size_t l = 0; l < L; ++l) {
    const std::string n = std::to_string(l + 1);
    const double x = (column_x(l) + column_x(l + 1)) / 2;
    const double y = top_units + (bias_room + 0.7 + 1.3 * (matrix_lines - 1)) * line;
    plot.label(x, y,
               "W_" + n + "  (" + std::to_string(sizes[l + 1]) + " × " +
                   std::to_string(sizes[l]) + ")",
               "center", 13, "#333333");
    if (!b.empty())
      plot.label(x, y - 1.3 * line, "b_" + n + "  (" + std::to_string(sizes[l + 1]) + ")",
                 "center", 13, "#333333");
  }
}

}  // namespace nn
