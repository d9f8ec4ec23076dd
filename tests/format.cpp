// Tests for common/format.hpp
#include <catch2/catch.hpp>

#include <climits>

#include "common/format.hpp"

TEST_CASE("num prints a double with 4 significant digits, or with the format given",
          "[format]") {
  CHECK(nn::num(0.123456) == "0.1235");
  CHECK(nn::num(1234567.0) == "1.235e+06");
  CHECK(nn::num(-2.0) == "-2");
  CHECK(nn::num(0.5, "%.2f") == "0.50");
  CHECK(nn::num(3.14159, "%8.3f") == "   3.142");
}

TEST_CASE("percent turns a fraction into a percentage", "[format]") {
  CHECK(nn::percent(0.99533) == "99.5%");
  CHECK(nn::percent(0.99533, 2) == "99.53%");
  CHECK(nn::percent(1.0) == "100.0%");
  CHECK(nn::percent(0.0, 0) == "0%");
}

TEST_CASE("thousands groups digits by three with commas, whatever the locale", "[format]") {
  CHECK(nn::thousands(0) == "0");
  CHECK(nn::thousands(999) == "999");
  CHECK(nn::thousands(1000) == "1,000");
  CHECK(nn::thousands(60000) == "60,000");
  CHECK(nn::thousands(1234567) == "1,234,567");
  CHECK(nn::thousands(-1234567) == "-1,234,567");
  CHECK(nn::thousands(LLONG_MIN) == "-9,223,372,036,854,775,808");
}
