// architecture.hpp: a network's architecture in one line, for what a program prints.
//
//   784-256-128-10                                  Dense layers (batch norm and dropout
//                                                   keep a width, so they do not show)
//   28x28x1 > conv 3x3 > 28x28x16 > pool 2 > 14x14x16 > conv 3x3 > 14x14x32 > pool 2
//     > 7x7x32 > 10                                 a CNN: each image as height x width x
//                                                   channels, then the Dense widths
#pragma once

#include <string>
#include <variant>

#include "common/network.hpp"

namespace nn {

template <typename Real>
std::string architecture(const Network<Real>& net) {
  std::string s;
  bool image = false;  // whether s ends with an image shape
  // A width after a width joins with '-', anything after an image shape with " > ".
  auto add_width = [&](arma::uword n) {
    if (!s.empty()) s += image ? " > " : "-";  // (both const char*: no warning)
    s += std::to_string(n);
    image = false;
  };
  // (Appended piece by piece: GCC 12 warns falsely, -Wrestrict, on "literal" + string.)
  auto add_image = [&](const char* step, arma::uword side, ImageShape out) {
    s += " > ";
    s += step;
    s += std::to_string(side);
    if (step[0] == 'c') {  // a filter is k x k
      s += 'x';
      s += std::to_string(side);
    }
    s += " > ";
    s += to_string(out);
    image = true;
  };
  for (const Layer<Real>& layer : net.all_layers()) {
    if (const auto* conv = std::get_if<Convolution<Real>>(&layer)) {
      if (s.empty()) s = to_string(conv->input_shape());
      add_image("conv ", conv->kernel_size(), conv->output_shape());
    } else if (const auto* pool = std::get_if<MaxPool<Real>>(&layer)) {
      if (s.empty()) s = to_string(pool->input_shape());
      add_image("pool ", pool->size(), pool->output_shape());
    } else if (const auto* dense = std::get_if<Dense<Real>>(&layer)) {
      if (s.empty()) add_width(dense->n_inputs());
      add_width(dense->n_outputs());
    } else if (s.empty()) {  // batch norm or dropout first: its width is the input's
      add_width(std::visit([](const auto& x) { return x.n_inputs(); }, layer));
    }
  }
  return s;
}

}  // namespace nn
