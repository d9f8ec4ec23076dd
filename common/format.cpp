// format.cpp: see format.hpp.
#include "common/format.hpp"

#include <cstdio>

namespace nn {

std::string num(double v, const char* format) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string percent(double fraction, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f%%", decimals, 100.0 * fraction);
  return buf;
}

std::string thousands(long long n) {
  // Digits from the last one backwards; unsigned so that -LLONG_MIN does not overflow.
  unsigned long long magnitude =
      n < 0 ? 0ULL - static_cast<unsigned long long>(n) : static_cast<unsigned long long>(n);
  std::string reversed;
  for (int digit = 0; digit == 0 || magnitude > 0; ++digit, magnitude /= 10) {
    if (digit > 0 && digit % 3 == 0) reversed.push_back(',');
    reversed.push_back(static_cast<char>('0' + magnitude % 10));
  }
  if (n < 0) reversed.push_back('-');
  return {reversed.rbegin(), reversed.rend()};
}

}  // namespace nn
