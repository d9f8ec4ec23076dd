// graph_figure.hpp: a computation graph with its numbers on it, for a backward pass worked
// by hand (chapters 03 and 05).
//
// Each node is one quantity of the forward pass: an input, a parameter, an intermediate
// result or the loss. Each edge goes from a quantity to one computed from it, and carries
// the local derivative d(to)/d(from). The drawing writes, at every node, its name, its
// forward value (in black, above it or to its left) and the gradient dL/d(node) that the
// backward pass gives it (in red, below it or to its left); at every edge, its local
// derivative. The backward pass is then
// visible: a node's gradient is the sum, over its outgoing edges, of the local derivative
// times the gradient at the edge's end.
//
//   std::vector<nn::GraphNode> nodes = {{"z", "z", 0, 0, -0.7, -0.668}, ...};
//   std::vector<nn::GraphEdge> edges = {{0, 1, 0.2217, "dy/dz"}, ...};
//   nn::Figure fig("graph", 1200, 620);
//   nn::draw_graph(fig, nodes, edges);
//   fig.save(out_dir);
//
// The figure's CSV holds the numbers drawn: the series "NAME" (one row, at the node) whose
// value is the forward value, "dL/dNAME" (one row, at the node) whose value is the
// gradient, and "FROM -> TO" (two rows, the edge's ends) whose value is the local
// derivative, where NAME, FROM and TO are the nodes' ids.
#pragma once

#include <string>
#include <vector>

#include "common/plot.hpp"

namespace nn {

struct GraphNode {
  std::string id;     // plain text, for the CSV's series names: "w1", "z", "L"
  std::string label;  // as drawn (gnuplot enhanced text): "w_1", "z", "L"
  double x, y;        // where, in the drawing's coordinates (set them with the ranges)
  double value;       // the forward value
  double gradient;    // dL/d(this node)
  int colour = 0;     // nn::colour(k) of the disc
  // Where the value and the gradient are written: above and below the disc (false), or
  // to its left, one over the other (true: for a column of nodes close together).
  bool numbers_left = false;
  // The node's name in "∂L/∂NAME = ..." when it differs from the label in the disc (a
  // product node drawn as "×", say); empty: the label.
  std::string gradient_name = "";
};

struct GraphEdge {
  std::size_t from, to;  // indices into the nodes: `to` is computed from `from`
  double local;          // the local derivative d(to)/d(from)
  std::string label;     // drawn before the number (enhanced text), e.g. "∂z/∂w_1 = x_1"
  double shift = 0.0;    // moves the edge's label along its normal, away from crowding
  double at = 0.5;       // where along the edge the label sits: 0 at `from`, 1 at `to`
};

// Draws the graph onto plot (a Figure or one of its panels): the edges as arrows with their
// labels, the nodes as discs with name, value and gradient. Turns the axes off; the ranges
// and the title are the caller's. Throws std::invalid_argument for an edge whose end is not
// a node, or a number that is not finite.
void draw_graph(Plot& plot, const std::vector<GraphNode>& nodes,
                const std::vector<GraphEdge>& edges);

}  // namespace nn
