// Tests for common/subnormals.hpp
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "common/subnormals.hpp"

// The smallest normal float times 0.5 is subnormal. volatile keeps the compiler from
// computing it once at compile time, where the processor's mode does not apply.
static float half_of_smallest_normal() {
  volatile float smallest = std::numeric_limits<float>::min();  // 1.18e-38
  volatile float half = 0.5f;
  return smallest * half;
}

TEST_CASE("FlushSubnormals turns subnormal results into 0 while alive, and only then",
          "[subnormals]") {
  const float before = half_of_smallest_normal();
  CHECK(std::fpclassify(before) == FP_SUBNORMAL);
  {
    const nn::FlushSubnormals flush{};
    const float inside = half_of_smallest_normal();
#if defined(__SSE2__) || defined(_M_X64)
    CHECK(inside == 0.0f);
#else
    CHECK(std::fpclassify(inside) == FP_SUBNORMAL);  // elsewhere it does nothing
#endif
    {
      const nn::FlushSubnormals nested{};  // nesting restores the outer mode, not the default
    }
    CHECK(half_of_smallest_normal() == inside);
  }
  CHECK(std::fpclassify(half_of_smallest_normal()) == FP_SUBNORMAL);  // restored
}
