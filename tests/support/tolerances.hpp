// tolerances.hpp: the tolerances several test files share, each defined once (two files
// defining the same name would also break a unity build of the tests).
#pragma once

namespace nn::test {

// Results computed the same way in double up to the order of a few additions (or log1p
// instead of log): they agree to ~1e-15 relative; 1e-12 leaves room for sums of a few
// hundred terms.
constexpr double kRoundingTolerance = 1e-12;

// ReLU and step have a kink at z = 0, where a finite difference straddles two slopes.
// Perturbing one parameter by h = 1e-5 (gradient_check.hpp) moves each Z of the small
// layers and networks in these tests by far less than 1e-3, so their inputs are redrawn
// until every |Z| exceeds it.
constexpr double kKinkMargin = 1e-3;

// Max pooling has a kink of its own: where two inputs of a window tie for the maximum, the
// arg-max (and the gradient) jumps from one to the other. The same reasoning as for
// kKinkMargin: a probe of h = 1e-5 moves an input of these tests by far less than 1e-3, so
// inputs are redrawn until every window's maximum beats the runner-up by more than that.
constexpr double kArgMaxMargin = 1e-3;

// A statistic of independent random draws that is right lies within 5 of its standard
// deviations of its expected value except with probability below 6e-7 (the normal tail,
// which a binomial count of thousands of draws follows closely): a right sampler does not
// fail, and one that is off by a few percent is many standard deviations out.
constexpr double kStandardDeviations = 5.0;

}  // namespace nn::test
