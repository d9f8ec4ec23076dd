// diagram.hpp: a network's architecture drawn from its actual sizes and weights.
//
// One column of units per layer (input, hidden..., output), one edge per weight, and a
// caption under each column. An edge's width grows with |w|; it is orange (colour(1)) for
// a positive weight and blue (colour(0)) for a negative one, as in chapter 01's neuron.
//
//   nn::Figure fig("architecture", 900, 560);
//   fig.title("A 2-2-1 network");
//   nn::draw_network(fig, {2, 2, 1}, {W1, W2}, {b1, b2}, {"sigmoid", "sigmoid"});
//   fig.save(out_dir);
//
// The interface is plain data, so any network can be drawn: sizes[l] units in layer l
// (sizes[0] is the input), W[l] the (sizes[l+1] x sizes[l]) weights into layer l+1, and,
// optionally, b[l] its (sizes[l+1]) biases and activations[l] its activation's name.
// Float weights: pass arma::conv_to<arma::mat>::from(W).
//
// Small networks (at most max_labelled_edges weights) get every weight written on its
// edge and every bias next to its unit. A layer with more than max_units units draws its
// first and last few units with "⋮" between them, so 784-256-128-10 stays legible.
//
// The figure's CSV holds the numbers drawn: for each edge, the series "W<l>(i,j)"
// (layer l = 1, 2, ..., unit i of layer l, unit j of layer l-1, counted from 1) has two
// rows, the edge's two ends, whose value is the weight W_l(i, j). For each layer, the
// series "input layer units", "hidden layer units" (with several hidden layers: "hidden
// layer 1 units", ...) or "output layer units" has one row per unit drawn, top to bottom,
// whose value is the unit's bias (empty for the inputs, or when no biases are given).
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "common/plot.hpp"

namespace nn {

struct DiagramOptions {
  // A layer with more units draws its first and last (max_units - 2) / 2 with "⋮" between.
  arma::uword max_units = 16;
  // Write each weight's value on its edge (and each bias by its unit) when the drawing
  // has at most this many edges; 0 never writes them.
  arma::uword max_labelled_edges = 12;
  bool show_biases = true;  // write the biases too (only when the weights are written)
  // Width / height of the drawing. One unit of x is as long as one unit of y, so match
  // the figure's (or panel's) own shape: 900 x 560 is 1.6.
  double aspect = 1.6;
};

// Draws the network onto plot (a Figure or one of its panels): sets the ranges, turns the
// axes off and adds the edges, units and captions; the title is the caller's. Throws
// std::invalid_argument when the sizes, weights, biases and activations do not fit
// together, or when a weight or bias is not finite.
void draw_network(Plot& plot, const std::vector<arma::uword>& sizes,
                  const std::vector<arma::mat>& W, const std::vector<arma::vec>& b = {},
                  const std::vector<std::string>& activations = {},
                  const DiagramOptions& options = {});

}  // namespace nn
