// grid.hpp: a regular grid over a rectangle of the input plane, for drawing what a model
// computes everywhere (its output as a heatmap, its decision regions, its boundary).
//
//   nn::Grid g(-3, 3, -3, 3, 200);
//   arma::rowvec p = model(g.points());   // points() is (2 x nx*ny), one point per column
//   fig.heatmap("p", g.xs, g.ys, g.reshape(p));
#pragma once

#include <armadillo>
#include <stdexcept>

namespace nn {

struct Grid {
  arma::vec xs, ys;  // the grid's x and y coordinates, increasing

  Grid(double x_lo, double x_hi, double y_lo, double y_hi, arma::uword n_per_axis)
      : xs(arma::linspace(x_lo, x_hi, n_per_axis)), ys(arma::linspace(y_lo, y_hi, n_per_axis)) {
    if (n_per_axis < 2) throw std::invalid_argument("Grid: at least 2 points per axis");
  }

  // Every grid point as a column: point r = i * nx + j is (xs(j), ys(i)).  (2 x nx*ny)
  arma::mat points() const {
    arma::mat P(2, xs.n_elem * ys.n_elem);
    for (arma::uword i = 0; i < ys.n_elem; ++i)
      for (arma::uword j = 0; j < xs.n_elem; ++j) {
        P(0, i * xs.n_elem + j) = xs(j);
        P(1, i * xs.n_elem + j) = ys(i);
      }
    return P;
  }

  // One value per grid point (in points() order) as the (ny x nx) matrix V(i, j) at
  // (xs(j), ys(i)) that Plot::heatmap, regions and contour take.
  template <typename Real>
  arma::Mat<Real> reshape(const arma::Row<Real>& values) const {
    if (values.n_elem != xs.n_elem * ys.n_elem)
      throw std::invalid_argument("Grid::reshape: one value per grid point expected");
    // Armadillo fills column by column, so build (nx x ny) and transpose.
    return arma::Mat<Real>(values.memptr(), xs.n_elem, ys.n_elem).t();
  }
};

}  // namespace nn
