// graph_figure.cpp: draws a computation graph with nn::Plot.
#include "common/graph_figure.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace nn {

namespace {

// A number as the graph writes it: 4 significant digits, as the chapters print them.
std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

constexpr double kRadius = 0.42;  // a node's disc, in the drawing's units (for the edges)

}  // namespace

void draw_graph(Plot& plot, const std::vector<GraphNode>& nodes,
                const std::vector<GraphEdge>& edges) {
  for (const GraphNode& n : nodes)
    if (!std::isfinite(n.value) || !std::isfinite(n.gradient) || !std::isfinite(n.x) ||
        !std::isfinite(n.y))
      throw std::invalid_argument("draw_graph: node " + n.id +
                                  " holds a number that is not "
                                  "finite");
  for (const GraphEdge& e : edges) {
    if (e.from >= nodes.size() || e.to >= nodes.size() || e.from == e.to)
      throw std::invalid_argument("draw_graph: an edge must join two different nodes");
    if (!std::isfinite(e.local))
      throw std::invalid_argument("draw_graph: the edge " + nodes[e.from].id + " -> " +
                                  nodes[e.to].id +
                                  " has a local derivative that is not "
                                  "finite");
  }
  plot.no_axes().key("off");
  // Edge labels on an opaque box, so that an edge passing under one does not cross it out.
  plot.command("set style textbox opaque noborder margins 1,1");

  // Edges first, so that the discs cover their ends.
  for (const GraphEdge& e : edges) {
    const GraphNode &a = nodes[e.from], &b = nodes[e.to];
    const double dx = b.x - a.x, dy = b.y - a.y, length = std::hypot(dx, dy);
    const double ux = dx / length, uy = dy / length;
    const double x0 = a.x + kRadius * ux, y0 = a.y + kRadius * uy;
    const double x1 = b.x - kRadius * ux, y1 = b.y - kRadius * uy;
    plot.line(a.id + " -> " + b.id, {x0, x1}, {y0, y1},
              {.colour = 7, .width = 1.5, .in_key = false}, {e.local, e.local});
    plot.arrow(x1 - 0.25 * ux, y1 - 0.25 * uy, x1, y1, 1.5, "#000000");
    // The label sits at `at` along the edge, a little to its left (seen along it).
    const double mx = x0 + e.at * (x1 - x0) - (0.22 + e.shift) * uy;
    const double my = y0 + e.at * (y1 - y0) + (0.22 + e.shift) * ux;
    plot.label(mx, my, e.label + " = " + short_number(e.local), "center boxed", 11, "#333333");
  }
  for (const GraphNode& n : nodes) {
    plot.points(n.id, {n.x}, {n.y},
                {.colour = n.colour, .point_size = 6.5, .point_type = 7, .in_key = false},
                {n.value});
    plot.label(n.x, n.y, n.label, "center", 14, "#FFFFFF");
    const std::string gradient = "∂L/∂" +
                                 (n.gradient_name.empty() ? n.label : n.gradient_name) + " = " +
                                 short_number(n.gradient);
    // The gradient's CSV row: an invisible point at the node.
    plot.points("dL/d" + n.id, {n.x}, {n.y},
                {.colour = 4, .point_size = 0, .point_type = 7, .in_key = false}, {n.gradient});
    if (n.numbers_left) {
      plot.label(n.x - kRadius - 0.15, n.y + 0.2, "= " + short_number(n.value), "right", 12);
      plot.label(n.x - kRadius - 0.15, n.y - 0.2, gradient, "right", 11, colour(4));
    } else {
      plot.label(n.x, n.y + kRadius + 0.22, "= " + short_number(n.value), "center", 12);
      plot.label(n.x, n.y - kRadius - 0.3, gradient, "center", 11, colour(4));
    }
  }
}

}  // namespace nn
