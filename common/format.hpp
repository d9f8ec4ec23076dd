// format.hpp: numbers as the chapters print them, in one place.
//
// Every chapter prints tables of losses, weights and accuracies. These three functions are
// the only formatting helpers the chapters use, so "0.1235" or "99.5%" means the same in
// every chapter's output and text.
//   nn::num(0.123456)            == "0.1235"   (printf's %.4g: 4 significant digits)
//   nn::num(0.5, "%.2f")         == "0.50"     (any printf format for one double)
//   nn::percent(0.99533)         == "99.5%"    (a fraction in [0, 1], as a percentage)
//   nn::percent(0.99533, 2)      == "99.53%"
//   nn::thousands(60000)         == "60,000"
#pragma once

#include <string>

namespace nn {

// v printed with a printf format that takes one double ("%.4g" unless told).
std::string num(double v, const char* format = "%.4g");

// fraction * 100 with `decimals` decimals and a percent sign.
std::string percent(double fraction, int decimals = 1);

// n with a comma between each group of three digits (no locale: the same on every machine).
std::string thousands(long long n);

}  // namespace nn
