// Chapter 01: one artificial neuron
// ===========================================================================================
// What you learn: what a single neuron computes. It takes a weighted sum of its inputs, adds
// a bias, and passes the result through an activation function g (the blog post's sigma):
//     z = w1 x1 + w2 x2 + w3 x3 + b      y = g(z)
// Nothing here is random, so this chapter, unlike the others, takes no --seed.
//
// Run:   ./tutorial 01        or   build/release/chapters/01_neuron [--inputs 0.5,-1,2]
// [--weights 0.8,0.2,-0.5] [--bias 0.1] [--activation sigmoid] [--help] Draws (into
// build/release/output/01_neuron/, or --out DIR):
//   neuron.png           the neuron as a diagram, with this run's numbers on it
//   activations.png      step, sigmoid, tanh and ReLU, and their derivatives
//   neuron_2d.png        a 2-input neuron's output over the plane, with its line w.x + b = 0
#include <armadillo>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/cli.hpp"
#include "common/format.hpp"
#include "common/grid.hpp"
#include "common/plot.hpp"
#include "common/reproducible.hpp"

namespace {

// The chapter's flags (--out is every chapter's, in nn::CommandLine; --seed is removed
// here, because nothing in this chapter is random).
struct Settings {
  std::vector<double> inputs = {0.5, -1.0, 2.0};   // x1, x2, x3
  std::vector<double> weights = {0.8, 0.2, -0.5};  // w1, w2, w3
  double bias = 0.1;
  std::string activation = "sigmoid";
};

// ---------------------------------------------------------------------------------------
// 1. The neuron
// ---------------------------------------------------------------------------------------

struct Neuron {
  arma::vec w;  // one weight per input   (3)
  double b;     // the bias
  nn::Activation g;
};

// [listing neuron]
// z = w . x + b = w1 x1 + w2 x2 + w3 x3 + b, then y = g(z)
double weighted_sum(const Neuron& neuron, const arma::vec& x) {
  double z = neuron.b;
  for (arma::uword i = 0; i < x.n_elem; ++i) z += neuron.w(i) * x(i);
  return z;
}

double output(const Neuron& neuron, const arma::vec& x) {
  const double z = weighted_sum(neuron, x);
  const arma::mat Z = {z};  // one unit, one sample: the same g a layer uses
  return nn::activate(neuron.g, Z)(0, 0);
}
// [end neuron]

// ---------------------------------------------------------------------------------------
// 2. The example, by hand; its figure is the neuron as a diagram (the blog post's first
//    figure), with our numbers
// ---------------------------------------------------------------------------------------

// A negative number in brackets, so that "0.2*(-1)" reads as a product.
std::string signed_term(double v) { return v < 0 ? "(" + nn::num(v) + ")" : nn::num(v); }

// What the diagram shows besides the neuron and its inputs.
struct ByHand {
  double z;  // w . x + b
  double y;  // g(z)
};

// Prints the computation the way you would do it by hand, and returns its two results.
ByHand section2_the_example_by_hand(const Neuron& neuron, const arma::vec& x) {
  std::cout << "The neuron\n"
            << "  inputs   x = (" << nn::num(x(0)) << ", " << nn::num(x(1)) << ", "
            << nn::num(x(2)) << ")\n"
            << "  weights  w = (" << nn::num(neuron.w(0)) << ", " << nn::num(neuron.w(1))
            << ", " << nn::num(neuron.w(2)) << ")\n"
            << "  bias     b = " << nn::num(neuron.b) << "\n"
            << "  activation g = " << nn::to_string(neuron.g) << "\n\n";
  std::string products, terms;
  for (arma::uword i = 0; i < 3; ++i) {
    products += signed_term(neuron.w(i)) + "*" + signed_term(x(i)) + " + ";
    terms += signed_term(neuron.w(i) * x(i)) + " + ";
  }
  const double z = weighted_sum(neuron, x);
  std::cout << "Step 1, the weighted sum plus bias\n"
            << "  z = w1*x1 + w2*x2 + w3*x3 + b\n"
            << "    = " << products << signed_term(neuron.b) << "\n"
            << "    = " << terms << signed_term(neuron.b) << "\n"
            << "    = " << nn::num(z) << "\n"
            << "  (the same as the dot product w.x + b = "
            << nn::num(arma::dot(neuron.w, x) + neuron.b)
            << ", which is how later chapters write it)\n\n";
  std::cout << "Step 2, the activation\n";
  switch (neuron.g) {
    case nn::Activation::sigmoid:
      std::cout << "  y = sigmoid(z) = 1 / (1 + e^-z) = 1 / (1 + e^" << nn::num(-z) << ") = ";
      break;
    case nn::Activation::tanh:
      std::cout << "  y = tanh(z) = tanh(" << nn::num(z) << ") = ";
      break;
    case nn::Activation::relu:
      std::cout << "  y = relu(z) = max(0, " << nn::num(z) << ") = ";
      break;
    case nn::Activation::step:
      std::cout << "  y = step(z) = (" << nn::num(z) << " >= 0 ? 1 : 0) = ";
      break;
    case nn::Activation::identity: std::cout << "  y = z = "; break;
  }
  const double y = output(neuron, x);
  std::cout << nn::num(y) << "\n\n";
  return {z, y};
}

void draw_neuron(const Neuron& neuron, const arma::vec& x, const ByHand& values,
                 const std::string& out) {
  const double z = values.z, y = values.y;
  nn::Figure fig("neuron", 900, 520);
  fig.title("One neuron: y = g(w_1x_1 + w_2x_2 + w_3x_3 + b)").no_axes();
  fig.xrange(-0.8, 10.3).yrange(-0.6, 5.6);
  const arma::vec in_x = {1.0, 1.0, 1.0}, in_y = {4.4, 2.5, 0.6};
  const double sum_x = 5.0, sum_y = 2.5, out_x = 9.0;
  // Edges: width grows with |w|, orange for positive weights, blue for negative ones.
  for (arma::uword i = 0; i < 3; ++i) {
    const double w = neuron.w(i);
    fig.line("w" + std::to_string(i + 1), {in_x(i) + 0.45, sum_x - 0.75},
             {in_y(i), sum_y + (in_y(i) - sum_y) * 0.15},
             {.colour = w >= 0 ? 1 : 0,
              .width = 1.5 + 4.0 * std::min(std::abs(w), 1.5),
              .in_key = false},
             {w, w});
    fig.label((in_x(i) + sum_x) / 2 - 0.2, in_y(i) - (in_y(i) - sum_y) * 0.42 + 0.32,
              "w_" + std::to_string(i + 1) + " = " + nn::num(w), "center", 13);
  }
  fig.line("y", {sum_x + 0.75, out_x - 0.5}, {sum_y, sum_y},
           {.colour = 7, .width = 2.5, .in_key = false}, {y, y});
  fig.arrow(out_x - 0.9, sum_y, out_x - 0.45, sum_y, 2.5, "#000000");
  // Nodes: inputs, the sum and activation, the output. The CSV's value column holds the
  // number each node stands for.
  fig.points("inputs x_i", in_x, in_y, {.colour = 5, .point_size = 7, .in_key = false}, x);
  fig.points("z", {sum_x}, {sum_y}, {.colour = 6, .point_size = 13, .in_key = false}, {z});
  fig.points("y", {out_x}, {sum_y}, {.colour = 2, .point_size = 7, .in_key = false}, {y});
  for (arma::uword i = 0; i < 3; ++i) {
    fig.label(in_x(i), in_y(i), "x_" + std::to_string(i + 1), "center", 15);
    fig.label(in_x(i) - 0.5, in_y(i), nn::num(x(i)), "right", 14);
  }
  fig.label(sum_x, sum_y, "Σ | g", "center", 15);
  fig.label(sum_x, sum_y + 0.75, "g = " + nn::to_string(neuron.g), "center", 14);
  fig.label(sum_x, sum_y - 0.75, "z = " + nn::num(z), "center", 14);
  fig.label(out_x, sum_y, "y", "center", 15, "#FFFFFF");
  fig.label(out_x, sum_y - 0.75, "y = g(z) = " + nn::num(y), "center", 14);
  fig.label(sum_x, sum_y - 1.3, "+ bias b = " + nn::num(neuron.b), "center", 14);
  fig.label(sum_x, 0.0, "z = w·x + b,   y = g(z)", "center", 13, "#555555");
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// 3. Figure: the activation functions and their derivatives
// ---------------------------------------------------------------------------------------

void draw_activations(const std::string& out) {
  const arma::vec z = arma::linspace(-4, 4, 401);
  nn::Figure fig("activations", 1200, 520);
  fig.layout(1, 2, "Activation functions g(z) and their derivatives g'(z)");
  nn::Plot& left = fig.panel(0);
  left.title("g(z)").xlabel("z").ylabel("g(z)").yrange(-1.2, 2.2).key("top left");
  nn::Plot& right = fig.panel(1);
  right.title("g'(z)").xlabel("z").ylabel("g'(z)").yrange(-0.1, 1.2).key("top left");
  const std::vector<nn::Activation> shown = {nn::Activation::step, nn::Activation::sigmoid,
                                             nn::Activation::tanh, nn::Activation::relu};
  for (std::size_t k = 0; k < shown.size(); ++k) {
    const arma::mat Z = z.t();  // (1 x 401): one unit, 401 samples
    const arma::vec g = nn::activate(shown[k], Z).t();
    const arma::vec dg = nn::activation_derivative(shown[k], Z).t();
    const nn::Style style{.colour = static_cast<int>(k), .width = 2.5};
    left.line(nn::to_string(shown[k]), z, g, style);
    // ReLU' is 0 for z < 0, on top of step' (0 everywhere): dashed, so step' shows through.
    nn::Style derivative = style;
    derivative.dashed = shown[k] == nn::Activation::relu;
    derivative.width = shown[k] == nn::Activation::step ? 4.5 : 2.5;
    right.line(nn::to_string(shown[k]) + "'", z, dg, derivative);
  }
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// 4. Figure: a neuron with two inputs splits the plane with a straight line
// ---------------------------------------------------------------------------------------

void draw_neuron_2d(const std::string& out) {
  const arma::vec w = {1.5, -1.0};  // (2)
  const double b = 0.5;
  const nn::Grid grid(-3, 3, -3, 3, 121);
  // For every grid point at once: Z = w^T X + b is (1 x m), one grid point per column.
  const arma::mat X = grid.points();
  const arma::rowvec Y = nn::sigmoid(arma::mat(w.t() * X + b));
  nn::Figure fig("neuron_2d", 760, 640);
  fig.title("A 2-input neuron: y = sigmoid(1.5 x_1 - x_2 + 0.5)")
      .xlabel("x_1")
      .ylabel("x_2")
      .cblabel("output y")
      .cbrange(0, 1)
      .square()
      .xrange(-3, 3)
      .yrange(-3, 3)
      .key("bottom right");
  fig.heatmap("y", grid.xs, grid.ys, grid.reshape(Y), true, 0, 1);
  // The line w.x + b = 0, where y = 0.5: x2 = (w1 x1 + b) / -w2.
  const arma::vec x1 = {-3.0, 3.0};
  const arma::vec x2 = (w(0) * x1 + b) / -w(1);
  fig.line("w·x + b = 0  (y = 0.5)", x1, x2, {.colour = 7, .width = 3});
  // The weight vector is perpendicular to the line and points to where y > 0.5.
  const arma::vec foot = -b * w / arma::dot(w, w);  // the point of the line nearest 0
  fig.arrow(foot(0), foot(1), foot(0) + w(0), foot(1) + w(1), 3, "#000000");
  fig.label(foot(0) + w(0) + 0.1, foot(1) + w(1) - 0.3, "w", "left", 16);
  fig.label(1.9, -2.3, "y > 0.5", "center", 14);
  fig.label(-1.9, 2.3, "y < 0.5", "center", 14, "#FFFFFF");
  fig.save(out);
}

// ---------------------------------------------------------------------------------------
// The program: the flags, the section, the figures
// ---------------------------------------------------------------------------------------

void add_flags(CLI::App& app, Settings& s) {
  // Every number within +-1e6: a neuron's inputs and weights are of order 1, and the
  // bound keeps w . x + b far from overflow (3 x 1e12 + 1e6), so y is always a number.
  const CLI::Validator number = nn::FiniteWithin(1e6);
  app.add_option("--inputs", s.inputs, "x1,x2,x3")
      ->delimiter(',')
      ->expected(3)
      ->check(number)
      ->capture_default_str();
  app.add_option("--weights", s.weights, "w1,w2,w3")
      ->delimiter(',')
      ->expected(3)
      ->check(number)
      ->capture_default_str();
  app.add_option("--bias", s.bias, "b")->check(number)->capture_default_str();
  app.add_option("--activation", s.activation, "step, sigmoid, tanh, relu or identity")
      ->check(CLI::IsMember({"step", "sigmoid", "tanh", "relu", "identity"}))
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  nn::CommandLine cli("01_neuron", "Chapter 01: one artificial neuron, computed step by step");
  Settings s;
  add_flags(cli.app(), s);
  // Every chapter's --seed, taken away: this chapter draws no random number, and a flag
  // that changes nothing would only mislead.
  cli.app().remove_option(cli.app().get_option("--seed"));
  if (auto code = cli.parse(argc, argv)) return *code;
  nn::make_reproducible(cli.seed());

  try {
    std::cout << "Chapter 01: one artificial neuron\n"
              << "=================================\n\n";
    // Section 1 is the neuron itself; section 2 computes it; sections 3 and 4 are figures.
    const Neuron neuron{arma::vec(s.weights), s.bias, nn::activation_from_string(s.activation)};
    const arma::vec x(s.inputs);  // (3)
    const ByHand values = section2_the_example_by_hand(neuron, x);

    const std::string& out = cli.out_dir();
    draw_neuron(neuron, x, values, out);
    draw_activations(out);  // section 3
    draw_neuron_2d(out);    // section 4
    std::cout << "Figures: neuron, activations, neuron_2d (.png, .csv) in " << out << "\n";
  } catch (const std::exception& e) {
    std::cerr << "01_neuron: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
