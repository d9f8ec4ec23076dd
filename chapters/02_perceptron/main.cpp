// Chapter 02: the perceptron
// ===========================================================================================
// What you learn: how a neuron can learn its weights from examples. Rosenblatt's perceptron
// (1958) is chapter 01's neuron with the step activation, and a rule that nudges the weights
// after every mistake:
//     y = step(w . x + b)        w <- w + lr (t - y) x        b <- b + lr (t - y)
// It learns AND and OR, and it never learns XOR, because one neuron draws one straight line
// and no straight line puts XOR's two classes on different sides.
//
// Run:   ./tutorial 02        or   build/release/chapters/02_perceptron [--epochs 20]
//                                  [--learning-rate 0.1] [--seed 42] [--help]
// Draws (into build/release/output/02_perceptron/, or --out DIR):
//   and_epochs.png     the AND perceptron's line after each epoch, over the four points
//   errors.png         errors per epoch for AND, OR and XOR
//   gates.png          the final line for each gate; for XOR at least one point is wrong
#include <armadillo>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/cli.hpp"
#include "common/divergence.hpp"
#include "common/format.hpp"
#include "common/plot.hpp"
#include "common/reproducible.hpp"
#include "common/toy_data.hpp"

namespace {

// The chapter's flags (--seed and --out are every chapter's, in nn::CommandLine).
struct Settings {
  int epochs = 20;
  double learning_rate = 0.1;
};

// Numbers in gnuplot commands and the learning rate: 3 significant digits are plenty.
constexpr const char* kThreeDigits = "%.3g";

// "1 epoch", "20 epochs".
std::string epochs_text(int epochs) {
  return std::to_string(epochs) + (epochs == 1 ? " epoch" : " epochs");
}

// ---------------------------------------------------------------------------------------
// 1. The perceptron: chapter 01's neuron with the step activation
// ---------------------------------------------------------------------------------------

// [listing perceptron]
struct Perceptron {
  arma::vec w;  // one weight per input   (2)
  double b;     // the bias
};

// y = step(w . x + b): 1 on one side of the line w . x + b = 0 (and on it), 0 on the other
double predict(const Perceptron& p, const arma::vec& x) {
  return nn::step(arma::dot(p.w, x) + p.b);
}
// [end perceptron]

// How many of the samples (one per column of X) the perceptron gets wrong.
int count_errors(const Perceptron& p, const nn::Dataset& data) {
  int errors = 0;
  for (arma::uword i = 0; i < data.size(); ++i)
    if (predict(p, data.X.col(i)) != static_cast<double>(data.t(i))) ++errors;
  return errors;
}

// "w = ( 0.255,  0.139)  b =  0.252"
std::string describe(const Perceptron& p) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "w = (%6.3f, %6.3f)  b = %6.3f", p.w(0), p.w(1), p.b);
  return buf;
}

// ---------------------------------------------------------------------------------------
// 2. Rosenblatt's learning rule
// ---------------------------------------------------------------------------------------

// [listing rule]
// One epoch: show the perceptron every sample once, in order, and correct it after each
// mistake. t - y is 0 when it is right (nothing changes), +1 when it said 0 but should have
// said 1 (w moves towards x), -1 when it said 1 but should have said 0 (w moves away).
// Returns the number of corrections made.
int train_one_epoch(Perceptron& p, const nn::Dataset& data, double learning_rate) {
  int corrections = 0;
  for (arma::uword i = 0; i < data.size(); ++i) {
    const arma::vec x = data.X.col(i);                // (2)
    const double t = static_cast<double>(data.t(i));  // the target, 0 or 1
    const double y = predict(p, x);
    p.w += learning_rate * (t - y) * x;
    p.b += learning_rate * (t - y);
    if (t != y) ++corrections;
  }
  return corrections;
}
// [end rule]

// Section 2 ends with the start every gate trains from; prints it and the rule.
Perceptron section2_start_and_rule(const Settings& s, unsigned seed) {
  // [listing start]
  // The same random start for every gate: w and b uniform in [-0.5, 0.5].
  const arma::vec start_wb = arma::randu<arma::vec>(3) - 0.5;
  const Perceptron start{start_wb.head(2), start_wb(2)};
  // [end start]
  std::cout << "Start (random, seed " << seed << "): " << describe(start) << "\n"
            << "Rule: after each sample, w <- w + lr (t - y) x, b <- b + lr (t - y), lr = "
            << nn::num(s.learning_rate, kThreeDigits) << "\n"
            << "Training " << epochs_text(s.epochs)
            << " (4 samples each) on AND, OR and XOR.\n\n";
  return start;
}

// ---------------------------------------------------------------------------------------
// 3 and 4. Training on AND, OR and XOR
// ---------------------------------------------------------------------------------------

// What happened during training: the perceptron and its errors after each epoch, and the
// corrections made during it (entry 0 is the starting point, before any training).
struct History {
  nn::Gate gate;
  std::vector<Perceptron> after_epoch;
  std::vector<int> errors;
  std::vector<int> corrections;

  // The first epoch after which every sample is right, or -1 if there was none.
  int solved_at() const {
    for (std::size_t e = 0; e < errors.size(); ++e)
      if (errors[e] == 0) return static_cast<int>(e);
    return -1;
  }
};

// [listing train]
History train(nn::Gate gate, const Perceptron& start, int epochs, double learning_rate) {
  const nn::Dataset data = nn::logic_gate(gate);
  History h{gate, {start}, {count_errors(start, data)}, {0}};
  Perceptron p = start;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    h.corrections.push_back(train_one_epoch(p, data, learning_rate));
    // A huge learning rate can overflow w and b to inf, then NaN: stop and say so.
    nn::stop_if_parameters_diverged(p.w.is_finite() && std::isfinite(p.b), epoch,
                                    learning_rate);
    h.after_epoch.push_back(p);
    h.errors.push_back(count_errors(p, data));
  }
  return h;
}
// [end train]

std::string errors_text(int errors) {
  return std::to_string(errors) + (errors == 1 ? " error" : " errors");
}

// The first epochs, one line each, then the last one.
void print_history(const History& h, int shown_epochs) {
  std::cout << nn::to_string(h.gate)
            << "\n  epoch      w1      w2       b   errors after it   corrections during it\n";
  const int last = static_cast<int>(h.errors.size()) - 1;
  for (int e = 0; e <= last; ++e) {
    if (e > shown_epochs && e < last) {
      if (e == shown_epochs + 1) std::cout << "    ...\n";
      continue;
    }
    const Perceptron& p = h.after_epoch[e];
    char row[128];
    std::snprintf(row, sizeof row, "  %5d  %6.3f  %6.3f  %6.3f   %15d   %21s\n", e, p.w(0),
                  p.w(1), p.b, h.errors[e],
                  e == 0 ? "(start)" : std::to_string(h.corrections[e]).c_str());
    std::cout << row;
  }
}

// Trains on one gate and prints its history: every epoch until one past the first without
// an error, or the first 8 and the last when there is none.
History train_and_print(nn::Gate gate, const Perceptron& start, const Settings& s) {
  History h = train(gate, start, s.epochs, s.learning_rate);
  const int solved = h.solved_at();
  print_history(h, solved >= 0 ? solved + 1 : 8);
  std::cout << "\n";
  return h;
}

// Sections 3 and 4 of the text: AND and OR are learnt, XOR never is.
std::vector<History> section3_and_or(const Perceptron& start, const Settings& s) {
  return {train_and_print(nn::Gate::AND, start, s), train_and_print(nn::Gate::OR, start, s)};
}

History section4_xor(const Perceptron& start, const Settings& s) {
  return train_and_print(nn::Gate::XOR, start, s);
}

// ---------------------------------------------------------------------------------------
// Figures: drawing a line, where w . x + b = 0 crosses the plotted square
// ---------------------------------------------------------------------------------------

constexpr double kLo = -0.5, kHi = 1.5;  // the plotted square, around the unit square

// The part of the square where w . x + b >= 0 (where the perceptron says 1), as the corners
// of a polygon: walk round the square and keep the corners on that side, plus the points
// where an edge crosses the line. The crossings alone are the ends of the line.
struct Cut {
  std::vector<arma::vec> polygon;  // the side that says 1
  std::vector<arma::vec> line;     // 0 or 2 points
};

Cut cut_square(const Perceptron& p) {
  const std::vector<arma::vec> corners = {{kLo, kLo}, {kHi, kLo}, {kHi, kHi}, {kLo, kHi}};
  Cut cut;
  for (std::size_t k = 0; k < 4; ++k) {
    const arma::vec& a = corners[k];
    const arma::vec& c = corners[(k + 1) % 4];
    const double za = arma::dot(p.w, a) + p.b, zc = arma::dot(p.w, c) + p.b;
    if (za >= 0) cut.polygon.push_back(a);
    if ((za >= 0) != (zc >= 0)) {
      const arma::vec crossing = a + (za / (za - zc)) * (c - a);
      cut.polygon.push_back(crossing);
      cut.line.push_back(crossing);
    }
  }
  return cut;
}

// "t = 0" above a point, on a white box so that a line crossing it leaves it readable.
void label_target(nn::Plot& plot, double x1, double x2, arma::uword t) {
  plot.command("set style textbox opaque fc rgb 'white' margins 2,1 noborder");
  plot.command("set label 't = " + std::to_string(t) + "' at " + nn::num(x1, kThreeDigits) +
               "," + nn::num(x2 + 0.27, kThreeDigits) + " center font ',11' boxed front");
}

// One panel: the side that says 1 shaded in class 1's tint, the line, the four points
// (circles: t = 0, squares: t = 1), and a ring round each point the perceptron gets wrong.
void draw_gate_panel(nn::Plot& plot, const Perceptron& p, nn::Gate gate,
                     const std::string& title, bool label_targets) {
  const nn::Dataset data = nn::logic_gate(gate);
  plot.title(title).xlabel("x_1").ylabel("x_2").square();
  plot.xrange(kLo, kHi).yrange(kLo, kHi).key("off");
  plot.command("set xtics 0,1,1").command("set ytics 0,1,1");
  const Cut cut = cut_square(p);
  // The background says 0; the polygon is the side where the perceptron says 1.
  plot.command("set object rectangle from graph 0,0 to graph 1,1 behind fc rgb '" +
               nn::tint(0) + "' fs solid 1.0 noborder");
  if (cut.polygon.size() >= 3) {
    std::string poly = "set object polygon from ";
    for (std::size_t k = 0; k <= cut.polygon.size(); ++k) {
      const arma::vec& v = cut.polygon[k % cut.polygon.size()];
      poly +=
          (k ? " to " : "") + nn::num(v(0), kThreeDigits) + "," + nn::num(v(1), kThreeDigits);
    }
    plot.command(poly + " behind fc rgb '" + nn::tint(1) + "' fs solid 1.0 noborder");
  }
  if (cut.line.size() == 2)
    plot.line("w·x + b = 0", {cut.line[0](0), cut.line[1](0)}, {cut.line[0](1), cut.line[1](1)},
              {.colour = 7, .width = 3});
  plot.classes(data.X, data.t, {"t = 0", "t = 1"}, 2.2);
  for (arma::uword i = 0; i < data.size(); ++i) {
    const double x1 = data.X(0, i), x2 = data.X(1, i);
    if (predict(p, data.X.col(i)) != static_cast<double>(data.t(i)))
      plot.points("wrong", {x1}, {x2},
                  {.colour = 4, .width = 2, .point_size = 4.5, .point_type = 6}, {1.0});
    if (label_targets) label_target(plot, x1, x2, data.t(i));
  }
}

// ---------------------------------------------------------------------------------------
// Figure: the AND perceptron's line after each epoch
// ---------------------------------------------------------------------------------------

// The epochs worth a panel: the start, every epoch after which the number of wrong samples
// changed, and one epoch past the first without an error (to show that nothing changes
// then). With a small learning rate many epochs in a row look the same; they are skipped,
// and the figure's title says so. At most 7 panels: the first 3 and the last 4.
std::vector<int> epochs_worth_drawing(const History& h) {
  const int solved = h.solved_at();
  const int total = static_cast<int>(h.errors.size()) - 1;
  const int end = solved >= 0 ? solved : total;
  std::vector<int> picks = {0};
  for (int e = 1; e <= end; ++e)
    if (h.errors[e] != h.errors[e - 1]) picks.push_back(e);
  if (solved >= 0 && solved < total) picks.push_back(solved + 1);
  if (picks.size() == 1 && total > 0) picks.push_back(total);  // nothing changed at all
  if (picks.size() > 7) picks.erase(picks.begin() + 3, picks.end() - 4);
  return picks;
}

void draw_epochs(const History& h, const std::string& out) {
  // The truth table, then the epochs worth drawing.
  const std::vector<int> picks = epochs_worth_drawing(h);
  const bool every_epoch = picks.back() == static_cast<int>(picks.size()) - 1;
  const int panels = static_cast<int>(picks.size()) + 1;
  const int rows = panels <= 4 || panels % 2 == 1 ? 1 : 2;
  const int cols = panels / rows;

  nn::Figure fig("and_epochs", 300 * cols, 330 * rows);
  fig.layout(rows, cols,
             every_epoch ? "The perceptron learning AND, epoch by epoch (shaded: where it "
                           "says 1; ringed: wrong)"
                         : "Learning AND at the epochs where the errors changed (shaded: "
                           "says 1, ringed: wrong)");
  nn::Plot& table = fig.panel(0);
  const nn::Dataset data = nn::logic_gate(h.gate);
  table.title("the data: x_1 AND x_2").xlabel("x_1").ylabel("x_2").square().key("off");
  table.xrange(kLo, kHi).yrange(kLo, kHi);
  table.command("set xtics 0,1,1").command("set ytics 0,1,1");
  table.classes(data.X, data.t, {"t = 0", "t = 1"}, 2.2);
  for (arma::uword i = 0; i < data.size(); ++i)
    label_target(table, data.X(0, i), data.X(1, i), data.t(i));
  for (std::size_t k = 0; k < picks.size(); ++k) {
    const int e = picks[k];
    draw_gate_panel(fig.panel(k + 1), h.after_epoch[e], h.gate,
                    "after epoch " + std::to_string(e) + ": " + errors_text(h.errors[e]),
                    false);
  }
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// Figure: errors per epoch for AND, OR and XOR
// ---------------------------------------------------------------------------------------

void draw_errors(const std::vector<History>& all, const std::string& out) {
  nn::Figure fig("errors", 900, 460);
  const int epochs = static_cast<int>(all[0].errors.size()) - 1;
  fig.title("Errors after each epoch (of 4 samples): XOR never reaches 0")
      .xlabel("epoch")
      .ylabel("misclassified samples")
      .xrange(0, epochs)
      .yrange(-0.25, 4.25)
      .command("set ytics 0,1,4")
      .key("top right");
  // AND drawn wide and OR dashed on top of it: once both reach 0 both stay visible.
  const std::vector<nn::Style> styles = {{.colour = 0, .width = 5},
                                         {.colour = 1, .width = 2.5, .dashed = true},
                                         {.colour = 2, .width = 2.5}};
  for (std::size_t g = 0; g < all.size(); ++g) {
    const arma::vec epoch = arma::regspace(0, epochs);
    const arma::vec errors = arma::conv_to<arma::vec>::from(all[g].errors);
    fig.line(nn::to_string(all[g].gate), epoch, errors, styles[g]);
  }
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// Figure: the final line for each gate
// ---------------------------------------------------------------------------------------

void draw_gates(const std::vector<History>& all, const std::string& out) {
  nn::Figure fig("gates", 1000, 400);
  fig.layout(1, 3,
             "After training: one line per gate (shaded: where it says 1; ringed: wrong)");
  for (std::size_t g = 0; g < all.size(); ++g) {
    const History& h = all[g];
    const int last = static_cast<int>(h.errors.size()) - 1;
    draw_gate_panel(fig.panel(g), h.after_epoch[last], h.gate,
                    nn::to_string(h.gate) + " after epoch " + std::to_string(last) + ": " +
                        errors_text(h.errors[last]),
                    true);
  }
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// The program: the flags, the sections, the figures, the results
// ---------------------------------------------------------------------------------------

void add_flags(CLI::App& app, Settings& s) {
  app.add_option("--epochs", s.epochs, "Passes over the four samples")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--learning-rate", s.learning_rate, "Size of each correction (lr)")
      ->check(nn::FinitePositive)
      ->capture_default_str();
}

// The short results block: the first epoch from which each gate had no error, if any.
void print_results(const std::vector<History>& all, int epochs) {
  std::cout << "Results\n";
  for (const History& h : all) {
    const int solved = h.solved_at();
    std::cout << "  " << (nn::to_string(h.gate) + ":   ").substr(0, 5);
    if (solved >= 0) {
      std::cout << "0 errors from epoch " << solved << " on\n";
    } else {
      const int fewest = *std::min_element(h.errors.begin(), h.errors.end());
      std::cout << "never 0 errors in " << epochs_text(epochs) << " (never fewer than "
                << fewest << ")\n";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli("02_perceptron",
                      "Chapter 02: the perceptron learns AND and OR, and never XOR");
  Settings s;
  add_flags(cli.app(), s);
  if (auto code = cli.parse(argc, argv)) return *code;
  nn::make_reproducible(cli.seed());

  try {
    std::cout << "Chapter 02: the perceptron\n"
              << "==========================\n\n";
    // Section 1 is the perceptron itself; sections 2 to 4 are what the program prints.
    const Perceptron start = section2_start_and_rule(s, cli.seed());
    std::vector<History> all = section3_and_or(start, s);  // AND, OR
    all.push_back(section4_xor(start, s));                 // then XOR

    const std::string& out = cli.out_dir();
    draw_epochs(all[0], out);  // AND
    draw_errors(all, out);
    draw_gates(all, out);
    print_results(all, s.epochs);
    std::cout << "Figures: and_epochs, errors, gates (.png, .csv) in " << out << "\n";
  } catch (const std::exception& e) {
    std::cerr << "02_perceptron: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
