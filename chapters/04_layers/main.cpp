// Chapter 04: from one neuron to a layer
// ===========================================================================================
// What you learn: a layer is several neurons that read the same inputs. Stack their weight
// vectors as the rows of a matrix W, put one sample in each column of X, and the whole
// layer, for a whole batch, is one matrix product:
//     Z = W X + b        A = g(Z)
// Two such layers, with weights chosen by hand, compute XOR, which no single neuron can.
//
// Run:   ./tutorial 04     or   build/release/chapters/04_layers [--scale 0.1] [--help]
// Draws (into build/release/output/04_layers/, or --out DIR):
//   architecture.png      the 2-2-1 network as a diagram, drawn from its sizes and weights
//   hidden_space.png      the four XOR points in input space and in hidden space
//   decision_region.png   where the hand-built network answers 1, over the plane
#include <armadillo>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/cli.hpp"
#include "common/diagram.hpp"
#include "common/format.hpp"
#include "common/grid.hpp"
#include "common/plot.hpp"
#include "common/reproducible.hpp"
#include "common/toy_data.hpp"

namespace {

// The chapter's flags (--seed and --out are every chapter's, in nn::CommandLine).
struct Settings {
  double scale = 1.0;                  // multiplies every weight and bias of the XOR network
  std::string activation = "sigmoid";  // or step
};

// Prints a small matrix, one row per line, with a caption giving its shape.
void print_matrix(const std::string& name, const arma::mat& M, const std::string& note) {
  std::cout << "  " << name << " is (" << M.n_rows << " x " << M.n_cols << ")" << note << "\n";
  const bool whole = arma::all(arma::vectorise(M) == arma::round(arma::vectorise(M)));
  for (arma::uword i = 0; i < M.n_rows; ++i) {
    std::cout << "     ";
    for (arma::uword j = 0; j < M.n_cols; ++j)
      std::cout << nn::num(M(i, j), whole ? "%6.0f" : "%11.6f");
    std::cout << "\n";
  }
}

// ---------------------------------------------------------------------------------------
// 1. A layer, one unit at a time
// ---------------------------------------------------------------------------------------

// [listing layer_loop]
// Z(i, s) = W(i, 0) X(0, s) + W(i, 1) X(1, s) + ... + b(i): chapter 01's weighted sum,
// once for every unit i (a row of W) and every sample s (a column of X).
arma::mat weighted_sums_loop(const arma::mat& W, const arma::vec& b, const arma::mat& X) {
  arma::mat Z(W.n_rows, X.n_cols);  // (units x batch)
  for (arma::uword s = 0; s < X.n_cols; ++s)
    for (arma::uword i = 0; i < W.n_rows; ++i) {
      double z = b(i);
      for (arma::uword j = 0; j < W.n_cols; ++j) z += W(i, j) * X(j, s);
      Z(i, s) = z;
    }
  return Z;
}
// [end layer_loop]

// ---------------------------------------------------------------------------------------
// 2. A layer as one matrix product
// ---------------------------------------------------------------------------------------

// [listing layer_matrix]
// W is (units x inputs), X is (inputs x batch), b is (units).
// Z = W X + b is (units x batch): b is added to every column, one column per sample.
arma::mat weighted_sums(const arma::mat& W, const arma::vec& b, const arma::mat& X) {
  arma::mat Z = W * X;
  Z.each_col() += b;
  return Z;
}

struct Layer {
  arma::mat W;  // (units x inputs): row i is unit i's weight vector w
  arma::vec b;  // (units): unit i's bias
  nn::Activation g;
};

// A = g(Z) is (units x batch)
arma::mat forward(const Layer& layer, const arma::mat& X) {
  return nn::activate(layer.g, weighted_sums(layer.W, layer.b, X));
}
// [end layer_matrix]

// The program's section 1 (the text's sections 1 and 2): the first layer of the XOR
// network on the four XOR inputs, computed both ways; prints every matrix.
void section1_one_layer(const Layer& hidden, const arma::mat& X) {  // X is (2 x 4)
  std::cout << "1. One layer, computed unit by unit and as one matrix product\n";
  print_matrix("X", X, ", the four XOR inputs, one sample per column");
  print_matrix("W1", hidden.W, ", one row per hidden unit");
  print_matrix("b1", hidden.b, "");
  const arma::mat Z1_loop = weighted_sums_loop(hidden.W, hidden.b, X);  // (2 x 4)
  const arma::mat Z1 = weighted_sums(hidden.W, hidden.b, X);            // (2 x 4)
  print_matrix("Z1 = W1 X + b1", Z1, ", one column per sample");
  std::cout << "  The loop gives the same Z1: largest difference "
            << nn::num(arma::abs(Z1_loop - Z1).max()) << "\n\n";
}

// ---------------------------------------------------------------------------------------
// 2, continued. Why the matrix form: the same sums, on a larger layer and batch
// ---------------------------------------------------------------------------------------

constexpr arma::uword kUnits = 256, kInputs = 512, kBatch = 1000;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Timing {
  double loop_seconds, matrix_seconds, largest_difference;
};

Timing time_loop_vs_matrix() {
  const arma::mat W(kUnits, kInputs, arma::fill::randn);  // (256 x 512)
  const arma::vec b(kUnits, arma::fill::randn);           // (256)
  const arma::mat X(kInputs, kBatch, arma::fill::randu);  // (512 x 1000)
  auto start = std::chrono::steady_clock::now();
  const arma::mat Z_loop = weighted_sums_loop(W, b, X);
  const double loop_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
  const arma::mat Z_matrix = weighted_sums(W, b, X);
  const double matrix_seconds = seconds_since(start);
  return {loop_seconds, matrix_seconds, arma::abs(Z_loop - Z_matrix).max()};
}

// The program's section 3 (the end of the text's section 2): the timings are printed, never
// tested; the largest difference is.
Timing section3_loop_against_product() {
  std::cout << "3. The same sums on a larger layer: a loop against Armadillo's product\n"
            << "  W (" << kUnits << " x " << kInputs << "), X (" << kInputs << " x " << kBatch
            << "): " << nn::num(double(kUnits * kInputs * kBatch) / 1e6, "%.0f")
            << " million multiply-adds\n";
  const Timing t = time_loop_vs_matrix();
  std::cout << "  loop   " << nn::num(t.loop_seconds, "%.3f") << " s\n"
            << "  W * X  " << nn::num(t.matrix_seconds, "%.3f") << " s   ("
            << nn::num(t.loop_seconds / t.matrix_seconds, "%.0f")
            << " times faster here; timings vary by machine)\n"
            << "  largest |Z_loop - Z_matrix| = " << nn::num(t.largest_difference, "%.2g")
            << "   (the same sums, added in another order)\n\n";
  return t;
}

// ---------------------------------------------------------------------------------------
// 3. The architecture of a neural network: two layers, and their diagram
// ---------------------------------------------------------------------------------------

struct TwoLayerNet {
  Layer hidden;  // W1 (2 x 2), b1 (2)
  Layer output;  // W2 (1 x 2), b2 (1)
};

void draw_architecture(const TwoLayerNet& net, const std::string& out) {
  nn::Figure fig("architecture", 900, 560);
  fig.title("The hand-built XOR network: 2 inputs, 2 hidden units, 1 output");
  // [listing diagram]
  nn::draw_network(fig, {2, 2, 1}, {net.hidden.W, net.output.W}, {net.hidden.b, net.output.b},
                   {nn::to_string(net.hidden.g), nn::to_string(net.output.g)});
  // [end diagram]
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// 4. Weights that compute XOR: a hand-built 2-2-1 network
// ---------------------------------------------------------------------------------------

// [listing xor_net]
// Hidden unit 1 is OR:   20 x1 + 20 x2 - 10 > 0  when x1 + x2 > 0.5 (one input or both)
// Hidden unit 2 is AND:  20 x1 + 20 x2 - 30 > 0  when x1 + x2 > 1.5 (both inputs)
// The output unit is h1 AND NOT h2:  20 h1 - 20 h2 - 10 > 0  only when h1 = 1, h2 = 0.
// scale multiplies every weight and bias: the larger, the closer sigmoid is to a step.
TwoLayerNet hand_built_xor(double scale, nn::Activation g) {
  const arma::mat W1 = {{20.0, 20.0}, {20.0, 20.0}};
  const arma::vec b1 = {-10.0, -30.0};
  const arma::mat W2 = {{20.0, -20.0}};
  const arma::vec b2 = {-10.0};
  return {Layer{scale * W1, scale * b1, g}, Layer{scale * W2, scale * b2, g}};
}

// A1 = g(W1 X + b1) is (2 x batch); Y = A2 = g(W2 A1 + b2) is (1 x batch).
struct Pass {
  arma::mat A1, Y;
};

Pass forward(const TwoLayerNet& net, const arma::mat& X) {
  const arma::mat A1 = forward(net.hidden, X);
  return {A1, forward(net.output, A1)};
}
// [end xor_net]

struct XorAnswers {
  Pass pass;  // A1 (2 x 4) and Y (1 x 4) for the four XOR inputs
  int right;  // how many of the four outputs are on the right side of 0.5
};

// The program's section 2 (the text's section 4): the hand-built network on the four XOR
// inputs; prints A1, Y and each sample's answer.
XorAnswers section2_xor_network(const TwoLayerNet& net, const nn::Dataset& xor_data,
                                const Settings& s) {
  const arma::mat& X = xor_data.X;  // (2 x 4)
  std::cout << "2. The hand-built XOR network (2-2-1, " << s.activation
            << ", weights and biases times " << nn::num(s.scale) << ")\n"
            << "  hidden unit 1 = OR, hidden unit 2 = AND, output = h1 AND NOT h2\n";
  XorAnswers a{forward(net, X), 0};
  print_matrix("A1 = g(Z1)", a.pass.A1, "");
  print_matrix("Y = A2 = g(W2 A1 + b2)", a.pass.Y, "");
  for (arma::uword i = 0; i < 4; ++i) {
    const int answer = a.pass.Y(0, i) >= 0.5 ? 1 : 0;
    const bool ok = answer == static_cast<int>(xor_data.t(i));
    a.right += ok;
    std::cout << "  x = (" << nn::num(X(0, i)) << ", " << nn::num(X(1, i)) << ")  ->  h = ("
              << nn::num(a.pass.A1(0, i), "%.6f") << ", " << nn::num(a.pass.A1(1, i), "%.6f")
              << ")  ->  y = " << nn::num(a.pass.Y(0, i), "%.6f") << "   XOR " << xor_data.t(i)
              << ", answer " << answer << (ok ? "  right" : "  WRONG") << "\n";
  }
  std::cout << "\n";
  return a;
}

// ---------------------------------------------------------------------------------------
// 5. What the hidden layer does: it moves the four XOR points
// ---------------------------------------------------------------------------------------

// The line where unit i of a 2-input layer has z = 0 (its output is g(0), the middle of
// the step), as two points at x = lo and x = hi: w1 x + w2 y + b = 0.
void unit_line(nn::Plot& plot, const Layer& layer, arma::uword i, double lo, double hi,
               const std::string& name, nn::Style style) {
  const double w1 = layer.W(i, 0), w2 = layer.W(i, 1), b = layer.b(i);
  const arma::vec x = {lo, hi};
  const arma::vec y = -(w1 * x + b) / w2;
  plot.line(name, x, y, style);
}

// The four XOR samples at the positions P (2 x 4), one series per class; the CSV's value
// column holds the network's output y for each sample.
void xor_points(nn::Plot& plot, const arma::mat& P, const nn::Dataset& xor_data,
                const arma::rowvec& y) {
  for (arma::uword k = 0; k < 2; ++k) {
    const arma::uvec idx = arma::find(xor_data.t == k);
    const arma::mat Pk = P.cols(idx);
    const arma::rowvec yk = y.cols(idx);
    plot.points("XOR = " + std::to_string(k), Pk.row(0).t(), Pk.row(1).t(),
                {.colour = static_cast<int>(k), .point_size = 2.6, .point_type = k ? 5 : 7},
                yk.t());
  }
}

// Writes what the model answers at (x, y) there: "y > 0.5: answer 1" or "y < 0.5: answer 0".
template <typename Model>
void answer_label(nn::Plot& plot, const Model& model, double x, double y) {
  const arma::mat P = arma::vec{x, y};  // (2 x 1): one point
  const bool one = model(P)(0, 0) >= 0.5;
  plot.label(x, y, one ? "y > 0.5: answer 1" : "y < 0.5: answer 0", "center", 12);
}

void draw_hidden_space(const TwoLayerNet& net, const nn::Dataset& xor_data, const Pass& pass,
                       const std::string& out) {
  nn::Figure fig("hidden_space", 1300, 620);
  fig.layout(1, 2, "What the hidden layer does: it moves the four XOR points");
  const arma::mat& X = xor_data.X;  // (2 x 4)

  nn::Plot& in = fig.panel(0);
  in.title("Input space (x_1, x_2): no single line separates the two classes")
      .xlabel("x_1")
      .ylabel("x_2")
      .square()
      .xrange(-0.4, 1.6)
      .yrange(-0.4, 1.4)
      .key("below")
      .command("set bmargin 8");  // the same in both panels, so the two plots match
  unit_line(in, net.hidden, 0, -0.4, 1.6, "OR unit's line z_{1,1} = 0",
            {.colour = 2, .width = 2.5, .dashed = true});
  unit_line(in, net.hidden, 1, -0.4, 1.6, "AND unit's line z_{1,2} = 0",
            {.colour = 3, .width = 2.5, .dashed = true});
  xor_points(in, X, xor_data, pass.Y);
  for (arma::uword s = 0; s < 4; ++s)
    in.label(X(0, s) + 0.07, X(1, s) - 0.09,
             "(" + nn::num(X(0, s)) + ", " + nn::num(X(1, s)) + ")", "left", 12);

  nn::Plot& hid = fig.panel(1);
  // The title says what this network's output line does, for whatever flags made it.
  int right = 0;
  for (arma::uword s = 0; s < 4; ++s) right += (pass.Y(0, s) >= 0.5 ? 1u : 0u) == xor_data.t(s);
  hid.title(right == 4 ? std::string("Hidden space (h_1, h_2): now one line does")
                       : "Hidden space (h_1, h_2): the output line gets " +
                             std::to_string(right) + " of 4 right")
      .xlabel("h_1 = OR(x_1, x_2)")
      .ylabel("h_2 = AND(x_1, x_2)")
      .square()
      .xrange(-0.4, 1.6)
      .yrange(-0.4, 1.4)
      .key("below")
      .command("set bmargin 8");  // the same in both panels, so the two plots match
  // The output unit's decision over hidden space: y >= 0.5 where W2 h + b2 >= 0.
  const nn::Grid grid(-0.4, 1.6, -0.4, 1.4, 81);
  const arma::rowvec y_grid = forward(net.output, grid.points());
  const arma::urowvec answer = y_grid >= 0.5;
  hid.regions("answer", grid.xs, grid.ys, grid.reshape(answer), 2);
  unit_line(hid, net.output, 0, -0.4, 1.6, "the output unit's line z_2 = 0",
            {.colour = 7, .width = 2.5});
  const auto output_unit = [&](const arma::mat& P) { return forward(net.output, P); };
  answer_label(hid, output_unit, 0.2, 1.2);
  answer_label(hid, output_unit, 1.2, 0.2);
  xor_points(hid, pass.A1, xor_data, pass.Y);
  const arma::mat& A1 = pass.A1;  // column s: sample s in hidden space, (h_1, h_2)
  hid.label(A1(0, 0), A1(1, 0) - 0.12, "x = (0, 0)", "center", 12);
  hid.label(A1(0, 1), A1(1, 1) - 0.12, "x = (0, 1) and (1, 0)", "center", 12);
  hid.label(A1(0, 3), A1(1, 3) - 0.12, "x = (1, 1)", "center", 12);
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// 6. The decision region
// ---------------------------------------------------------------------------------------

void draw_decision_region(const TwoLayerNet& net, const nn::Dataset& xor_data,
                          const std::string& out) {
  const nn::Grid grid(-0.5, 1.5, -0.5, 1.5, 101);
  const arma::rowvec y = forward(net, grid.points()).Y;  // (1 x 101*101)
  const arma::urowvec answer = y >= 0.5;
  nn::Figure fig("decision_region", 760, 720);
  fig.title("The hand-built network's answer over the plane")
      .xlabel("x_1")
      .ylabel("x_2")
      .square()
      .xrange(-0.5, 1.5)
      .yrange(-0.5, 1.5)
      .key("outside bottom center horizontal");
  fig.regions("answer", grid.xs, grid.ys, grid.reshape(answer), 2);
  // The boundary drawn wide, so that the hidden units' lines stay visible on top of it.
  fig.contour("boundary y = 0.5", grid.xs, grid.ys, grid.reshape(y), {0.5},
              {.colour = 7, .width = 6});
  unit_line(fig, net.hidden, 0, -0.5, 1.5, "OR unit's line z_{1,1} = 0",
            {.colour = 2, .width = 2.5, .dashed = true});
  unit_line(fig, net.hidden, 1, -0.5, 1.5, "AND unit's line z_{1,2} = 0",
            {.colour = 3, .width = 2.5, .dashed = true});
  fig.classes(xor_data.X, xor_data.t, {"XOR = 0", "XOR = 1"}, 2.4);
  const auto network_answer = [&](const arma::mat& P) { return forward(net, P).Y; };
  answer_label(fig, network_answer, 0.5, 0.5);
  answer_label(fig, network_answer, -0.15, -0.35);
  answer_label(fig, network_answer, 1.15, 1.35);
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// The program: the flags, the sections, the figures, the results
// ---------------------------------------------------------------------------------------

void add_flags(CLI::App& app, Settings& s) {
  app.add_option("--scale", s.scale,
                 "Multiply every weight and bias of the XOR network by this")
      ->check(nn::FinitePositive)
      ->capture_default_str();
  app.add_option("--activation", s.activation, "The units' activation: sigmoid or step")
      ->check(CLI::IsMember({"sigmoid", "step"}))
      ->capture_default_str();
}

// The short results block.
void print_results(int right, const Timing& t) {
  std::cout << "Results\n"
            << "  XOR: " << right << " of 4 right"
            << (right == 4 ? " (every output on the right side of 0.5)"
                           : " (try a larger --scale: the units are not sharp enough)")
            << "\n"
            << "  loop and matrix product agree to " << nn::num(t.largest_difference, "%.2g")
            << " on a (" << kUnits << " x " << kBatch << ") Z\n";
}

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli("04_layers",
                      "Chapter 04: from one neuron to a layer; a hand-built network for XOR");
  Settings s;
  add_flags(cli.app(), s);
  if (auto code = cli.parse(argc, argv)) return *code;
  nn::make_reproducible(cli.seed());

  try {
    std::cout << "Chapter 04: from one neuron to a layer\n"
              << "======================================\n\n";
    const TwoLayerNet net = hand_built_xor(s.scale, nn::activation_from_string(s.activation));
    const nn::Dataset xor_data = nn::logic_gate(nn::Gate::XOR);

    // The program's three sections; the text's sections 3, 5 and 6 are the figures.
    section1_one_layer(net.hidden, xor_data.X);
    const XorAnswers xor_answers = section2_xor_network(net, xor_data, s);
    const Timing timing = section3_loop_against_product();

    const std::string& out = cli.out_dir();
    draw_architecture(net, out);
    draw_hidden_space(net, xor_data, xor_answers.pass, out);
    draw_decision_region(net, xor_data, out);
    print_results(xor_answers.right, timing);
    std::cout << "Figures: architecture, hidden_space, decision_region (.png, .csv) in " << out
              << "\n";
  } catch (const std::exception& e) {
    std::cerr << "04_layers: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
